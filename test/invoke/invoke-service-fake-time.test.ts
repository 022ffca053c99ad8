import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeService, type InvocationTargets } from '../../src/invoke/invoke-service.js';
import { EnvironmentPool } from '../../src/invoke/environment-pool.js';
import { ConcurrencyLeases } from '../../src/invoke/concurrency-leases.js';
import type { RuntimeCatalog } from '../../src/invoke/runtime-catalog.js';
import type { CodeStore } from '../../src/ports/code-store.js';
import type { FunctionEvents } from '../../src/ports/function-events.js';
import type { FunctionReadModel } from '../../src/ports/function-read-model.js';
import type { FunctionVersionRecord } from '../../src/domain/records.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeEnvironment } from './fake-environment.js';

/*
 * The invoke service over a real pool of fake environments, on a fake clock: what it does with
 * time (the account's committed concurrency reused for a second, trace ids from the clock, idle
 * environments handed out warm until the pool reaps them).
 */
function service(opts: { accountLimit?: number } = {}) {
  const clock = new FakeClock(Date.UTC(2026, 11, 4, 12, 0, 0));
  const created: FakeEnvironment[] = [];
  const pool = new EnvironmentPool({
    clock,
    create: (b) => {
      const env = new FakeEnvironment(b, clock);
      created.push(env);
      return env;
    },
    idleTimeoutMs: 60_000,
    maxLifetimeMs: 3_600_000,
  });
  const record = { config: { FunctionName: 'fn', Version: '$LATEST', MemorySize: 128, Timeout: 3 }, codeSha256Hex: 'c', layerSha256Hex: [] } as unknown as FunctionVersionRecord;
  const targets: InvocationTargets = { resolveInvocationTarget: () => ({ record, executedVersion: '$LATEST', resolvedArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn' }) };
  let committedCalls = 0;
  let committed = 0;
  const invoke = new InvokeService({
    targets,
    functions: { function: () => undefined, provisionedConcurrency: () => undefined } as unknown as FunctionReadModel,
    code: { acquireExtracted: async () => ({ dir: '/code', release: async () => {} }) } as unknown as CodeStore,
    events: { subscribe: () => () => {} } as unknown as FunctionEvents,
    pool,
    leases: new ConcurrencyLeases(),
    runtimes: { resolve: () => ({}) } as unknown as RuntimeCatalog,
    clock,
    uuid: () => `req-${created.length}-${Math.random()}`,
    random: () => 0.5,
    accountLimit: opts.accountLimit ?? 10,
    committed: () => {
      committedCalls++;
      return committed;
    },
  });
  return { clock, pool, created, invoke, calls: () => committedCalls, setCommitted: (n: number) => (committed = n) };
}

async function invokeOnce(s: ReturnType<typeof service>): Promise<{ startType: string; traceId: string }> {
  const done = s.invoke.invoke({ functionName: 'fn', payload: Buffer.from('{}') });
  for (let i = 0; i < 50 && !s.created.some((e) => e.pending); i++) await s.clock.advance(0);
  const env = s.created.find((e) => e.pending)!;
  env.reply();
  const r = await done;
  return { startType: r.startType ?? '', traceId: env.inputs.at(-1)!.traceId };
}

test('invoke service on fake time: the account\'s committed concurrency is summed once a second, not per invocation', async () => {
  const s = service();
  try {
    await invokeOnce(s);
    await invokeOnce(s);
    assert.equal(s.calls(), 1);
    await s.clock.advance(1000);
    await invokeOnce(s);
    assert.equal(s.calls(), 1, 'at exactly 1 s it is still reused');
    await s.clock.advance(1);
    await invokeOnce(s);
    assert.equal(s.calls(), 2);
  } finally {
    await s.pool.close();
  }
});

test('invoke service on fake time: a change of committed concurrency throttles only once the cached sum expired', async () => {
  const s = service({ accountLimit: 10 });
  try {
    await invokeOnce(s);
    // Reservations now take all 10: the cached sum (0) still lets this one through…
    s.setCommitted(10);
    await invokeOnce(s);
    // …and once it expired, the unreserved pool is empty.
    await s.clock.advance(1001);
    await assert.rejects(s.invoke.invoke({ functionName: 'fn', payload: Buffer.from('{}') }), (err: Error) => err.name === 'TooManyRequestsException' || /Rate Exceeded/.test(err.message));
  } finally {
    await s.pool.close();
  }
});

test('invoke service on fake time: the first invocation is cold, the next warm on the same environment; a trace id carries the clock\'s time', async () => {
  const s = service();
  try {
    const first = await invokeOnce(s);
    const second = await invokeOnce(s);
    assert.equal(first.startType, 'cold');
    assert.equal(second.startType, 'warm');
    assert.equal(s.created.length, 1);
    const secs = Math.floor(s.clock.now() / 1000).toString(16);
    assert.match(first.traceId, new RegExp(`^Root=1-${secs}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`));
  } finally {
    await s.pool.close();
  }
});
