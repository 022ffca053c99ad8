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

test('aws scheduler: invalid expressions, zones, windows and names are refused with ValidationException; groups', { skip }, async () => {
  const target = JSON.stringify({ Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role` });
  const create = (name: string, expr: string, extra: string[] = []) => aws('scheduler', ['create-schedule', '--name', name, '--schedule-expression', expr, '--flexible-time-window', 'Mode=OFF', '--target', target, ...extra]);
  for (const expr of ['cron(* * * * * *)', 'cron(0 12 * * ?)', 'rate(1 minutes)', 'rate(0 hours)', 'at(2026-02-30T00:00:00)', 'every 5 minutes']) {
    await assert.rejects(create('bad', expr), (e: Error) => e.message.includes('ValidationException') && e.message.includes(`Invalid Schedule Expression ${expr}.`), expr);
  }
  await assert.rejects(create('bad', 'rate(5 minutes)', ['--schedule-expression-timezone', 'Mars/Olympus']), /ValidationException.*Invalid ScheduleExpressionTimezone Mars\/Olympus\./);
  await assert.rejects(aws('scheduler', ['create-schedule', '--name', 'bad', '--schedule-expression', 'rate(5 minutes)', '--flexible-time-window', 'Mode=FLEXIBLE', '--target', target]), /ValidationException/);
  await assert.rejects(create('bad name', 'rate(5 minutes)'), /ValidationException/);
  await assert.rejects(create('bad', 'rate(5 minutes)', ['--group-name', 'nogroup']), /ResourceNotFoundException.*Schedule group nogroup does not exist\./);
  await create('dupe', 'cron(0 12 ? * MON-FRI *)', ['--schedule-expression-timezone', 'Europe/Paris']);
  await assert.rejects(create('dupe', 'rate(5 minutes)'), /ConflictException.*Schedule dupe already exists\./);

  const g = await aws('scheduler', ['create-schedule-group', '--name', 'team', '--tags', 'Key=owner,Value=ops']);
  assert.equal(g.ScheduleGroupArn, `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/team`);
  await create('in-team', 'rate(5 minutes)', ['--group-name', 'team']);
  assert.equal((await aws('scheduler', ['get-schedule', '--name', 'in-team', '--group-name', 'team'])).GroupName, 'team');
  await assert.rejects(aws('scheduler', ['get-schedule', '--name', 'in-team']), /ResourceNotFoundException/);
  assert.deepEqual((await aws('scheduler', ['list-schedules', '--group-name', 'team'])).Schedules.map((s: any) => s.Name), ['in-team']);
  assert.deepEqual((await aws('scheduler', ['list-schedule-groups'])).ScheduleGroups.map((x: any) => [x.Name, x.State]), [['default', 'ACTIVE'], ['team', 'ACTIVE']]);
  assert.deepEqual((await aws('scheduler', ['list-tags-for-resource', '--resource-arn', g.ScheduleGroupArn])).Tags, [{ Key: 'owner', Value: 'ops' }]);
  await aws('scheduler', ['delete-schedule-group', '--name', 'team']);
  await assert.rejects(aws('scheduler', ['get-schedule-group', '--name', 'team']), /ResourceNotFoundException/);
  assert.deepEqual((await aws('scheduler', ['list-schedules'])).Schedules.map((s: any) => s.Name), ['dupe'], 'the group took its schedules with it');
  // Pagination.
  for (const n of ['p1', 'p2', 'p3']) await create(n, 'rate(5 minutes)');
  const page = await aws('scheduler', ['list-schedules', '--name-prefix', 'p', '--max-results', '2', '--no-paginate']);
  assert.equal(page.Schedules.length, 2);
  const rest = await aws('scheduler', ['list-schedules', '--name-prefix', 'p', '--max-results', '2', '--no-paginate', '--next-token', page.NextToken]);
  assert.deepEqual([...page.Schedules, ...rest.Schedules].map((s: any) => s.Name), ['p1', 'p2', 'p3']);
  assert.equal(rest.NextToken, undefined);
  for (const n of ['p1', 'p2', 'p3', 'dupe']) await aws('scheduler', ['delete-schedule', '--name', n]);
});
