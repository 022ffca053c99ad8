import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { InvokeRequest } from '../../src/ports/invoker.js';
import { ServiceException, TooManyRequestsException } from '../../src/domain/errors.js';
import { rendezvousOrder } from '../../src/cluster/rendezvous.js';
import { deferred, echo, startRpcCluster, type RpcCluster } from '../helpers/rpc-cluster.js';

/** Invocations of `hold*` functions wait here until the test lets them go. */
let gate = deferred();
let c: RpcCluster;
before(async () => {
  c = await startRpcCluster({
    workers: 3,
    capacity: 1,
    handler: async (worker, req) => {
      if (req.functionName.startsWith('hold')) await gate.promise;
      return echo(worker, req);
    },
  });
});
after(async () => {
  gate.resolve();
  await c.close();
});

const ids = () => c.workers.map((w) => w.id);
const firstFor = (fn: string) => rendezvousOrder(`${fn}:$LATEST`, ids(), (id) => id);
const workerOf = (payload: Buffer) => (JSON.parse(payload.toString()) as { worker: string }).worker;
const req = (functionName: string): InvokeRequest => ({ functionName, payload: Buffer.from('{}') });
/** The error a promise rejects with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}
/** Resolves once `n` invocations of `fn` reached the workers' invokers. */
async function arrived(fn: string, n: number): Promise<void> {
  while (c.workers.reduce((a, w) => a + w.invoker.calls.filter((r) => r.functionName === fn).length, 0) < n) await new Promise((r) => setImmediate(r));
}

test('routing: a function version always goes to the same first worker (its warm environments) while that worker has room', async () => {
  const remote = c.remote();
  for (const fn of ['alpha', 'beta', 'gamma', 'delta']) {
    for (let i = 0; i < 5; i++) {
      const r = await remote.invoke(req(fn));
      assert.equal(workerOf(r.payload), firstFor(fn)[0], fn);
    }
  }
  // Different functions use different workers (these four are not all hashed to one).
  assert.ok(new Set(['alpha', 'beta', 'gamma', 'delta'].map((f) => firstFor(f)[0])).size > 1);
});

test('routing: a weighted alias goes to the worker of the version the api drew, and the worker runs that version', async () => {
  // routeOf as cluster nodes build it (route-key.ts): the alias's primary version unless one was drawn.
  const remote = c.remote({ routeOf: (name, q, version) => `${name}:${version ?? (q === 'live' ? '1' : '$LATEST')}` });
  const first = (v: string) => rendezvousOrder(`canary:${v}`, ids(), (id) => id)[0]!;
  let v = 2;
  while (first(String(v)) === first('1')) v++; // a version whose worker is not the primary's
  const drawn = await remote.invoke({ ...req('canary'), qualifier: 'live', version: String(v) });
  assert.equal(workerOf(drawn.payload), first(String(v)));
  const ran = c.workers.flatMap((w) => w.invoker.calls).filter((r) => r.functionName === 'canary');
  assert.deepEqual(ran.map((r) => [r.qualifier, r.version]), [['live', String(v)]], 'the draw travels with the request');
  const primary = await remote.invoke({ ...req('canary'), qualifier: 'live' });
  assert.equal(workerOf(primary.payload), first('1'));
});

test('routing: WorkerFull from the first candidate spills to the second', async () => {
  gate = deferred();
  const apiA = c.remote();
  const apiB = c.remote();
  const order = firstFor('hold-spill');
  const holding = apiA.invoke(req('hold-spill'));
  await arrived('hold-spill', 1);
  assert.equal(c.workers.find((w) => w.id === order[0])!.invoker.calls.filter((r) => r.functionName === 'hold-spill').length, 1);
  // The other api node knows nothing of the held invocation: it asks candidate 1 first, which refuses.
  assert.equal(apiB.candidates('hold-spill:$LATEST')[0]!.id, order[0]);
  const spilled = apiB.invoke(req('hold-spill'));
  await arrived('hold-spill', 2);
  gate.resolve();
  assert.equal(workerOf((await spilled).payload), order[1]);
  assert.equal(workerOf((await holding).payload), order[0]);
});

test('routing: a version with more invocations running than its first worker holds widens to the next workers', async () => {
  gate = deferred();
  const api = c.remote();
  const order = firstFor('hold-wide');
  const running = [api.invoke(req('hold-wide'))];
  await arrived('hold-wide', 1);
  // Its first worker's capacity is taken by this node's own invocation: the next starts at candidate 2 (no refusal round trip).
  assert.deepEqual(api.candidates('hold-wide:$LATEST').map((m) => m.id), [order[1], order[0], order[2]]);
  running.push(api.invoke(req('hold-wide')), api.invoke(req('hold-wide')));
  await arrived('hold-wide', 3);
  // One each: the second and third went straight to the next candidates, not through a refusal.
  for (const w of c.workers) assert.equal(w.invoker.calls.filter((r) => r.functionName === 'hold-wide').length, 1, w.id);
  gate.resolve();
  await Promise.all(running);
});

