import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credential } from '../../src/domain/principal.js';
import type { RoleCredentials } from '../../src/ports/role-credentials.js';
import type { FunctionConfiguration } from '../../src/domain/records.js';
import { EnvironmentSession, ROLE_CANNOT_BE_ASSUMED } from '../../src/invoke/environment-session.js';
import { LocalExecutionEnvironment } from '../../src/invoke/execution-environment.js';
import { RuntimeCatalog } from '../../src/invoke/runtime-catalog.js';
import { SessionCredentials } from '../helpers/in-memory-role-credentials.js';
import { FileLogStorage } from '../../src/store/file-log-storage.js';
import { ProcessSandboxDriver } from '../../src/sandbox/process-driver.js';
import { runtimeFilesDir } from '../../src/runtimes/runtime-files.js';
import { until } from '../helpers/until.js';
import { withTimers } from '../../src/app/system-clock.js';

const HOUR = 3_600_000;
const ROLE = 'arn:aws:iam::000000000000:role/service-role/exec';

/** A clock the test moves. */
function movableClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, monotonic: () => now, advance: (ms: number) => { now += ms; } };
}

/** The in-memory port, recording what the data plane asks of it. */
function recording(clock: { now(): number; monotonic(): number }, fail: { issue?: boolean; extend?: boolean } = {}) {
  const inner = new SessionCredentials({ clock, accountId: '000000000000' });
  const calls: string[] = [];
  const port: RoleCredentials & { calls: string[]; inner: SessionCredentials } = {
    calls,
    inner,
    issueForService(roleArn, sessionName, ttlMs) {
      calls.push(`issue ${roleArn} ${sessionName} ${ttlMs}`);
      if (fail.issue) throw new Error('NoSuchEntity: The role with name exec cannot be found.');
      return inner.issueForService(roleArn, sessionName, ttlMs);
    },
    extend(key, ttlMs) {
      calls.push(`extend ${ttlMs}`);
      if (fail.extend) throw new Error('gone');
      inner.extend(key, ttlMs);
    },
    revoke(key) {
      calls.push('revoke');
      inner.revoke(key);
    },
  };
  return port;
}

test('execution role: an environment session is the assumed-role session arn:aws:sts::<acct>:assumed-role/<role>/<function>', () => {
  const clock = movableClock();
  const creds = recording(clock);
  const s = EnvironmentSession.issue({ credentials: creds, clock, ttlMs: HOUR }, ROLE, 'my-function');
  try {
    assert.deepEqual(creds.calls, [`issue ${ROLE} my-function ${HOUR}`]);
    const c: Credential = s.credential;
    assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(c.principal.arn, 'arn:aws:sts::000000000000:assumed-role/exec/my-function');
    assert.equal(c.principal.type, 'AssumedRole');
    assert.equal(c.principal.roleArn, ROLE);
    assert.equal(s.expiresAt, clock.now() + HOUR);
  } finally {
    s.close();
  }
});

test('execution role: the session is extended at an invocation start only once half its lifetime has passed', () => {
  const clock = movableClock();
  const creds = recording(clock);
  const s = EnvironmentSession.issue({ credentials: creds, clock, ttlMs: HOUR }, ROLE, 'fn');
  try {
    clock.advance(HOUR / 2 - 1000);
    assert.equal(s.refresh(), true);
    assert.deepEqual(creds.calls.slice(1), [], 'more than half left: nothing to do');
    clock.advance(2000);
    assert.equal(s.refresh(), true);
    assert.deepEqual(creds.calls.slice(1), [`extend ${HOUR}`]);
    assert.equal(s.expiresAt, clock.now() + HOUR);
    // Past the original expiry, the key still verifies: the extension moved it.
    clock.advance(HOUR / 2 + 1000);
    assert.ok(creds.inner.credential(s.accessKeyId), 'still live after the first hour');
  } finally {
    s.close();
  }
});

test('execution role: a session that cannot be extended is reported, so the environment retires', () => {
  const clock = movableClock();
  const creds = recording(clock, { extend: true });
  const s = EnvironmentSession.issue({ credentials: creds, clock, ttlMs: HOUR }, ROLE, 'fn');
  clock.advance(HOUR * 0.75);
  assert.equal(s.refresh(), false);
  s.close();
  assert.equal(s.refresh(), false, 'a closed session is never refreshed');
});

