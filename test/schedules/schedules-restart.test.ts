import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { until } from '../helpers/until.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/**
 * Each tick fires once across restarts: an EventBridge rule (OFF: a missed tick fires on start
 * within 60 s, older ones are skipped) and a Scheduler schedule with a 15-minute flexible window
 * (a missed tick fires on start while its window lasts), on one data dir through four servers.
 */
const MIN = 60_000;
const ACCOUNT = '000000000000';
const RECORDER = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ fn: context.functionName, event }) + '\\n');
};`;

test('restart: missed ticks fire once on start within the grace or window, older ones are skipped', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-sched-restart-'));
  const marks = join(dataDir, '..', `${dataDir.split('/').pop()}-marks.jsonl`);
  const clock = { base: Date.now(), offset: 0, now() { return this.base + this.offset; }, monotonic: () => performance.now() };
  let h: Harness | undefined;
  t.after(async () => { await h?.stop(); rmSync(dataDir, { recursive: true, force: true }); rmSync(marks, { force: true }); });
  const received = (fn: string) => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((m) => m.fn === fn) : []);
  const restartAt = async (offset: number) => {
    await h?.stop();
    clock.offset = offset;
    h = await startHarness({}, { clock, dataDir });
    await h.app.schedules.runDue();
    await h.app.schedules.runDue();
  };

  await restartAt(0);
  const zip = await makeZip({ 'index.js': RECORDER });
  for (const fn of ['rule-fn', 'flex-fn']) await createFunction(h!.client, fn, { Code: { ZipFile: zip }, Timeout: 30, Environment: { Variables: { MARK_FILE: marks } } });
  const ruleArn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/five`;
  const events = (target: string, body: unknown) => signedFetch(h!.endpoint, 'POST', '/', { service: 'events', headers: { 'x-amz-target': `AWSEvents.${target}`, 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(body) });
  assert.equal((await events('PutRule', { Name: 'five', ScheduleExpression: 'rate(5 minutes)' })).status, 200);
  await h!.client.send(new AddPermissionCommand({ FunctionName: 'rule-fn', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: ruleArn }));
  assert.equal((await events('PutTargets', { Rule: 'five', Targets: [{ Id: 't', Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:rule-fn` }] })).status, 200);

  const iam = new IAMClient({ endpoint: h!.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateRoleCommand({ RoleName: 'sched', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'sched', PolicyName: 'invoke', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] }) }));
  iam.destroy();
  const created = await signedFetch(h!.endpoint, 'POST', '/schedules/hourly', { service: 'scheduler', body: JSON.stringify({
    ScheduleExpression: 'rate(1 hour)', StartDate: (clock.now() + 60 * MIN) / 1000, FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
    Target: { Arn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:flex-fn`, RoleArn: `arn:aws:iam::${ACCOUNT}:role/sched`, Input: '{"flex":true}' },
  }) });
  assert.equal(created.status, 200, created.text);

  // Down over the 5:00 tick; back 30 s later: it fires once.
  await restartAt(5 * MIN + 30_000);
  await until(() => received('rule-fn').length === 1);
  // Down over 10:00 and 15:00; back at 16:30: both are over a minute old → skipped.
  await restartAt(16 * MIN + 30_000);
  // Down until 20:20: the 20:00 tick fires (20 s old), once, even with a second pass.
  await restartAt(20 * MIN + 20_000);
  await until(() => received('rule-fn').length === 2);
  await sleep(200);
  await h!.app.schedules.runDue();
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  assert.deepEqual(received('rule-fn').map((m) => m.event.time), [iso(clock.base + 5 * MIN), iso(clock.base + 20 * MIN)]);

  // The hourly flexible schedule: down over 60:00 until 75:00. Its point in the 15-minute window
  // is a hash of the schedule and the tick (up to 14:59.999 in): at 75:00 it has passed whatever
  // the hash, and the tick is still within the window, so it fires once on start.
  assert.equal(received('flex-fn').length, 0);
  await restartAt(75 * MIN);
  await until(() => received('flex-fn').length === 1);
  assert.deepEqual(received('flex-fn')[0].event, { flex: true });
  // Down over 120:00 until 135:01 — its window is over: skipped.
  await restartAt(135 * MIN + 1_000);
  await sleep(300);
  assert.equal(received('flex-fn').length, 1);
});
