import { extensionNames } from './extensions/external-extensions.js';
import type { Clock } from '../ports/clock.js';
import { prewarmTarget, stemKeyFor, stemKeyString, type StemKey } from './prewarm-sizing.js';
import type { StemCell } from './prewarm-stem-cell.js';
import type { EnvironmentBinding } from './environment-contract.js';

export interface PrewarmPoolOptions {
  clock: Clock;
  /** FLINT_PREWARM_PER_RUNTIME: kept per key once the key has cold-started; 0 turns the pool off. */
  perRuntime: number;
  /** The most kept per key however fast cold starts come. */
  maxPerKey?: number;
  /** Starts one pre-initialized runtime (resolves when its process runs). */
  startCell(key: StemKey): Promise<StemCell>;
  /** Window over which the cold-start rate is measured. */
  windowMs?: number;
  /** A key that has not cold-started for this long keeps none. */
  idleMs?: number;
  /** Runtimes started at the same time, at most (a burst must not starve the invocations themselves). */
  maxStarting?: number;
  log?(line: string): void;
}

/** How long after a cell is taken its replacement starts (the taking invocation is usually done by then). */
const REFILL_DELAY_MS = 30;

interface KeyState {
  key: StemKey;
  cells: StemCell[];
  starting: number;
  coldStarts: number[];
  /** Consecutive cells that died before being used: backs off after a few. */
  failures: number;
  retryAt: number;
}

/**
 * Pre-initialized runtimes ("stem cells"), grouped by what they were started with (runtime family,
 * memory, /tmp size). A cold start of a function that one can serve takes it instead of starting a
 * process (`take`); the pool then starts a replacement in the background. How many each key keeps
 * comes from `prewarmTarget` (pure), fed with the key's recent cold starts. A key is kept warm only
 * after it has cold-started once: nothing is started for runtimes nobody uses.
 */
export class PrewarmPool {
  readonly #opts: Required<Omit<PrewarmPoolOptions, 'log'>> & Pick<PrewarmPoolOptions, 'log'>;
  readonly #keys = new Map<string, KeyState>();
  readonly #timer: NodeJS.Timeout;
  /** Average time a runtime takes to reach /flint/bind (ms), starting from a guess. */
  #refillMs = 100;
  #soon: NodeJS.Timeout | undefined;
  #starting = 0;
  #closed = false;

  constructor(opts: PrewarmPoolOptions) {
    this.#opts = { maxPerKey: 8, windowMs: 60_000, idleMs: 10 * 60_000, maxStarting: 2, ...opts };
    // Re-sizes as cold-start rates decay (and retires the cells of keys gone idle).
    this.#timer = setInterval(() => this.refill(), 5_000);
    this.#timer.unref();
  }

  get enabled(): boolean {
    return this.#opts.perRuntime > 0;
  }

