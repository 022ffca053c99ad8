import { COLLECTIONS, type FunctionVersionRecord, type LayerVersionRecord } from '../domain/records.js';
import type { ControlContext } from './control-context.js';

export interface CollectionReport {
  /** Objects removed by this sweep. */
  removed: number;
  removedBytes: number;
  /** Objects still stored (referenced, or unreferenced but inside the grace period). */
  kept: number;
}

/**
 * Removes stored code no function version and no layer version references any more. Lambda frees
 * a function's code storage (the account's `TotalCodeSize`) when the function, version or layer
 * version is deleted; Flint does the same, lazily: archives are shared by content address, so
 * one is removed only when a sweep finds no document naming it. An archive uploaded (or uploaded
 * again) within `graceMs` is kept even when unreferenced, because CreateFunction stores the zip
 * before it writes the version that names it.
 */
export class CodeCollector {
  readonly #ctx: Pick<ControlContext, 'store' | 'code' | 'clock'>;
  readonly #graceMs: number;
  #running: Promise<CollectionReport> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: Pick<ControlContext, 'store' | 'code' | 'clock'>, opts: { graceMs: number }) {
    this.#ctx = ctx;
    this.#graceMs = opts.graceMs;
  }

  /** Sweeps every `intervalMs` (first one after `intervalMs`) until `stop`; reports removals. */
  start(intervalMs: number, report: (r: CollectionReport) => void, onError: (err: unknown) => void): void {
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        this.sweep().then((r) => { if (r.removed > 0) report(r); }, onError).finally(() => { if (this.#timer) tick(); });
      }, intervalMs);
      this.#timer.unref();
    };
    tick();
  }

  /** Stops the schedule and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  /** One sweep; concurrent callers share the sweep in progress. */
  sweep(): Promise<CollectionReport> {
    this.#running ??= this.#sweep().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  async #sweep(): Promise<CollectionReport> {
    const cutoff = this.#ctx.clock.now() - this.#graceMs;
    // The stored list is read before the references: an object stored after this line is not
    // considered at all, and one referenced after it is inside the grace period.
    const objects = this.#ctx.code.list().filter((o) => o.lastPutAt < cutoff);
    const referenced = this.#referenced();
    let removed = 0;
    let removedBytes = 0;
    for (const o of objects) {
      if (referenced.has(o.sha256Hex)) continue;
      if (await this.#ctx.code.remove(o.sha256Hex, cutoff)) {
        removed++;
        removedBytes += o.size;
      }
    }
    return { removed, removedBytes, kept: this.#ctx.code.list().length };
  }

  #referenced(): Set<string> {
    const shas = new Set<string>();
    for (const { value } of this.#ctx.store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions).list()) {
      shas.add(value.codeSha256Hex);
      for (const l of value.layerSha256Hex) shas.add(l);
    }
    for (const { value } of this.#ctx.store.collection<LayerVersionRecord>(COLLECTIONS.layerVersions).list()) shas.add(value.sha256Hex);
    return shas;
  }
}
