import type { CpuSignals } from '../ports/cpu-signals.js';
import { waitOrRun, type HostAwareSettings, type WaitOrRun } from './host-aware-placement.js';
import type { VersionFigures } from './version-figures.js';

/** What the pool knows of one version's environments when a request finds none free. */
export interface VersionView {
  /** Environments of the version claimed (running an invocation, or starting for one). */
  busy: number;
  /** Environments of the version idle and ready. */
  idle: number;
  /** When the longest-running warm invocation of the version began (monotonic ms). */
  oldestRunningSince: number | undefined;
  figures: VersionFigures<unknown>;
  /** The function's timeout (ms); undefined: none known. */
  timeoutMs: number | undefined;
}

/**
 * Host-aware placement's side of the pool: turns what the pool knows into `waitOrRun`'s input —
 * the /proc signal and the count of every version's running environments read only when the
 * decision gets that far — and counts the decisions that change what happens, by reason (the
 * bench prints them beside its figures).
 */
export class HostAwareDecider {
  readonly #signals: CpuSignals;
  readonly #settings: HostAwareSettings;
  readonly #ownBusy: () => number;
  readonly #counts = new Map<string, number>();

  constructor(opts: { signals: CpuSignals; settings: HostAwareSettings; ownBusy(): number }) {
    this.#signals = opts.signals;
    this.#settings = opts.settings;
    this.#ownBusy = opts.ownBusy;
  }

  get enabled(): boolean {
    return this.#settings.enabled;
  }

  decide(v: VersionView, now: number): WaitOrRun {
    const signals = this.#signals;
    const ownBusy = this.#ownBusy;
    const f = v.figures;
    const decision = waitOrRun(
      {
        get saturation() {
          return signals.read();
        },
        get ownBusy() {
          return ownBusy();
        },
        cpus: signals.cpus,
        busy: v.busy,
        idle: v.idle,
        waiting: f.waiting,
        typicalDurationMs: f.typicalRunMs,
        ...(f.fastestRunMs !== undefined ? { fastestDurationMs: f.fastestRunMs } : {}),
        typicalStartMs: f.typicalStartMs,
        ...(v.oldestRunningSince !== undefined ? { oldestRunningMs: now - v.oldestRunningSince } : {}),
        timeoutMs: v.timeoutMs ?? Number.POSITIVE_INFINITY,
      },
      this.#settings,
    );
    // Counted only where it changes what happens: the warm path at low concurrency builds no string.
    if (decision.kind === 'wait') this.count(`wait: ${decision.why}`);
    else if (v.idle === 0) this.count(`run (new environment): ${decision.why}`);
    return decision;
  }

  count(why: string): void {
    this.#counts.set(why, (this.#counts.get(why) ?? 0) + 1);
  }

  /** Decisions so far, by reason. */
  counts(): ReadonlyMap<string, number> {
    return this.#counts;
  }
}
