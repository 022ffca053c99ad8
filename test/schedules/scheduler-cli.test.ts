import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateUserCommand, PutUserPolicyCommand, CreateAccessKeyCommand } from '@aws-sdk/client-iam';
import { TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { until } from '../helpers/until.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { ACCOUNT, MIN, advance, aws, clock, fnArn, h, received, skip } from './schedule-cli-fixture.js';

/**
 * Scheduler and EventBridge scheduled rules end to end with Debian's AWS CLI v2 against a real
 * Flint whose clock the test moves (a fixed start plus an offset; each pass is run with
 * `schedules.runDue()`). Functions append each event they receive to a marks file.
 */
test('aws scheduler: create-schedule rate(1 minute) → the function gets Input verbatim once per tick; get/list/update/delete', { skip }, async () => {
  const target = { Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role`, Input: '{"hello":"world","n":1}', RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 120 }, DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:sched-dlq` } };
  const created = await aws('scheduler', ['create-schedule', '--name', 'every-minute', '--schedule-expression', 'rate(1 minute)', '--flexible-time-window', 'Mode=OFF', '--target', JSON.stringify(target)]);
  assert.equal(created.ScheduleArn, `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/every-minute`);
  const got = await aws('scheduler', ['get-schedule', '--name', 'every-minute']);
  assert.equal(got.GroupName, 'default');
  assert.equal(got.State, 'ENABLED');
  assert.equal(got.ScheduleExpression, 'rate(1 minute)');
  assert.deepEqual(got.FlexibleTimeWindow, { Mode: 'OFF' });
  assert.deepEqual(got.Target, target);
  // (The CLI 2.9 model predates ActionAfterCompletion: it drops the member; the at() test reads it raw.)
  assert.ok(!Number.isNaN(Date.parse(got.CreationDate)));

  // Without a StartDate a rate schedule invokes at once, then every minute.
  await advance(0);
  await until(() => received('sched-fn').length === 1, 30_000);
  await advance(30_000);
  for (let i = 2; i <= 3; i++) {
    await advance(30_000);
    await until(() => received('sched-fn').length === i, 30_000).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(h.app.schedules.delivery.failures)}`); });
    await advance(1_000);
    await advance(0);
    await advance(29_000);
    assert.equal(received('sched-fn').length, i, 'once per tick, nothing before the next');
  }
  assert.deepEqual(received('sched-fn'), Array(3).fill({ hello: 'world', n: 1 }));

  const listed = await aws('scheduler', ['list-schedules', '--name-prefix', 'every']);
  assert.deepEqual(listed.Schedules.map((s: any) => [s.Name, s.GroupName, s.State, s.Target.Arn]), [['every-minute', 'default', 'ENABLED', fnArn('sched-fn')]]);
  assert.deepEqual((await aws('scheduler', ['list-schedules', '--name-prefix', 'nope'])).Schedules, []);
  assert.deepEqual((await aws('scheduler', ['list-schedules', '--state', 'DISABLED'])).Schedules, []);

  await aws('scheduler', ['update-schedule', '--name', 'every-minute', '--schedule-expression', 'rate(1 minute)', '--flexible-time-window', 'Mode=OFF', '--state', 'DISABLED', '--target', JSON.stringify(target)]);
  assert.equal((await aws('scheduler', ['get-schedule', '--name', 'every-minute'])).State, 'DISABLED');
  await advance(2 * MIN);
  assert.equal(received('sched-fn').length, 3, 'a disabled schedule does not fire');
  await aws('scheduler', ['delete-schedule', '--name', 'every-minute']);
  await assert.rejects(aws('scheduler', ['get-schedule', '--name', 'every-minute']), /ResourceNotFoundException.*Schedule every-minute does not exist\./);
});

test('aws scheduler: at() fires once and ActionAfterCompletion DELETE removes the schedule', { skip }, async () => {
  const at = new Date(clock.now() + 2 * MIN).toISOString().slice(0, 19);
  const target = { Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role`, Input: '{"once":true}' };
  // CLI 2.9 has no --action-after-completion (newer than its model): a signed rest-json request.
  const res = await signedFetch(h.endpoint, 'POST', '/schedules/one-shot', { service: 'scheduler', body: JSON.stringify({ ScheduleExpression: `at(${at})`, ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' }, ActionAfterCompletion: 'DELETE', Target: target }) });
  assert.equal(res.status, 200, res.text);
  const raw = await signedFetch(h.endpoint, 'GET', '/schedules/one-shot', { service: 'scheduler' });
  assert.equal(raw.json.ActionAfterCompletion, 'DELETE');
  assert.equal(raw.json.ScheduleExpression, `at(${at})`);
  const before = received('sched-fn').length;
  await advance(MIN);
  assert.equal(received('sched-fn').length, before);
  await advance(MIN + 1_000);
  await until(() => received('sched-fn').length === before + 1, 30_000);
  assert.deepEqual(received('sched-fn').at(-1), { once: true });
  await advance(0);
  await assert.rejects(aws('scheduler', ['get-schedule', '--name', 'one-shot']), /ResourceNotFoundException/);
});

test('aws scheduler: a role that may not invoke the function → no invocation; failure logged after the retries', { skip }, async () => {
  const target = { Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/powerless-role`, Input: '{"denied":true}', RetryPolicy: { MaximumRetryAttempts: 0 } };
  // Read before creating: the creation tick is due at once, and the server's own pass may fire it.
  const failures = h.app.schedules.delivery.failures.length;
  await aws('scheduler', ['create-schedule', '--name', 'denied', '--schedule-expression', 'rate(1 minute)', '--flexible-time-window', 'Mode=OFF', '--target', JSON.stringify(target)]);
  await advance(0);
  assert.equal(h.app.schedules.delivery.failures.length, failures + 1);
  assert.equal(h.app.schedules.delivery.failures.at(-1)!.code, 'AccessDeniedException');
  assert.equal(received('sched-fn').filter((e) => e.denied).length, 0);
  await aws('scheduler', ['delete-schedule', '--name', 'denied']);
});

test('aws scheduler: creating a schedule needs iam:PassRole on its role', { skip }, async () => {
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: 'scheduler-admin' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'scheduler-admin', PolicyName: 'scheduler', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'scheduler:*', Resource: '*' }] }) }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'scheduler-admin' }))).AccessKey!;
  const keys = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  const target = JSON.stringify({ Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role` });
  const create = () => aws('scheduler', ['create-schedule', '--name', 'passed', '--schedule-expression', 'rate(1 hour)', '--flexible-time-window', 'Mode=OFF', '--target', target], keys);
  await assert.rejects(create(), /AccessDeniedException.*iam:PassRole/);
  await iam.send(new PutUserPolicyCommand({ UserName: 'scheduler-admin', PolicyName: 'pass', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${ACCOUNT}:role/scheduler-role`, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } }] }) }));
  iam.destroy();
  await create();
  await aws('scheduler', ['delete-schedule', '--name', 'passed'], keys);
});
