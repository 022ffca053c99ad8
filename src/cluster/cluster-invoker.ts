import type { InvokeRequest, InvokeResult, Invoker, SyncInvoker } from '../ports/invoker.js';
import type { ConcurrencyTokens } from './concurrency-tokens.js';

/** What the api node needs of an invocation's target before routing it. */
export interface RoutedTarget {
  functionName: string;
  /** The version that runs: an alias's weighted routing is drawn here, once, and routed by. */
  version: string;
  /** The function's reserved concurrency, when it has one. */
  reserved?: number;
  timeoutMs: number;
}

/**
 * The sync data plane of an api (or poller) node in cluster mode: resolves the target (so a
 * missing function or a bad qualifier fails here, with the error a single node gives), takes a
 * cluster-wide concurrency token for functions with reserved concurrency (exact across api
 * nodes: Lambda never runs more than the reservation), and runs the invocation on a worker.
 *
 * Functions without a reservation draw on the unreserved pool, which the workers' admission
 * bounds (each worker's capacity) rather than a cluster-wide counter: one counter row for every
 * invocation of the account would serialise the whole cluster's invoke rate on one row lock
 * (docs/cluster.md, "Concurrency").
 */
export class ClusterInvoker implements SyncInvoker {
  readonly #remote: Invoker;
  readonly #tokens: ConcurrencyTokens | undefined;
  readonly #targetOf: (functionName: string, qualifier: string | undefined) => RoutedTarget;
  readonly #accountLimit: number;
  readonly #committed: () => number;

  constructor(opts: { remote: Invoker; tokens?: ConcurrencyTokens; targetOf(functionName: string, qualifier: string | undefined): RoutedTarget; accountLimit: number; committed(): number }) {
    this.#remote = opts.remote;
    this.#tokens = opts.tokens;
    this.#targetOf = opts.targetOf;
    this.#accountLimit = opts.accountLimit;
    this.#committed = opts.committed;
  }

  dryRun(functionName: string, qualifier: string | undefined): void {
    this.#targetOf(functionName, qualifier);
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const target = this.#targetOf(req.functionName, req.qualifier);
    const routed: InvokeRequest = { ...req, version: target.version };
    if (this.#tokens === undefined || target.reserved === undefined) return await this.#remote.invoke(routed);
    return await this.#tokens.withToken(
      { functionName: target.functionName, reserved: target.reserved, accountLimit: this.#accountLimit, committed: this.#committed(), timeoutMs: target.timeoutMs },
      () => this.#remote.invoke(routed),
    );
  }
}
