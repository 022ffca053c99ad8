import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/**
 * Every validation path of the Scheduler and EventBridge rule APIs, over raw signed requests
 * (rest-json for Scheduler, json 1.1 for EventBridge), with the error type and message.
 */
let h: Harness;
const ACCOUNT = '000000000000';
const FN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/r`;

before(async () => { h = await startHarness({ auth: 'off' }); });
after(async () => { await h?.stop(); });

const scheduler = (method: string, path: string, body?: unknown) => signedFetch(h.endpoint, method, path, { service: 'scheduler', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
const events = (op: string, body: unknown) => signedFetch(h.endpoint, 'POST', '/', { service: 'events', headers: { 'x-amz-target': `AWSEvents.${op}`, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });

function expectError(r: { status: number; headers: Headers; json: any; text: string }, status: number, type: string, message: string | RegExp): void {
  assert.equal(r.status, status, r.text);
  const got = (r.headers.get('x-amzn-errortype') ?? r.json?.__type ?? '').split(':')[0].split('#').pop();
  assert.equal(got, type, r.text);
  const msg = r.json?.message ?? r.json?.Message;
  if (typeof message === 'string') assert.equal(msg, message);
  else assert.match(msg, message);
}

const schedule = (over: Record<string, unknown> = {}) => ({ ScheduleExpression: 'rate(5 minutes)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: FN, RoleArn: ROLE }, ...over });

test('CreateSchedule: each invalid member is a ValidationException naming it', async () => {
  const now = Date.now() / 1000;
  const cases: Array<[Record<string, unknown>, string | RegExp]> = [
    [{ ScheduleExpression: 'rate(5 minute)' }, 'Invalid Schedule Expression rate(5 minute).'],
    [{ ScheduleExpressionTimezone: 'Nowhere/City' }, 'Invalid ScheduleExpressionTimezone Nowhere/City.'],
    [{ FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, 'MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.'],
    [{ FlexibleTimeWindow: { Mode: 'OFF', MaximumWindowInMinutes: 5 } }, 'MaximumWindowInMinutes must not be provided when FlexibleTimeWindow Mode is OFF.'],
    [{ StartDate: now + 3600, EndDate: now + 1800 }, 'The EndDate must be later than the StartDate.'],
    [{ EndDate: now - 60 }, 'The EndDate must be in the future.'],
    [{ Target: { Arn: 'arn:aws:sqs:us-east-1:000000000000:q', RoleArn: ROLE } }, /only; the target ARN arn:aws:sqs:us-east-1:000000000000:q is not a function ARN\.$/],
    // The model's pattern, checked by the front door.
    [{ Target: { Arn: FN, RoleArn: 'arn:aws:iam::000000000000:user/u' } }, /^1 validation error detected: Value 'arn:aws:iam::000000000000:user\/u' at 'target.roleArn' failed to satisfy constraint/],
    [{ Target: { Arn: FN, RoleArn: ROLE, DeadLetterConfig: { Arn: FN } } }, /at 'target.deadLetterConfig.arn' failed to satisfy constraint/],
  ];
  for (const [over, message] of cases) expectError(await scheduler('POST', '/schedules/s', schedule(over)), 400, 'ValidationException', message);
  // The model's own constraints (front door): retry attempts 0–185, event age 60–86,400, window 1–1,440.
  for (const Target of [{ Arn: FN, RoleArn: ROLE, RetryPolicy: { MaximumRetryAttempts: 186 } }, { Arn: FN, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 59 } }]) {
    assert.equal((await scheduler('POST', '/schedules/s', schedule({ Target }))).status, 400);
  }
  assert.equal((await scheduler('POST', '/schedules/s', schedule({ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } }))).status, 400);
  // A full valid one: retries, dead-letter queue, window, dates, zone.
  const ok = await scheduler('POST', '/schedules/s', schedule({
    ScheduleExpression: 'cron(0 9 ? * MON-FRI *)', ScheduleExpressionTimezone: 'America/New_York', StartDate: now + 60, EndDate: now + 86_400 * 30,
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 }, State: 'DISABLED',
    Target: { Arn: `${FN}:live`, RoleArn: ROLE, Input: 'not json is fine', RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 }, DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq` } },
  }));
  assert.equal(ok.status, 200, ok.text);
  const got = (await scheduler('GET', '/schedules/s')).json;
  assert.deepEqual(got.Target.RetryPolicy, { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 });
  assert.deepEqual(got.Target.DeadLetterConfig, { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq` });
  assert.equal(got.Target.Input, 'not json is fine');
  assert.equal(got.StartDate, Math.floor((now + 60) * 1000) / 1000);
  assert.equal((await scheduler('DELETE', '/schedules/s')).status, 200);
});

test('Scheduler: missing schedules and groups, the default group, tags, NextToken', async () => {
  expectError(await scheduler('GET', '/schedules/none'), 404, 'ResourceNotFoundException', 'Schedule none does not exist.');
  expectError(await scheduler('PUT', '/schedules/none', schedule()), 404, 'ResourceNotFoundException', 'Schedule none does not exist.');
  expectError(await scheduler('DELETE', '/schedules/none'), 404, 'ResourceNotFoundException', 'Schedule none does not exist.');
  expectError(await scheduler('GET', '/schedule-groups/none'), 404, 'ResourceNotFoundException', 'Schedule group none does not exist.');
  expectError(await scheduler('DELETE', '/schedule-groups/default'), 400, 'ValidationException', 'The default schedule group cannot be deleted.');
  expectError(await scheduler('POST', '/schedule-groups/default', {}), 409, 'ConflictException', 'Schedule group default already exists.');
  const arn = encodeURIComponent(`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/default`);
  expectError(await scheduler('POST', `/tags/${arn}`, { Tags: [{ Key: 'a', Value: 'b' }] }), 400, 'ValidationException', 'The default schedule group cannot be tagged.');
  assert.equal((await scheduler('POST', '/schedule-groups/g', { Tags: [{ Key: 'a', Value: '1' }] })).status, 200);
  const garn = encodeURIComponent(`arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/g`);
  assert.equal((await scheduler('POST', `/tags/${garn}`, { Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '3' }] })).status, 200);
  assert.equal((await signedFetch(h.endpoint, 'DELETE', `/tags/${garn}`, { service: 'scheduler', query: 'TagKeys=b' })).status, 200);
  assert.deepEqual((await scheduler('GET', `/tags/${garn}`)).json.Tags, [{ Key: 'a', Value: '3' }]);
  expectError(await scheduler('POST', `/tags/${encodeURIComponent('arn:aws:scheduler:us-east-1:000000000000:schedule/default/x')}`, { Tags: [{ Key: 'a', Value: 'b' }] }), 400, 'ValidationException', /at 'resourceArn' failed to satisfy constraint/);
  const bad = await signedFetch(h.endpoint, 'GET', '/schedules', { service: 'scheduler', query: 'NextToken=bm9wZQ%3D%3D' });
  expectError(bad, 400, 'ValidationException', 'Invalid NextToken.');
});

test('EventBridge rules: validation of PutRule, PutTargets and missing rules or buses', async () => {
  expectError(await events('PutRule', { Name: 'r' }), 400, 'ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
  expectError(await events('PutRule', { Name: 'r', ScheduleExpression: 'rate(1 minutes)' }), 400, 'ValidationException', 'Parameter ScheduleExpression is not valid.');
  expectError(await events('PutRule', { Name: 'r', EventPattern: '[1]' }), 400, 'InvalidEventPatternException', 'Event pattern is not valid. Reason: Filter is not an object');
  expectError(await events('PutRule', { Name: 'r', ScheduleExpression: 'rate(1 minute)', EventBusName: 'custom' }), 400, 'ResourceNotFoundException', 'Event bus custom does not exist.');
  assert.equal((await events('PutRule', { Name: 'r', ScheduleExpression: 'cron(0 12 * * ? *)', Tags: [{ Key: 'k', Value: 'v' }] })).status, 200);
  expectError(await events('PutTargets', { Rule: 'r', Targets: [{ Id: '1', Arn: FN, Input: '{}', InputPath: '$.detail' }] }), 400, 'ValidationException', 'Only one of Input, InputPath, or InputTransformer must be provided.');
  expectError(await events('PutTargets', { Rule: 'r', Targets: [{ Id: '1', Arn: FN, Input: '{nope' }] }), 400, 'ValidationException', 'Target Input is not valid JSON text.');
  const partial = await events('PutTargets', { Rule: 'r', Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:q' }, { Id: 'f', Arn: FN }] });
  assert.equal(partial.status, 200);
  assert.equal(partial.json.FailedEntryCount, 1);
  assert.equal(partial.json.FailedEntries[0].TargetId, 'q');
  const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: FN }));
  expectError(await events('PutTargets', { Rule: 'r', Targets: six }), 400, 'LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
  const arn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/r`;
  assert.equal((await events('TagResource', { ResourceARN: arn, Tags: [{ Key: 'k2', Value: 'v2' }] })).status, 200);
  assert.deepEqual((await events('ListTagsForResource', { ResourceARN: arn })).json.Tags, [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: 'v2' }]);
  assert.equal((await events('UntagResource', { ResourceARN: arn, TagKeys: ['k'] })).status, 200);
  assert.deepEqual((await events('ListTagsForResource', { ResourceARN: arn })).json.Tags, [{ Key: 'k2', Value: 'v2' }]);
  for (const op of ['DescribeRule', 'EnableRule', 'DisableRule']) expectError(await events(op, { Name: 'none' }), 400, 'ResourceNotFoundException', 'Rule none does not exist on EventBus default.');
  expectError(await events('ListTargetsByRule', { Rule: 'none' }), 400, 'ResourceNotFoundException', 'Rule none does not exist on EventBus default.');
  // DeleteRule of a rule that does not exist succeeds.
  assert.equal((await events('DeleteRule', { Name: 'none' })).status, 200);
});
