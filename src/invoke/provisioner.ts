import { AwsError } from '../domain/errors.js';
import type { FunctionEvents } from '../ports/function-events.js';
import type { EnvironmentPool } from './environment-pool.js';
import type { ExecutionEnvironment } from './environment-contract.js';
import type { InvocationTargets, InvokeService } from './invoke-service.js';

/** A provisioned concurrency config as the control plane keeps it, with the version it applies to. */
export interface ProvisionedConfig {
  functionName: string;
  qualifier: string;
  version: string;
  RequestedProvisionedConcurrentExecutions: number;
}

export interface ProvisionerDeps {
  pool: EnvironmentPool;
  invoke: InvokeService;
  targets: InvocationTargets;
  events: FunctionEvents;
  /** ProvisionedConcurrencyService.configs. */
  configs(functionName?: string): ProvisionedConfig[];
  /** ProvisionedConcurrencyService.markProvisionedAllocated. */
  markAllocated(functionName: string, qualifier: string, allocated: number, status: 'READY' | 'IN_PROGRESS' | 'FAILED', reason?: string): void;
  log?(line: string): void;
}

/**
 * Keeps the provisioned environments of every version and alias at the configured count: starts
 * them (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency) when a config is put, stops them
 * when it is deleted or lowered, replaces ones that end, and reports READY — or FAILED with
 * FUNCTION_ERROR_INIT_FAILURE when initialization fails, as AWS does (recorded).
 */
export class Provisioner {
  readonly #d: ProvisionerDeps;
  /** One sync at a time per config; a request during a sync runs once more after it. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #failed = new Set<string>();
  #closed = false;

  constructor(deps: ProvisionerDeps) {
    this.#d = deps;
    deps.events.subscribe((e) => {
      // Put, delete, and an alias with a config moving to another version (its environments follow it).
      if (e.type === 'provisioned-concurrency-changed') this.sync(e.functionName, e.qualifier);
    });
  }

  /** Provisions every config already stored (after a restart). */
  startAll(): void {
    for (const c of this.#d.configs()) this.sync(c.functionName, c.qualifier);
  }

  /** An environment ended: if it was provisioned and its config still wants it, start a replacement. */
  environmentStopped(env: ExecutionEnvironment, provisionedFor: string | undefined): void {
    const functionName = env.binding.functionName;
    if (provisionedFor === undefined || this.#closed || this.#failed.has(`${functionName}\u0000${provisionedFor}`)) return;
    this.sync(functionName, provisionedFor);
  }

  sync(functionName: string, qualifier: string): Promise<void> {
    const k = `${functionName}\u0000${qualifier}`;
    const running = this.#running.get(k);
    if (running) {
      this.#again.add(k);
      return running;
    }
    const p = this.#sync(functionName, qualifier)
      .catch((err: unknown) => this.#d.log?.(`flint: provisioning ${functionName}:${qualifier} failed: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => {
        this.#running.delete(k);
        if (this.#again.delete(k) && !this.#closed) void this.sync(functionName, qualifier);
      });
    this.#running.set(k, p);
    return p;
  }

  close(): void {
    this.#closed = true;
  }

  async #sync(functionName: string, qualifier: string): Promise<void> {
    const k = `${functionName}\u0000${qualifier}`;
    const config = this.#d.configs(functionName).find((c) => c.qualifier === qualifier);
    if (!config) {
      this.#failed.delete(k);
      this.#d.pool.retireProvisioned(functionName, qualifier);
      return;
    }
    const requested = config.RequestedProvisionedConcurrentExecutions;
    const target = this.#d.targets.resolveInvocationTarget(functionName, config.version, () => 1);
    let outcome: { allocated: number; failed: boolean };
    try {
      outcome = await this.#d.pool.provision(functionName, config.version, qualifier, requested, () =>
        this.#d.invoke.binding(target.record, 'provisioned-concurrency'),
      );
    } catch (err) {
      // The function's KMS key cannot be used (Lambda's KMS* errors): no environment can start, so the
      // config fails with that reason, and a later sync (the key enabled again) retries.
      if (!(err instanceof AwsError)) throw err;
      this.#failed.add(k);
      this.#d.markAllocated(functionName, qualifier, 0, 'FAILED', err.message);
      return;
    }
    const { allocated, failed } = outcome;
    if (failed) {
      this.#failed.add(k);
      this.#d.markAllocated(functionName, qualifier, allocated, 'FAILED', 'FUNCTION_ERROR_INIT_FAILURE');
      return;
    }
    this.#failed.delete(k);
    this.#d.markAllocated(functionName, qualifier, allocated, allocated >= requested ? 'READY' : 'IN_PROGRESS');
  }
}
