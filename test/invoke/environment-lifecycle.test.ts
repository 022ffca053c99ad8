import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  DeleteFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  GetProvisionedConcurrencyConfigCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { body, deploy, fixtureZip, invoke, tail, waitActive } from './fixture-functions.js';
import { until } from '../helpers/until.js';

/** Idle environments are reaped after this long in this file's server. */
const IDLE_MS = 600;

let h: Harness;
before(async () => {
  h = await startHarness({ sandbox: 'process', idleTimeoutMs: IDLE_MS, initTimeoutMs: 1500 });
});
after(async () => {
  await h.stop();
});

const envs = (name: string, version = '$LATEST') => h.app.dataPlane.pool.environments(name, version);


test('lifecycle: a warm environment keeps module state and /tmp between invocations', async () => {
  await deploy(h, { name: 'warm', scenario: 'tmp-persistence', runtime: 'nodejs' });
  const first = body(await invoke(h, 'warm', { write: 'persisted' }));
  const second = body(await invoke(h, 'warm', {}));
  assert.deepEqual([first.invocations, second.invocations, second.tmp], [1, 2, 'persisted']);
  assert.equal(envs('warm').length, 1);
});

test('lifecycle: concurrent invocations get environments of their own; later ones reuse them', async () => {
  await deploy(h, { name: 'parallel', scenario: 'concurrency', runtime: 'nodejs' });
  // Each holds its environment for a second, so all three overlap even on a loaded machine.
  const results = await Promise.all([1, 2, 3].map(() => invoke(h, 'parallel', { ms: 1000 })));
  const streams = new Set(results.map((r) => body(r).stream));
  assert.equal(streams.size, 3);
  assert.equal(envs('parallel').length, 3);
  const again = body(await invoke(h, 'parallel', { ms: 0 }));
  assert.ok(streams.has(again.stream), 'a warm environment served the next invocation');
});

test('lifecycle: a timeout answers Sandbox.Timedout and replaces the environment', async () => {
  await deploy(h, { name: 'slow', scenario: 'timeout', runtime: 'nodejs', timeout: 1 });
  const t = performance.now();
  const r = await invoke(h, 'slow', { ms: 5000 }, { LogType: 'Tail' });
  const took = performance.now() - t;
  assert.equal(r.StatusCode, 200);
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(body(r), { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Task timed out after 1.00 seconds` });
  assert.ok(took >= 1000 && took < 3000, `answered after ${took} ms`);
  const log = tail(r);
  assert.match(log, new RegExp(`\\n\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${r.$metadata.requestId} Task timed out after 1\\.00 seconds\\nEND RequestId: `));
  assert.match(log, /\tStatus: timeout\tError Type: Sandbox\.Timedout\t\n$/);
  const next = await invoke(h, 'slow', { ms: 1 }, { LogType: 'Tail' });
  assert.equal(body(next), 'woke up');
  assert.match(tail(next), /Init Duration/, 'the next invocation starts a new environment');
  assert.equal(h.app.dataPlane.logs.streams('/aws/lambda/slow')!.length, 2);
});

test('lifecycle: a runtime that crashes mid-invocation is Runtime.ExitError; the environment is replaced', async () => {
  await deploy(h, { name: 'crashy', scenario: 'crash', runtime: 'nodejs' });
  const r = await invoke(h, 'crashy', { how: 'exit', code: 3 }, { LogType: 'Tail' });
  assert.deepEqual(body(r), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: exit status 3` });
  assert.match(tail(r), /\nRequestId: \S+ Error: Runtime exited with error: exit status 3\nRuntime\.ExitError\nEND RequestId: /);
  assert.equal(body(await invoke(h, 'crashy', { how: 'nothing' })), 'survived');
  const uncaught = body(await invoke(h, 'crashy', { how: 'uncaught' }));
  assert.equal(uncaught.errorType, 'Error');
  assert.equal(uncaught.errorMessage, 'thrown from a timer');
  const rejected = body(await invoke(h, 'crashy', { how: 'rejection' }));
  assert.deepEqual([rejected.errorType, rejected.errorMessage], ['Runtime.UnhandledPromiseRejection', 'Error: nobody handles this']);
  assert.equal(body(await invoke(h, 'crashy', { how: 'nothing' })), 'survived');
});