test('routing: when every candidate is full the caller gets the throttle single-node Flint gives (429 Rate Exceeded.)', async () => {
  gate = deferred();
  const apiA = c.remote();
  const apiB = c.remote();
  const running = [apiA.invoke(req('hold-full')), apiA.invoke(req('hold-full')), apiA.invoke(req('hold-full'))];
  await arrived('hold-full', 3);
  const err = await rejection(apiB.invoke(req('hold-full')));
  assert.ok(err instanceof TooManyRequestsException);
  assert.equal(err.message, 'Rate Exceeded.');
  assert.deepEqual(err.fields, { Reason: 'ConcurrentInvocationLimitExceeded' });
  assert.equal(err.headers['retry-after'], '1');
  assert.equal(c.workers.reduce((a, w) => a + w.invoker.calls.filter((r) => r.functionName === 'hold-full').length, 0), 3);
  gate.resolve();
  await Promise.all(running);
});

test('routing: a worker the membership lists with an old epoch refuses, and the next candidate runs the invocation', async () => {
  const order = firstFor('epoch-fn');
  const first = c.workers.find((w) => w.id === order[0])!;
  first.epoch = 2; // re-registered: the api's view still says 1
  try {
    const r = await c.remote().invoke(req('epoch-fn'));
    assert.equal(workerOf(r.payload), order[1]);
    assert.equal(first.invoker.calls.filter((x) => x.functionName === 'epoch-fn').length, 0);
  } finally {
    first.epoch = 1;
  }
});

test('routing: a worker that cannot be connected to is skipped before anything was sent, then tried last', async () => {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  probe.close();
  const saved = c.membership.list;
  // A fourth member at a closed port, first in the order of some function.
  const dead = c.member({ id: 'w-dead', address: `127.0.0.1:${port}`, epoch: 1 });
  c.membership.list = [...saved, dead];
  try {
    const fn = Array.from({ length: 200 }, (_, i) => `gone-${i}`).find((f) => rendezvousOrder(`${f}:$LATEST`, [...ids(), 'w-dead'], (id) => id)[0] === 'w-dead')!;
    const remote = c.remote();
    const r = await remote.invoke(req(fn));
    assert.equal(workerOf(r.payload), rendezvousOrder(`${fn}:$LATEST`, [...ids(), 'w-dead'], (id) => id)[1]);
    const order = remote.candidates(`${fn}:$LATEST`).map((m) => m.id);
    assert.equal(order[order.length - 1], 'w-dead');
  } finally {
    c.membership.list = saved;
  }
});

/** A worker in a process of its own (test/fixtures/cluster/rpc-worker.ts), listed in the membership while `use` runs. */
async function withProcessWorker(use: (w: { child: ReturnType<typeof spawn>; lines: AsyncIterator<string>; all: string[] }) => Promise<void>): Promise<void> {
  const tls = await c.ca.issue('w-proc');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster/rpc-worker.ts'], {
    env: { ...process.env, FLINT_TEST_WORKER: JSON.stringify({ ...tls, epoch: 1, id: 'w-proc' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const saved = c.membership.list;
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = Number(String((await lines.next()).value).replace('PORT ', ''));
    c.membership.list = [...saved, c.member({ id: 'w-proc', address: `127.0.0.1:${port}`, epoch: 1 }, 10)];
    await use({ child, lines, all: [...ids(), 'w-proc'] });
  } finally {
    c.membership.list = saved;
    child.kill('SIGKILL');
  }
}

test('routing: a worker that stops answering mid-invocation (paused, cut off) fails it with a service error once its session is silent too long', async () => {
  await withProcessWorker(async ({ child, lines, all }) => {
    const fn = Array.from({ length: 200 }, (_, i) => `hold-pause-${i}`).find((f) => rendezvousOrder(`${f}:$LATEST`, all, (id) => id)[0] === 'w-proc')!;
    const remote = c.remote({ liveness: { pingEveryMs: 50, deadAfterMs: 500 } });
    const inFlight = remote.invoke(req(fn));
    assert.equal((await lines.next()).value, `GOT ${fn}`);
    child.kill('SIGSTOP');
    const err = await rejection(inFlight);
    assert.ok(err instanceof ServiceException, String(err));
    assert.match((err as Error).message, /stopped answering/);
  });
});

test('routing: a worker killed mid-invocation fails it with a service error (never run again elsewhere), and the next one goes to another worker', async () => {
  await withProcessWorker(async ({ child, lines, all }) => {
    const fn = Array.from({ length: 200 }, (_, i) => `hold-kill-${i}`).find((f) => rendezvousOrder(`${f}:$LATEST`, all, (id) => id)[0] === 'w-proc')!;
    const remote = c.remote();
    const inFlight = remote.invoke(req(fn));
    assert.equal((await lines.next()).value, `GOT ${fn}`);
    child.kill('SIGKILL');
    const err = await rejection(inFlight);
    assert.ok(err instanceof ServiceException, String(err));
    assert.match((err as Error).message, /failed before it answered/);
    // Not retried behind the caller's back on another worker.
    assert.equal(c.workers.reduce((a, w) => a + w.invoker.calls.filter((r) => r.functionName === fn).length, 0), 0);
    // The membership still lists the dead worker (its lease has not run out): the circuit breaker sends the next elsewhere.
    gate = deferred();
    gate.resolve();
    const next = await remote.invoke(req(fn));
    assert.equal(workerOf(next.payload), rendezvousOrder(`${fn}:$LATEST`, all, (id) => id)[1]);
  });
});
