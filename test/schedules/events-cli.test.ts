import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand, CreateUserCommand, PutUserPolicyCommand, CreateAccessKeyCommand } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { until } from '../helpers/until.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/**
 * Scheduler and EventBridge scheduled rules end to end with Debian's AWS CLI v2 against a real
 * Flint whose clock the test moves (a fixed start plus an offset; each pass is run with
 * `schedules.runDue()`). Functions append each event they receive to a marks file.
 */
const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const ACCOUNT = '000000000000';
const MIN = 60_000;
const RECORDER = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ fn: context.functionName, event }) + '\\n');
};`;

let h: Harness;
let home: string;
let marks: string;
// Starts 5 minutes behind real time: the tests move it forward by ~13 minutes in all, and SigV4
// allows 15 minutes of skew between the CLI's signing time and the server's clock.
const clock = { base: Date.now() - 5 * MIN, offset: 0, now() { return this.base + this.offset; }, monotonic: () => performance.now() };
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

function aws(service: string, args: string[], keys: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS): Promise<any> {
  const env = { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
  return run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', service, ...args], { env }).then(
    ({ stdout }) => (stdout.trim() === '' ? {} : JSON.parse(stdout)),
    (e: { stderr: string }) => { throw new Error(e.stderr.trim()); },
  );
}

const received = (fn: string): any[] => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.fn === fn).map((m) => m.event) : []);

async function advance(ms: number): Promise<void> {
  clock.offset += ms;
  const n = await h.app.schedules.runDue();
  if (process.env['DEBUG_SCHED']) console.error('pass', ms, n, existsSync(marks) ? readFileSync(marks, 'utf8') : '-');
}

before(async () => {
  h = await startHarness({}, { clock });
  home = mkdtempSync(join(tmpdir(), 'flint-aws-home-'));
  marks = join(home, 'marks.jsonl');
  const zip = await makeZip({ 'index.js': RECORDER });
  for (const name of ['sched-fn', 'rule-fn', 'rule-denied']) {
    await createFunction(h.client, name, { Code: { ZipFile: zip }, Timeout: 30, Environment: { Variables: { MARK_FILE: marks } } });
  }
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  await iam.send(new CreateRoleCommand({ RoleName: 'scheduler-role', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'scheduler-role', PolicyName: 'invoke', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('sched-fn') }] }) }));
  // Trusts Scheduler but may not invoke anything.
  await iam.send(new CreateRoleCommand({ RoleName: 'powerless-role', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  iam.destroy();
});

after(async () => {
  await h?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const skip = !existsSync(AWS_CLI) && 'no /usr/bin/aws';

test('aws events: put-rule rate(1 minute) + put-targets → the exact Scheduled Event, through the resource policy', { skip }, async () => {
  const rule = await aws('events', ['put-rule', '--name', 'tick', '--schedule-expression', 'rate(1 minute)']);
  const ruleArn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/tick`;
  assert.equal(rule.RuleArn, ruleArn);
  await h.client.send(new AddPermissionCommand({ FunctionName: 'rule-fn', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: ruleArn }));
  // rule-denied has a permission for another rule only: EventBridge may not invoke it for `tick`.
  await h.client.send(new AddPermissionCommand({ FunctionName: 'rule-denied', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/other` }));
  const put = await aws('events', ['put-targets', '--rule', 'tick', '--targets', `Id=1,Arn=${fnArn('rule-fn')}`, `Id=2,Arn=${fnArn('rule-denied')}`]);
  assert.deepEqual(put, { FailedEntryCount: 0, FailedEntries: [] });
  const described = await aws('events', ['describe-rule', '--name', 'tick']);
  assert.deepEqual(described, { Name: 'tick', Arn: ruleArn, ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', EventBusName: 'default', CreatedBy: ACCOUNT });
  assert.deepEqual((await aws('events', ['list-targets-by-rule', '--rule', 'tick'])).Targets, [{ Id: '1', Arn: fnArn('rule-fn') }, { Id: '2', Arn: fnArn('rule-denied') }]);

  const failures = h.app.schedules.delivery.failures.length;
  const tickAt = clock.now() + MIN;
  await advance(MIN);
  await until(() => received('rule-fn').length === 1);
  const event = received('rule-fn')[0];
  assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(JSON.stringify(event), JSON.stringify({
    version: '0', id: event.id, 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT,
    time: new Date(Math.floor(tickAt / 1000) * 1000).toISOString().replace('.000Z', 'Z'), region: 'us-east-1', resources: [ruleArn], detail: {},
  }));
  assert.equal(received('rule-denied').length, 0);
  assert.equal(h.app.schedules.delivery.failures.length, failures + 1, 'the denied target is a failed invocation');

  // Input and InputPath.
  await aws('events', ['put-targets', '--rule', 'tick', '--targets', JSON.stringify([{ Id: '1', Arn: fnArn('rule-fn'), Input: '{"custom":1}' }, { Id: '3', Arn: `${fnArn('rule-fn')}:$LATEST`, InputPath: '$.resources' }])]);
  await aws('events', ['remove-targets', '--rule', 'tick', '--ids', '2']);
  await advance(MIN);
  await until(() => received('rule-fn').length === 3);
  const latest = received('rule-fn').slice(1);
  assert.ok(latest.some((e) => JSON.stringify(e) === '{"custom":1}'));
  assert.ok(latest.some((e) => JSON.stringify(e) === JSON.stringify([ruleArn])));

  // Disabled: no ticks.
  await aws('events', ['disable-rule', '--name', 'tick']);
  assert.equal((await aws('events', ['describe-rule', '--name', 'tick'])).State, 'DISABLED');
  await advance(2 * MIN);
  assert.equal(received('rule-fn').length, 3);
  assert.deepEqual((await aws('events', ['list-rules', '--name-prefix', 'ti'])).Rules.map((r: any) => [r.Name, r.State]), [['tick', 'DISABLED']]);

  await assert.rejects(aws('events', ['delete-rule', '--name', 'tick']), /ValidationException.*Rule can't be deleted since it has targets\./);
  await aws('events', ['remove-targets', '--rule', 'tick', '--ids', '1', '3']);
  await aws('events', ['delete-rule', '--name', 'tick']);
  await assert.rejects(aws('events', ['describe-rule', '--name', 'tick']), /ResourceNotFoundException.*Rule tick does not exist on EventBus default\./);
});

test('aws events: invalid schedule expressions and patterns are refused', { skip }, async () => {
  for (const expr of ['cron(0 12 * * ?)', 'rate(1 minutes)', 'at(2026-07-01T00:00:00)', 'cron(* * * * * *)']) {
    await assert.rejects(aws('events', ['put-rule', '--name', 'bad', '--schedule-expression', expr]), /ValidationException.*Parameter ScheduleExpression is not valid\./, expr);
  }
  await assert.rejects(aws('events', ['put-rule', '--name', 'bad']), /ValidationException/);
  await assert.rejects(aws('events', ['put-rule', '--name', 'bad', '--event-pattern', '{not json']), /InvalidEventPatternException/);
  // A pattern rule is stored (it never matches: Flint has no event sources on the bus).
  await aws('events', ['put-rule', '--name', 'pattern', '--event-pattern', '{"source":["my.app"]}']);
  assert.equal((await aws('events', ['describe-rule', '--name', 'pattern'])).EventPattern, '{"source":["my.app"]}');
  await aws('events', ['delete-rule', '--name', 'pattern']);
  await assert.rejects(aws('events', ['put-targets', '--rule', 'missing', '--targets', `Id=1,Arn=${fnArn('rule-fn')}`]), /ResourceNotFoundException.*Rule missing does not exist on EventBus default\./);
});
