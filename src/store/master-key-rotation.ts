import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { MasterWrappedStore } from '../ports/master-keyring.js';
import type { FileMasterKeyring, MasterKeyStatus } from './file-master-keyring.js';

export interface RotationStatus extends MasterKeyStatus {
  /** True while stale blobs are being re-wrapped in the background. */
  rewrapping: boolean;
  /** Blobs re-wrapped by this process since it started. */
  rewrapped: number;
  stale: Array<{ store: string; count: number }>;
  /** The last background failure, if the re-wrap stopped on one (it is retried on the next rotate or start). */
  error?: string;
}

/**
 * Master key rotation without downtime: `rotate()` makes a new key current at once (new wraps use
 * it), then re-wraps every stale blob of every store in the background, one bounded batch at a time
 * with a turn of the event loop between batches, so invocations keep being served. A retiring key
 * is destroyed only when every store reports no stale blob. The keyring file records which keys are
 * retiring, so a restart in the middle resumes (`start()`).
 *
 * Every store holding master-wrapped blobs must be in `stores`: a blob in a store not listed here
 * would be orphaned when its key is retired.
 */
export class MasterKeyRotation {
  readonly #keyring: FileMasterKeyring;
  readonly #stores: readonly MasterWrappedStore[];
  readonly #batch: number;
  readonly #log: (line: string) => void;
  #running: Promise<void> | undefined;
  #stopped = false;
  #rewrapped = 0;
  #error: string | undefined;

  constructor(opts: { keyring: FileMasterKeyring; stores: readonly MasterWrappedStore[]; batchSize?: number; log?: (line: string) => void }) {
    this.#keyring = opts.keyring;
    this.#stores = opts.stores;
    this.#batch = opts.batchSize ?? 100;
    this.#log = opts.log ?? (() => {});
  }

  /** Resumes a rotation a previous run left unfinished (keys still retiring). */
  start(): void {
    this.#keyring.reload();
    if (this.#keyring.retiring().length > 0) {
      this.#log(`flint: resuming master key rotation: key ${this.#keyring.currentKeyId} is current, key(s) ${this.#keyring.retiring().join(', ')} retiring`);
      this.#kick();
    }
  }

  /** Introduces a new current master key and starts re-wrapping in the background. */
  rotate(): RotationStatus {
    const id = this.#keyring.rotate();
    this.#log(`flint: master key ${id} is current; re-wrapping stale blobs in the background`);
    this.#kick();
    return this.status();
  }

  status(): RotationStatus {
    return {
      ...this.#keyring.status(),
      rewrapping: this.#running !== undefined,
      rewrapped: this.#rewrapped,
      stale: this.#stores.map((s) => ({ store: s.name, count: s.countStale() })),
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  /** Resolves when no background re-wrap is running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.idle();
  }

  #kick(): void {
    if (this.#running || this.#stopped) return;
    this.#error = undefined;
    this.#running = this.#run()
      .catch((err: unknown) => {
        this.#error = err instanceof Error ? err.message : String(err);
        this.#log(`flint: master key rotation paused: ${this.#error}`);
      })
      .finally(() => { this.#running = undefined; });
  }

  async #run(): Promise<void> {
    const started = performance.now();
    let emptyPasses = 0;
    // The caller (an HTTP answer, the start sequence) goes first; the work starts on a later turn.
    await yieldToEventLoop();
    for (;;) {
      if (this.#stopped) return;
      let done = 0;
      for (const store of this.#stores) {
        done += store.rewrapStale(this.#batch);
        await store.settle?.();
        // One batch per store per turn: requests waiting on the event loop go first.
        await yieldToEventLoop();
        if (this.#stopped) return;
      }
      this.#rewrapped += done;
      if (done > 0) {
        emptyPasses = 0;
        continue;
      }
      // A pass that found nothing to re-wrap: confirm with a count before destroying anything.
      const retiring = this.#keyring.retiring();
      const stuck = this.#stores.find((s) => s.countStale() > 0);
      // Written between the batch and the count (e.g. by a pass that began before the rotation)? Go
      // again; a store that re-wraps nothing yet still counts stale blobs would spin forever instead.
      if (stuck) {
        if (++emptyPasses > 3) throw new Error(`${stuck.name} reports ${stuck.countStale()} stale blob(s) it does not re-wrap`);
        continue;
      }
      if (retiring.length > 0) {
        this.#keyring.retire(retiring);
        this.#log(`flint: master key rotation done in ${Math.round(performance.now() - started)} ms: retired key(s) ${retiring.join(', ')}; key ${this.#keyring.currentKeyId} is current`);
      }
      return;
    }
  }
}
