import type { InvokeRequest, InvokeResult, Invoker } from '../../src/ports/invoker.js';
import type { ClusterMember, ClusterMembership } from '../../src/ports/cluster-membership.js';
import { WorkerRpcServer, type WorkerRpcServerOptions } from '../../src/cluster/worker-rpc-server.js';
import { RemoteInvoker, type RemoteInvokerOptions } from '../../src/cluster/remote-invoker.js';
import { makeTestCa, type NodeTls, type TestCa } from './cluster-certs.js';
import { FakeClock } from './fake-clock.js';

/** A local Invoker that answers through `handler` and records what it ran. */
export class FakeInvoker implements Invoker {
  readonly calls: InvokeRequest[] = [];
  readonly #handler: (req: InvokeRequest) => Promise<InvokeResult>;

  constructor(handler: (req: InvokeRequest) => Promise<InvokeResult>) {
    this.#handler = handler;
  }

  invoke(req: InvokeRequest): Promise<InvokeResult> {
    this.calls.push(req);
    return this.#handler(req);
  }
}

/** A result naming the worker that produced it. */
export function echo(worker: string, req: InvokeRequest): InvokeResult {
  return {
    requestId: req.requestId ?? 'req-1',
    statusCode: 200,
    payload: Buffer.from(JSON.stringify({ worker, got: req.payload.toString('utf8') })),
    executedVersion: req.qualifier ?? '$LATEST',
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${req.functionName}`,
    startType: 'warm',
  };
}

/** A membership the test edits: members as given. */
export class FakeMembership implements ClusterMembership {
  readonly self = 'api-1';
  list: ClusterMember[] = [];
  members(): readonly ClusterMember[] {
    return this.list;
  }
}

export interface TestWorker {
  id: string;
  server: WorkerRpcServer;
  invoker: FakeInvoker;
  address: string;
  epoch: number;
  fenced: boolean;
}

export interface RpcCluster {
  ca: TestCa;
  apiTls: NodeTls;
  clock: FakeClock;
  membership: FakeMembership;
  workers: TestWorker[];
  remote(opts?: Partial<RemoteInvokerOptions>): RemoteInvoker;
  member(w: { id: string; address: string; epoch: number }, capacity?: number): ClusterMember;
  close(): Promise<void>;
}

/**
 * Workers (WorkerRpcServer on 127.0.0.1, each with its own fake local Invoker) and an api side
 * (RemoteInvoker) sharing one test CA and a fake membership listing the workers as active.
 */
export async function startRpcCluster(opts: {
  workers: number;
  capacity: number;
  handler: (worker: string, req: InvokeRequest) => Promise<InvokeResult>;
  server?: Partial<WorkerRpcServerOptions>;
}): Promise<RpcCluster> {
  const ca = await makeTestCa();
  const apiTls = await ca.issue('api-1');
  const clock = new FakeClock(Date.now());
  const membership = new FakeMembership();
  const workers: TestWorker[] = [];
  const remotes: RemoteInvoker[] = [];
  const member = (w: { id: string; address: string; epoch: number }, capacity = opts.capacity): ClusterMember => ({
    id: w.id,
    roles: ['worker'],
    address: w.address,
    capacity,
    epoch: w.epoch,
    leaseExpiresAt: clock.now() + 3_600_000,
    state: 'active',
  });
  for (let i = 1; i <= opts.workers; i++) {
    const id = `w${i}`;
    const tls = await ca.issue(id);
    const invoker = new FakeInvoker((req) => opts.handler(id, req));
    const w = { id, invoker, epoch: 1, fenced: false } as TestWorker;
    w.server = new WorkerRpcServer({ ...tls, invoker, capacity: opts.capacity, epoch: () => w.epoch, fenced: () => w.fenced, ...opts.server });
    const addr = await w.server.listen(0);
    w.address = `127.0.0.1:${addr.port}`;
    workers.push(w);
  }
  membership.list = workers.map((w) => member(w));
  return {
    ca,
    apiTls,
    clock,
    membership,
    workers,
    member,
    remote: (o = {}) => {
      const r = new RemoteInvoker({ membership, clock, ...apiTls, routeOf: (name, q) => `${name}:${q ?? '$LATEST'}`, ...o });
      remotes.push(r);
      return r;
    },
    close: async () => {
      for (const r of remotes) r.close();
      await Promise.all(workers.map((w) => w.server.close()));
    },
  };
}

/** A promise and its resolver (to hold invocations open). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