test('lifecycle: exceeding MemorySize is Runtime.OutOfMemory (Node.js and Python)', async () => {
  await deploy(h, { name: 'oom-node', scenario: 'oom', runtime: 'nodejs', timeout: 20 });
  await deploy(h, { name: 'oom-py', scenario: 'oom', runtime: 'python', timeout: 20 });
  for (const name of ['oom-node', 'oom-py']) {
    const r = await invoke(h, name, {}, { LogType: 'Tail' });
    assert.equal(r.FunctionError, 'Unhandled', name);
    assert.deepEqual(body(r), { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: signal: killed` }, name);
    assert.match(tail(r), /\tMax Memory Used: 128 MB\t.*Status: error\tError Type: Runtime\.OutOfMemory\t\n$/, name);
  }
});

test('lifecycle: idle environments are stopped after the idle timeout', async () => {
  await deploy(h, { name: 'idle', scenario: 'echo', runtime: 'python' });
  await invoke(h, 'idle');
  assert.equal(envs('idle').length, 1);
  await until(() => envs('idle').length === 0, IDLE_MS * 5);
});

test('lifecycle: a configuration update retires the old environments; the next invocation sees the new settings', async () => {
  await deploy(h, { name: 'reconf', scenario: 'env-dump', runtime: 'nodejs', env: { STAGE: 'one' } });
  assert.equal(body(await invoke(h, 'reconf')).env.STAGE, 'one');
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'reconf', Environment: { Variables: { STAGE: 'two' } } }));
  await waitActive(h, 'reconf');
  assert.equal(body(await invoke(h, 'reconf')).env.STAGE, 'two');
});

test('lifecycle: deleting a function stops its environments', async () => {
  await deploy(h, { name: 'doomed', scenario: 'echo', runtime: 'nodejs' });
  await invoke(h, 'doomed');
  assert.equal(envs('doomed').length, 1);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
  await until(() => envs('doomed').length === 0);
});

test('lifecycle: an init longer than the init limit is Sandbox.Timedout', async () => {
  await deploy(h, { name: 'slow-init', scenario: 'init-error', runtime: 'nodejs', handler: 'slow.handler' });
  const r = await invoke(h, 'slow-init', {}, { LogType: 'Tail' });
  assert.deepEqual(body(r), { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Task timed out after 1.50 seconds` });
  const m = /^INIT_REPORT Init Duration: (\d+\.\d\d) ms\tPhase: init\tStatus: timeout\n/.exec(tail(r));
  assert.ok(m, tail(r));
  // At least the limit; a loaded host's timers may fire late, so no upper bound.
  assert.ok(Number(m[1]) >= 1500, m[1]);
});

test('concurrency: reserved concurrency 0 throttles with 429 TooManyRequestsException, its Reason and Retry-After', async () => {
  await deploy(h, { name: 'zero', scenario: 'echo', runtime: 'nodejs' });
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'zero', ReservedConcurrentExecutions: 0 }));
  await assert.rejects(invoke(h, 'zero'), (err: any) => {
    assert.equal(err.name, 'TooManyRequestsException');
    assert.equal(err.$metadata.httpStatusCode, 429);
    assert.equal(err.message, 'Rate Exceeded.');
    assert.equal(err.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(err.Type, 'User');
    assert.equal(err.retryAfterSeconds, '1');
    return true;
  });
});

test('concurrency: reserved concurrency 1 lets one invocation run and throttles the second', async () => {
  await deploy(h, { name: 'one-at-a-time', scenario: 'concurrency', runtime: 'nodejs' });
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'one-at-a-time', ReservedConcurrentExecutions: 1 }));
  const first = invoke(h, 'one-at-a-time', { ms: 1500 });
  // The second is sent once the first holds its environment (not after a fixed delay, which a
  // loaded host may not honour).
  await until(() => envs('one-at-a-time').length === 1);
  const results = await Promise.allSettled([first, invoke(h, 'one-at-a-time', { ms: 0 })]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.equal((results[1] as PromiseRejectedResult).reason.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  // Once the first one is done, the function runs again.
  assert.equal((await invoke(h, 'one-at-a-time', { ms: 0 })).StatusCode, 200);
});