  /**
   * A cold start is about to happen for `binding`: hands out a pre-started runtime that may serve
   * it (one already waiting for its function first), or undefined. Either way the cold start counts
   * towards the key's demand.
   */
  take(binding: EnvironmentBinding): StemCell | undefined {
    if (!this.enabled || this.#closed || binding.initializationType !== 'on-demand') return undefined;
    // External extensions start before the runtime, which a pre-started one has already passed.
    if (binding.layerDirs.length > 0 && extensionNames(binding.layerDirs).length > 0) return undefined;
    const key = stemKeyFor(binding.config, binding.runtime.family);
    if (!key) return undefined;
    const state = this.#state(key);
    state.coldStarts.push(this.#opts.clock.now());
    let i = state.cells.findIndex((c) => c.ready);
    if (i < 0) i = state.cells.findIndex((c) => c.readyAt === undefined);
    const cell = i >= 0 ? state.cells.splice(i, 1)[0] : undefined;
    // Not now: starting a process blocks this thread for a while (fork), and the invocation that
    // just took the cell would wait behind it.
    this.#refillSoon();
    return cell;
  }

  /** Cells kept per key, for tests and metrics. */
  sizes(): Array<{ key: string; cells: number; ready: number; starting: number; target: number }> {
    return [...this.#keys.entries()].map(([k, s]) => ({ key: k, cells: s.cells.length, ready: s.cells.filter((c) => c.ready).length, starting: s.starting, target: this.#target(s) }));
  }

  /** Starts what is missing and stops what is surplus, for every key. */
  refill(): void {
    if (this.#closed) return;
    const now = this.#opts.clock.now();
    for (const [k, s] of this.#keys) {
      s.coldStarts = s.coldStarts.filter((t) => now - t < Math.max(this.#opts.windowMs, this.#opts.idleMs));
      const target = this.#target(s);
      // Surplus (the rate went down): stop the ones that waited longest.
      while (s.cells.length > target) void s.cells.shift()!.destroy();
      if (target === 0 && s.starting === 0 && s.cells.length === 0 && s.coldStarts.length === 0) {
        this.#keys.delete(k);
        continue;
      }
      while (s.cells.length + s.starting < target && this.#starting < this.#opts.maxStarting && now >= s.retryAt) this.#startOne(s);
    }
  }

  /** Resolves when every key has its target of cells waiting for a function (for tests and benches). */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = this.#opts.clock.monotonic() + timeoutMs;
    for (;;) {
      this.refill();
      const pending = [...this.#keys.values()].some((s) => s.starting > 0 || s.cells.length < this.#target(s) || s.cells.some((c) => !c.ready));
      if (!pending || this.#opts.clock.monotonic() > until) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    const cells = [...this.#keys.values()].flatMap((s) => s.cells);
    this.#keys.clear();
    await Promise.all(cells.map((c) => c.destroy()));
  }

  #refillSoon(): void {
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.refill();
    }, REFILL_DELAY_MS);
    this.#soon.unref();
  }

  #target(s: KeyState): number {
    return prewarmTarget({
      base: this.#opts.perRuntime,
      max: this.#opts.maxPerKey,
      now: this.#opts.clock.now(),
      coldStarts: s.coldStarts,
      windowMs: this.#opts.windowMs,
      refillMs: this.#refillMs,
      idleMs: this.#opts.idleMs,
    });
  }

  #startOne(s: KeyState): void {
    s.starting++;
    // Counts against maxStarting until the runtime waits for its function, not just until it runs.
    this.#starting++;
    const started = this.#opts.startCell(s.key).then(
      async (cell) => {
        s.starting--;
        if (this.#closed) return void cell.destroy();
        s.cells.push(cell);
        void cell.exited.then(() => {
          const i = s.cells.indexOf(cell);
          if (i < 0) return; // adopted (its environment handles the exit) or already stopped
          // Died while waiting for a function: replace it, backing off if that keeps happening.
          s.cells.splice(i, 1);
          this.#failed(s, `a pre-initialized ${stemKeyString(s.key)} runtime exited before use`);
          void cell.destroy();
          this.refill();
        });
        await Promise.race([cell.whenReady(), cell.exited]);
        if (cell.readyAt !== undefined) {
          s.failures = 0;
          this.#refillMs = this.#refillMs * 0.8 + (cell.readyAt - cell.startedAt) * 0.2;
        }
      },
      (err: unknown) => {
        s.starting--;
        this.#failed(s, `starting a pre-initialized ${stemKeyString(s.key)} runtime failed: ${(err as Error)?.message ?? String(err)}`);
      },
    );
    void started.finally(() => {
      this.#starting--;
      this.refill();
    });
  }

  #failed(s: KeyState, why: string): void {
    s.failures++;
    if (s.failures >= 3) {
      s.retryAt = this.#opts.clock.now() + Math.min(60_000, 1000 * 2 ** (s.failures - 3));
      this.#opts.log?.(`flint: ${why}; retrying in ${s.retryAt - this.#opts.clock.now()} ms`);
    }
  }

  #state(key: StemKey): KeyState {
    const k = stemKeyString(key);
    let s = this.#keys.get(k);
    if (!s) this.#keys.set(k, (s = { key, cells: [], starting: 0, coldStarts: [], failures: 0, retryAt: 0 }));
    return s;
  }
}