test('execution role: closing revokes the key once; it no longer verifies', () => {
  const clock = movableClock();
  const creds = recording(clock);
  const s = EnvironmentSession.issue({ credentials: creds, clock, ttlMs: HOUR }, ROLE, 'fn');
  assert.ok(creds.inner.lookup(s.accessKeyId));
  s.close();
  s.close();
  assert.deepEqual(creds.calls.filter((c) => c === 'revoke'), ['revoke']);
  assert.equal(creds.inner.lookup(s.accessKeyId), undefined);
});

test('execution role: a role that cannot be assumed is InvalidParameterValueException with Lambda\'s message', () => {
  const clock = movableClock();
  assert.throws(
    () => EnvironmentSession.issue({ credentials: recording(clock, { issue: true }), clock, ttlMs: HOUR }, ROLE, 'fn'),
    (e: any) => e.type === 'InvalidParameterValueException' && e.message === ROLE_CANNOT_BE_ASSUMED && /NoSuchEntity/.test(e.cause.message),
  );
});

/** A real environment (process driver, Flint's Node.js bootstrap) with the given role credentials. */
function environment(credentials: RoleCredentials, clock: ReturnType<typeof movableClock>) {
  const root = mkdtempSync(join(tmpdir(), 'flint-role-'));
  const code = join(root, 'code');
  writeFileSync(join(root, 'package.json'), '{"type":"commonjs"}');
  mkdirSync(code);
  writeFileSync(join(code, 'index.js'), 'exports.handler = async () => ({ key: process.env.AWS_ACCESS_KEY_ID });');
  const runtimes = new RuntimeCatalog({ runtimeFilesDir: runtimeFilesDir(), nodePath: process.execPath, nodeVersion: process.versions.node, pythonPath: '/usr/bin/python3' });
  const config = { FunctionName: 'role-fn', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, MemorySize: 128, Timeout: 5 } as unknown as FunctionConfiguration;
  const logs = new FileLogStorage(join(root, 'logs'), () => clock.now());
  const env = new LocalExecutionEnvironment(
    { functionName: 'role-fn', version: '$LATEST', config, runtime: runtimes.resolve(config, code, []), codeDir: code, layerDirs: [], initializationType: 'on-demand' },
    { driver: new ProcessSandboxDriver({ scratchDir: join(root, 'sandboxes') }), runtimes, logs, credentials, clock: withTimers(clock), region: 'us-east-1', initTimeoutMs: 10_000, credentialTtlMs: HOUR },
  );
  const input = (n: number) => ({ requestId: `req-${n}`, payload: Buffer.from('{}'), invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:role-fn', traceId: 'Root=1-0-0' });
  return { env, input, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('execution role: an environment runs on its session, extends it at an invocation past half its lifetime, and revokes it when it stops', async () => {
  const clock = movableClock();
  const creds = recording(clock);
  const { env, input, cleanup } = environment(creds, clock);
  try {
    const first = JSON.parse((await env.invoke(input(1))).payload.toString());
    const key = first.key as string;
    assert.ok(creds.inner.lookup(key), 'the function sees the live session key');
    assert.deepEqual(creds.calls.map((c) => c.split(' ')[0]), ['issue']);
    clock.advance(HOUR * 0.6);
    // The pool hands an environment out only once its runtime is back in /next.
    await until(() => env.state === 'Ready');
    await env.invoke(input(2));
    assert.deepEqual(creds.calls.map((c) => c.split(' ')[0]), ['issue', 'extend']);
    await env.stop();
    assert.deepEqual(creds.calls.map((c) => c.split(' ')[0]), ['issue', 'extend', 'revoke']);
    assert.equal(creds.inner.lookup(key), undefined);
  } finally {
    await env.stop();
    cleanup();
  }
});

test('execution role: when the role cannot be assumed the invocation fails as Lambda\'s Invoke does, and nothing starts', async () => {
  const clock = movableClock();
  const { env, input, cleanup } = environment(recording(clock, { issue: true }), clock);
  try {
    await assert.rejects(env.invoke(input(1)), (e: any) => e.type === 'InvalidParameterValueException' && e.message === ROLE_CANNOT_BE_ASSUMED);
    await env.stop();
    assert.equal(env.state, 'Stopped');
  } finally {
    cleanup();
  }
});