test('concurrency: provisioned concurrency pre-starts environments, reports READY and serves the qualifier', async () => {
  await deploy(h, { name: 'prov', scenario: 'concurrency', runtime: 'nodejs', publish: true });
  await h.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
  await until(async () => (await h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '1' }))).Status === 'READY');
  const cfg = await h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov', Qualifier: '1' }));
  assert.deepEqual([cfg.AllocatedProvisionedConcurrentExecutions, cfg.AvailableProvisionedConcurrentExecutions], [2, 2]);
  assert.equal(envs('prov', '1').length, 2);
  const r = await invoke(h, 'prov', { ms: 0 }, { Qualifier: '1', LogType: 'Tail' });
  assert.equal(body(r).initType, 'provisioned-concurrency');
  assert.doesNotMatch(tail(r), /Init Duration/, 'no init on the invocation path');
  // Idle provisioned environments are not reaped.
  await new Promise((res) => setTimeout(res, IDLE_MS * 2));
  assert.equal(envs('prov', '1').length, 2);
  // Unqualified invocations run on demand.
  assert.equal(body(await invoke(h, 'prov', { ms: 0 })).initType, 'on-demand');
});

test('concurrency: provisioned environments of an alias follow it to the version it moves to', async () => {
  await deploy(h, { name: 'moving', scenario: 'concurrency', runtime: 'nodejs', publish: true });
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'moving', ZipFile: await fixtureZip('echo', 'nodejs') }));
  await waitActive(h, 'moving');
  await h.client.send(new PublishVersionCommand({ FunctionName: 'moving' }));
  await h.client.send(new CreateAliasCommand({ FunctionName: 'moving', Name: 'live', FunctionVersion: '1' }));
  await h.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'moving', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }));
  await until(async () => (await h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'moving', Qualifier: 'live' }))).Status === 'READY');
  assert.deepEqual([envs('moving', '1').length, envs('moving', '2').length], [1, 0]);
  await h.client.send(new UpdateAliasCommand({ FunctionName: 'moving', Name: 'live', FunctionVersion: '2' }));
  await until(() => envs('moving', '1').length === 0 && envs('moving', '2').length === 1);
  assert.equal(envs('moving', '2')[0]!.provisionedFor, 'live');
});

test('concurrency: a provisioned environment that fails to initialize marks the config FAILED', async () => {
  await deploy(h, { name: 'prov-bad', scenario: 'init-error', runtime: 'nodejs', handler: 'throws.handler', publish: true });
  await h.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'prov-bad', Qualifier: '1', ProvisionedConcurrentExecutions: 1 }));
  await until(async () => (await h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov-bad', Qualifier: '1' }))).Status !== 'IN_PROGRESS');
  const cfg = await h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'prov-bad', Qualifier: '1' }));
  assert.equal(cfg.Status, 'FAILED');
  assert.equal(cfg.StatusReason, 'FUNCTION_ERROR_INIT_FAILURE');
  assert.equal(cfg.AllocatedProvisionedConcurrentExecutions, 0);
});

test('logs: each environment writes a log stream the reader lists and reads back', async () => {
  await deploy(h, { name: 'logged', scenario: 'echo', runtime: 'nodejs' });
  const r = await invoke(h, 'logged', { line: 'one' });
  const streams = h.app.dataPlane.logs.streams('/aws/lambda/logged')!;
  assert.equal(streams.length, 1);
  assert.match(streams[0]!.logStreamName, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  const events = await h.app.dataPlane.logs.read('/aws/lambda/logged', streams[0]!.logStreamName);
  assert.match(events[4]!.message, /^REPORT RequestId: /);
  const messages = events.map((e) => e.message);
  assert.match(messages[0]!, /^INIT_START Runtime Version: flint:nodejs20\.x$/);
  assert.equal(messages[1], `START RequestId: ${r.$metadata.requestId} Version: $LATEST`);
  assert.match(messages[2]!, /\tINFO\t\{ line: 'one' \}$/);
  assert.equal(messages[3], `END RequestId: ${r.$metadata.requestId}`);
  assert.ok(events.every((e) => typeof e.timestamp === 'number' && e.timestamp > 0));
  assert.ok(h.app.dataPlane.logs.group('/aws/lambda/logged'), "the function's first line created its log group");
});
