import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LocalExecutionEnvironment } from '../../src/invoke/execution-environment.js';
import type { EnvironmentBinding, EnvironmentDeps } from '../../src/invoke/environment-contract.js';
import type { RuntimeCatalog } from '../../src/invoke/runtime-catalog.js';
import type { LogStreams } from '../../src/ports/log-storage.js';
import type { Sandbox, SandboxDriver, SandboxExit, SandboxSpec } from '../../src/ports/sandbox-driver.js';
import type { FunctionConfiguration } from '../../src/domain/records.js';
import { SessionCredentials } from '../helpers/in-memory-role-credentials.js';
import { FakeClock } from '../helpers/fake-clock.js';

/*
 * The environment's timers (init limit, invocation timeout) on a fake clock: the test plays the
 * runtime over the environment's real Runtime API endpoint, and moves time instead of waiting.
 */

const agent = new http.Agent({ keepAlive: false });

/** One HTTP call to the environment's Runtime API. */
function call(api: { host: string; port: number }, method: string, path: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: api.host, port: api.port, method, path: `/2018-06-01/runtime/${path}`, agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function environment(timeoutSeconds: number) {
  const clock = new FakeClock();
  let spec: SandboxSpec | undefined;
  let exit!: (e: SandboxExit) => void;
  const exited = new Promise<SandboxExit>((r) => (exit = r));
  const lines: string[] = [];
  const sandbox: Sandbox = { id: 's', pid: -1, runtimeApiAddress: '', exited, maxMemoryBytes: () => 64 * 1024 * 1024, destroy: async () => exit({ code: null, signal: 'SIGKILL', oomKilled: false }) };
  const driver = {
    name: 'fake',
    paths: () => ({ taskRoot: '/var/task', runtimeDir: '/var/runtime', opt: '/opt', tmp: '/tmp' }),
    runtimeApiAddress: (s: { runtimeApi: { host: string; port: number } }) => `${s.runtimeApi.host}:${s.runtimeApi.port}`,
    start: async (s: SandboxSpec) => {
      spec = s;
      return sandbox;
    },
  } as unknown as SandboxDriver;
  const logs: LogStreams = {
    openStream: (g, s) => ({ logGroupName: g, logStreamName: s, append: (_t, m) => lines.push(m), commit: () => {}, close: async () => {} }),
  } as LogStreams;
  const runtimes = { pathVariable: () => '/usr/bin:/bin' } as unknown as RuntimeCatalog;
  const config = { FunctionName: 'fn', Version: '$LATEST', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/exec', MemorySize: 128, Timeout: timeoutSeconds } as unknown as FunctionConfiguration;
  const binding: EnvironmentBinding = {
    functionName: 'fn', version: '$LATEST', config, codeDir: '/code', layerDirs: [], initializationType: 'on-demand',
    runtime: { runtime: 'nodejs20.x', family: 'nodejs', runtimeDir: '/r', launch: () => ({ argv: ['/bin/true'], env: {} }) } as unknown as EnvironmentBinding['runtime'],
  };
  const deps: EnvironmentDeps = { driver, runtimes, logs, credentials: new SessionCredentials({ clock, accountId: '000000000000' }), clock, region: 'us-east-1', initTimeoutMs: 10_000, credentialTtlMs: 3_600_000 };
  const env = new LocalExecutionEnvironment(binding, deps);
  const api = () => spec!.runtimeApi;
  return { clock, env, lines, api, started: () => spec !== undefined };
}

async function until(clock: FakeClock, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await clock.advance(0);
  assert.ok(ok());
}

const input = (id: string) => ({ requestId: id, payload: Buffer.from('{"x":1}'), invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', traceId: 'Root=1-0-0' });

test('environment on fake time: an invocation past its Timeout ends as Sandbox.Timedout with Lambda\'s lines, at the timeout and not before', async () => {
  const { clock, env, lines, api, started } = environment(3);
  try {
    const init = env.start();
    await until(clock, started);
    // The runtime's first /next ends init; it is answered with the invocation.
    const next = call(api(), 'GET', 'invocation/next');
    assert.equal((await init).ok, true);
    assert.equal(env.state, 'Ready');
    let settled = false;
    const outcome = env.invoke(input('req-1')).finally(() => (settled = true));
    const event = await next;
    assert.equal(event.headers['lambda-runtime-aws-request-id'], 'req-1');
    assert.equal(Number(event.headers['lambda-runtime-deadline-ms']), clock.now() + 3000);
    await clock.advance(2999);
    assert.equal(settled, false);
    assert.equal(env.state, 'Invoking');
    await clock.advance(1);
    const o = await outcome;
    assert.equal(o.errorType, 'Sandbox.Timedout');
    assert.equal(o.functionError, 'Unhandled');
    assert.match(o.payload.toString(), /Task timed out after 3\.00 seconds/);
    assert.ok(lines.some((l) => /Task timed out after 3\.00 seconds/.test(l)), lines.join('\n'));
    assert.match(o.log, /REPORT RequestId: req-1\tDuration: 3000\.00 ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB/);
    await until(clock, () => env.state === 'Stopped');
  } finally {
    await env.stop();
  }
});

test('environment on fake time: a reply before the timeout is the outcome; billing counts the init with the cold invocation', async () => {
  const { clock, env, api, started } = environment(3);
  try {
    const init = env.start();
    await until(clock, started);
    const next = call(api(), 'GET', 'invocation/next');
    await clock.advance(120); // init lasted 120 ms (fake)
    await init;
    const outcome = env.invoke(input('req-2'));
    await next;
    await clock.advance(40);
    const posted = call(api(), 'POST', 'invocation/req-2/response', '{"ok":true}');
    const o = await outcome;
    assert.equal((await posted).status, 202);
    assert.equal(o.payload.toString(), '{"ok":true}');
    assert.equal(o.startType, 'cold');
    assert.equal(o.durationMs, 40);
    assert.equal(o.initDurationMs, 120);
    assert.equal(o.billedDurationMs, 160);
  } finally {
    await env.stop();
  }
});

test('environment on fake time: a runtime that never reaches /next fails init at the 10 s init limit (Sandbox.Timedout, Init Duration the limit)', async () => {
  const { clock, env, started } = environment(3);
  try {
    let done = false;
    const init = env.start().finally(() => (done = true));
    await until(clock, started);
    await clock.advance(9999);
    assert.equal(done, false);
    await clock.advance(1);
    const r = await init;
    assert.equal(r.ok, false);
    assert.equal(env.state, 'Failed');
    const o = await env.invoke(input('req-3'));
    assert.equal(o.errorType, 'Sandbox.Timedout');
    assert.match(o.log, /INIT_REPORT Init Duration: 10000\.00 ms\tPhase: init\tStatus: timeout/);
  } finally {
    await env.stop();
  }
});
