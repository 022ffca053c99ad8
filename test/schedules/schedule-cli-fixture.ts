import { before, after } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/**
 * The shared fixture of the Scheduler / EventBridge CLI tests: one Flint whose clock the tests move
 * (a fixed start plus an offset; each pass is run with `schedules.runDue()`), functions that append
 * each event they receive to a marks file, and roles for Scheduler. Imported once per test file.
 */
export const run = promisify(execFile);
export const AWS_CLI = '/usr/bin/aws';
export const ACCOUNT = '000000000000';
export const MIN = 60_000;
export const RECORDER = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ fn: context.functionName, requestId: context.awsRequestId, event }) + '\\n');
};`;

export let h: Harness;
export let home: string;
export let marks: string;
// Starts 5 minutes behind real time: the tests move it forward by ~13 minutes in all, and SigV4
// allows 15 minutes of skew between the CLI's signing time and the server's clock.
export const clock = { base: Date.now() - 5 * MIN, offset: 0, now() { return this.base + this.offset; }, monotonic: () => performance.now() };
export const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

export function aws(service: string, args: string[], keys: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS): Promise<any> {
  const env = { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
  return run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', service, ...args], { env }).then(
    ({ stdout }) => (stdout.trim() === '' ? {} : JSON.parse(stdout)),
    (e: { stderr: string }) => { throw new Error(e.stderr.trim()); },
  );
}

/**
 * The events `fn` received, one per invocation: a redelivery or retry of the same event (same
 * request id, Lambda's at-least-once async delivery) counts once, so the counts are the ticks'.
 */
export const received = (fn: string): any[] => {
  if (!existsSync(marks)) return [];
  const seen = new Set<string>();
  return readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((m) => m.fn === fn && !seen.has(m.requestId) && seen.add(m.requestId))
    .map((m) => m.event);
};

export async function advance(ms: number): Promise<void> {
  // Invocations still running (leased) when the clock jumps would see their lease expire in the
  // test's time and be delivered again (at-least-once) — a duplicate the exact counts here are not
  // about, seen on a loaded host. Time moves once they are done.
  if (ms > 0) {
    for (let i = 0; i < 3000; i++) {
      const m = await h.app.asyncInvocation.pollers.metrics();
      if (m.inFlight === 0 && m.running === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
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

export const skip = !existsSync(AWS_CLI) && 'no /usr/bin/aws';

