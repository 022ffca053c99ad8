import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InvokeRequest } from '../../src/ports/invoker.js';
import { routeKeyFromReadModel } from '../../src/cluster/route-key.js';
import { rendezvousOrder } from '../../src/cluster/rendezvous.js';
import { idleEnvironmentsOf } from '../../src/cluster/pool-idle-environments.js';
import type { FunctionReadModel } from '../../src/ports/function-read-model.js';
import { deferred, echo, startRpcCluster } from '../helpers/rpc-cluster.js';

const req = (functionName: string): InvokeRequest => ({ functionName, payload: Buffer.from('{}') });

test('spread: 1,000 concurrent first invocations of 250 functions over 3 workers land within (1+ε) of the mean, none refused', async () => {
  const total = 1000;
  const epsilon = 0.02;
  // Each worker admits up to ⌈(1+ε) × mean⌉: rendezvous places the functions, admission bounds the load, spill places the rest.
  const cap = Math.ceil(((1 + epsilon) * total) / 3);
  // Hashing alone would overload one worker past that: the bound below is admission's and spill's doing.
  const byHash = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const first = rendezvousOrder(`fn-${i % 250}:$LATEST`, ['w1', 'w2', 'w3'], (x) => x)[0]!;
    byHash.set(first, (byHash.get(first) ?? 0) + 1);
  }
  assert.ok(Math.max(...byHash.values()) > cap, `hash alone: ${[...byHash.values()].join(', ')}`);
  const gate = deferred();
  let arrived = 0;
  let settled = 0;
  const c = await startRpcCluster({
    workers: 3,
    capacity: cap,
    server: { epsilon },
    handler: async (worker, r) => {
      arrived++;
      await gate.promise;
      return echo(worker, r);
    },
  });
  try {
    const remote = c.remote();
    // Everything is held until every invocation either reached a worker or failed: all 1,000 run at once.
    const open = () => {
      if (arrived + settled === total) gate.resolve();
    };
    const watch = setInterval(open, 5);
    const calls = Array.from({ length: total }, (_, i) =>
      remote.invoke(req(`fn-${i % 250}`)).catch((err: unknown) => {
        settled++;
        throw err;
      }),
    );
    const results = await Promise.allSettled(calls);
    clearInterval(watch);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
    const per = c.workers.map((w) => w.invoker.calls.length);
    assert.equal(per.reduce((a, b) => a + b, 0), total);
    const mean = total / 3;
    for (const n of per) assert.ok(n <= Math.ceil((1 + epsilon) * mean), `per worker ${per.join(', ')}: over (1+ε) × ${mean.toFixed(1)}`);
  } finally {
    gate.resolve();
    await c.close();
  }
});

test('admission: a worker at capacity still takes an invocation it can serve warm (an idle environment of its version)', async () => {
  const gate = deferred();
  const idle = new Map<string, number>([['warm-fn:$LATEST', 1]]);
  const c = await startRpcCluster({
    workers: 1,
    capacity: 1,
    server: { idleEnvironments: (fn, version) => idle.get(`${fn}:${version}`) ?? 0 },
    handler: async (worker, r) => {
      if (r.functionName === 'busy-fn') await gate.promise;
      return echo(worker, r);
    },
  });
  try {
    const apiA = c.remote();
    const holding = apiA.invoke(req('busy-fn'));
    while (c.workers[0]!.invoker.calls.length < 1) await new Promise((r) => setImmediate(r));
    const apiB = c.remote();
    await assert.rejects(apiB.invoke(req('cold-fn')), { name: 'TooManyRequestsException' });
    const warm = await apiB.invoke(req('warm-fn'));
    assert.equal(warm.statusCode, 200);
    gate.resolve();
    await holding;
  } finally {
    gate.resolve();
    await c.close();
  }
});

test('route keys: every name of a version (name, ARN, alias, qualified name) routes by the version it resolves to', () => {
  const versions: Record<string, string> = { '$LATEST': '$LATEST', '3': '3', live: '3' };
  const functions: Pick<FunctionReadModel, 'resolve'> = {
    resolve: (name, qualifier) => {
      const v = versions[qualifier ?? '$LATEST'];
      return name === 'orders' && v ? ({ name, record: { config: { Version: v } } } as unknown as ReturnType<FunctionReadModel['resolve']>) : undefined;
    },
  };
  const key = routeKeyFromReadModel(functions, 'us-east-1');
  assert.equal(key('orders', undefined), 'orders:$LATEST');
  assert.equal(key('orders', 'live'), 'orders:3');
  assert.equal(key('orders:live', undefined), 'orders:3');
  assert.equal(key('arn:aws:lambda:us-east-1:000000000000:function:orders:3', undefined), 'orders:3');
  assert.equal(key('000000000000:function:orders', 'live'), 'orders:3');
  // A weighted alias's version drawn on the api node: routed to that version's environments.
  assert.equal(key('orders', 'live', '4'), 'orders:4');
  assert.equal(key('arn:aws:lambda:us-east-1:000000000000:function:orders:live', undefined, '4'), 'orders:4');
  // Unknown to the read model: routed as named; the worker answers the 404.
  assert.equal(key('nope', 'x'), 'nope:x');
  // Another region: routed as given; the worker refuses it as a single node would.
  assert.equal(key('arn:aws:lambda:eu-west-1:000000000000:function:orders', undefined), 'arn:aws:lambda:eu-west-1:000000000000:function:orders:$LATEST');
});

test('admission reads the pool: only ready environments nobody holds count as idle', () => {
  const env = (state: string) => ({ state }) as never;
  const pool = {
    environments: (fn: string, v: string) =>
      fn === 'f' && v === '1'
        ? [{ env: env('Ready'), claimed: false }, { env: env('Ready'), claimed: true }, { env: env('Starting'), claimed: false }, { env: env('Ready'), claimed: false, provisionedFor: 'live' }]
        : [],
  };
  const idle = idleEnvironmentsOf(pool);
  assert.equal(idle('f', '1'), 2);
  assert.equal(idle('f', '2'), 0);
});

test('drain: a closing worker finishes what it runs, and new invocations go to the next candidate', async () => {
  const gate = deferred();
  const c = await startRpcCluster({
    workers: 2,
    capacity: 4,
    handler: async (worker, r) => {
      if (r.functionName === 'drain-fn' && r.payload.toString() === '"hold"') await gate.promise;
      return echo(worker, r);
    },
  });
  try {
    const remote = c.remote();
    const order = rendezvousOrder('drain-fn:$LATEST', ['w1', 'w2'], (x) => x);
    const first = c.workers.find((w) => w.id === order[0])!;
    const running = remote.invoke({ functionName: 'drain-fn', payload: Buffer.from('"hold"') });
    while (first.invoker.calls.length < 1) await new Promise((r) => setImmediate(r));
    const closing = first.server.close();
    const next = await remote.invoke({ functionName: 'drain-fn', payload: Buffer.from('"go"') });
    assert.equal(JSON.parse(next.payload.toString()).worker, order[1]);
    gate.resolve();
    assert.equal(JSON.parse((await running).payload.toString()).worker, order[0]);
    await closing;
    assert.equal(first.invoker.calls.length, 1);
  } finally {
    gate.resolve();
    await c.close();
  }
});
