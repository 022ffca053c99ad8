import type { Timer, TimerClock } from '../ports/clock.js';
import { EnvironmentUnavailableError, type EnvironmentBinding, type ExecutionEnvironment } from './environment-contract.js';
import { expired, place, provisionPlan, type EnvironmentView } from './placement.js';
import type { CpuSignals } from '../ports/cpu-signals.js';
import type { HostAwareSettings, WaitOrRun } from './host-aware-placement.js';
import { HostAwareDecider } from './host-aware-decider.js';
import { VersionFigures } from './version-figures.js';

interface PoolEntry {
  env: ExecutionEnvironment;
  /** Its group's key (function and version). */
  group: string;
  claimed: boolean;
  /** The qualifier whose provisioned concurrency started it. */
  provisionedFor?: string;
  /** Its version changed or went away: stop as soon as it is free. */
  retired: boolean;
  /** When its current warm invocation was handed to it (monotonic ms); undefined when free or starting. */
  runningSince?: number;
}

export interface PoolOptions {
  clock: TimerClock;
  /** Creates (does not start) an environment for a binding. */
  create(binding: EnvironmentBinding): ExecutionEnvironment;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  /** How long an invocation waits for an environment that is finishing its previous one. */
  awaitReadyMs?: number;
  /** Called when an environment ends (for metrics and the provisioner). */
  onStopped?(env: ExecutionEnvironment, provisionedFor: string | undefined): void;
  /**
   * Host-aware placement: when no environment is free, wait briefly for a busy one instead of
   * starting another while the CPUs are saturated (host-aware-placement.ts). Absent: Lambda's way.
   */
  hostAware?: { signals: CpuSignals; settings: HostAwareSettings };
}

/** What `run` needs to know of the invocation. */
export interface RunOptions {
  provisioned: boolean;
  /** The function's timeout: a wait for a busy environment never goes past it. */
  timeoutMs?: number;
}

/**
 * How long a request waits for the runtime that just replied (placement's most recent) when an idle
 * environment could take it at once: a runtime calls /next within a fraction of a millisecond of
 * its reply unless it is still busy (or starved of CPU), and then the idle one is the better bet.
 */
const AWAIT_WITH_IDLE_MS = 5;
/** Key of the group of environments of one function version. */
const groupKey = (functionName: string, version: string) => `${functionName}\u0000${version}`;

/**
 * Execution environments, grouped by function version. Hands them out one invocation at a time
 * through `run` (always released), creates more when none is free, stops idle and old ones, and
 * retires a version's environments when it changes. Decisions come from placement.ts.
 */
export class EnvironmentPool {
  readonly #groups = new Map<string, PoolEntry[]>();
  /** Per version: recent invocation and start durations, and requests waiting for a busy environment. */
  readonly #figures = new Map<string, VersionFigures<PoolEntry>>();
  readonly #opts: PoolOptions;
  readonly #reaper: Timer;
  #closed = false;
  readonly #hostAware: HostAwareDecider | undefined;

  constructor(opts: PoolOptions) {
    this.#opts = opts;
    const every = Math.min(30_000, Math.max(50, Math.floor(Math.min(opts.idleTimeoutMs, opts.maxLifetimeMs) / 4)));
    this.#hostAware = opts.hostAware ? new HostAwareDecider({ ...opts.hostAware, ownBusy: () => this.#ownBusy() }) : undefined;
    this.#reaper = opts.clock.setInterval(() => this.reap(), every).unref();
  }

  /**
   * Runs `fn` with an environment of the binding's version that nobody else uses meanwhile. An
   * environment that turns out to be gone before `fn` could use it is replaced (a few times).
   */
  async run<T>(
    functionName: string,
    version: string,
    binding: () => Promise<EnvironmentBinding>,
    opts: RunOptions,
    fn: (env: ExecutionEnvironment, start: 'warm' | 'cold') => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { entry, start } = await this.#acquire(functionName, version, binding, opts);
      const began = this.#opts.clock.monotonic();
      // Host-aware placement judges "short" without the time the runtime waited for a CPU (the
      // contention it is there to avoid); read only when it is on (two /proc reads per invocation).
      const waitedBefore = start === 'warm' && this.#hostAware?.enabled ? entry.env.runQueueWaitMs?.() : undefined;
      try {
        const out = await fn(entry.env, start);
        if (start === 'warm') {
          const wall = this.#opts.clock.monotonic() - began;
          const waitedAfter = waitedBefore === undefined ? undefined : entry.env.runQueueWaitMs?.();
          this.#figuresOf(functionName, version).ran(wall, waitedAfter === undefined ? wall : Math.max(0, wall - (waitedAfter - waitedBefore!)));
        }
        return out;
      } catch (err) {
        if (!(err instanceof EnvironmentUnavailableError) || attempt >= 3) throw err;
      } finally {
        this.#release(entry);
      }
    }
  }

  async #acquire(functionName: string, version: string, binding: () => Promise<EnvironmentBinding>, opts: RunOptions, waited = new Set<string>(), queued = false, idleFirst = false): Promise<{ entry: PoolEntry; start: 'warm' | 'cold' }> {
    const group = this.#group(functionName, version);
    // One the request already waited for in vain is not waited for again: the wait is short, then a new environment.
    const views = group.map(view).filter((v) => !waited.has(v.id) || v.state === 'Ready');
    const decision = place(views, { provisioned: opts.provisioned, idleFirst });
    // Host-aware placement (at most one wait per request; provisioned environments are the qualifier's own).
    // A warm one with nothing of the version running (c=1's path) needs no decision.
    const consult = decision.kind === 'cold' || (decision.kind === 'warm' && views.some((v) => v.claimed));
    if (!queued && !opts.provisioned && consult && this.#hostAware?.enabled) {
      const idle = views.filter((v) => !v.claimed && v.state === 'Ready').length;
      const queue = this.#queueFor(functionName, version, group, idle, opts, binding);
      if (queue) {
        const freed = await queue;
        if (freed) return { entry: this.#running(freed), start: 'warm' };
        return this.#acquire(functionName, version, binding, opts, waited, true);
      }
    }
    if (decision.kind !== 'cold') {
      const entry = group.find((e) => e.env.id === decision.id)!;
      entry.claimed = true;
      if (decision.kind === 'warm') return { entry: this.#running(entry), start: 'warm' };
      // With an idle one to fall back on, the runtime that just replied gets only a moment to call
      // /next (one still busy after its response, e.g. draining its event loop, is passed over).
      const patience = decision.idleAlternative ? AWAIT_WITH_IDLE_MS : (this.#opts.awaitReadyMs ?? 200);
      if (await this.#becomesReady(entry.env, patience)) return { entry: this.#running(entry), start: 'warm' };
      entry.claimed = false;
      if (entry.env.state === 'Failed' || entry.retired) this.#stop(entry);
      // Passed over for an idle one: no longer preferred, but still worth the usual wait if the idle
      // one was taken meanwhile (rather than a new environment).
      if (decision.idleAlternative) return this.#acquire(functionName, version, binding, opts, waited, queued, true);
      waited.add(entry.env.id);
      return this.#acquire(functionName, version, binding, opts, waited);
    }
    const env = this.#opts.create(await binding());
    const entry = this.#add(functionName, version, env, undefined);
    entry.claimed = true;
    const began = this.#opts.clock.monotonic();
    const figures = this.#figuresOf(functionName, version);
    void env.start().then((r) => r.ok && figures.started(this.#opts.clock.monotonic() - began));
    return { entry, start: 'cold' };
  }

  /**
   * Host-aware placement: when queuing for a busy environment of the version is the better bet
   * (host-aware-placement.ts), the wait — resolving with the environment handed over, or undefined
   * when the request should run on its own after all; undefined (no wait) when it should run now.
   */
  #queueFor(functionName: string, version: string, group: PoolEntry[], idle: number, opts: RunOptions, binding: () => Promise<EnvironmentBinding>): Promise<PoolEntry | undefined> | undefined {
    const figures = this.#figuresOf(functionName, version);
    const decision = this.#decide(group, figures, idle, opts);
    if (decision.kind !== 'wait') return undefined;
    return figures.waitForFree(this.#opts.clock, {
      patienceMs: decision.patienceMs,
      maxWaitMs: decision.maxWaitMs,
      // Past its patience the request asks again, with the figures of now: while the CPUs stay
      // saturated by short invocations another environment would not help, so it stays patient;
      // otherwise (room on the CPUs, invocations turned long) one more starts for the queue.
      impatient: () => {
        const now = this.#group(functionName, version);
        const again = this.#decide(now, figures, now.filter((e) => !e.claimed && !e.retired && e.env.state === 'Ready').length, opts);
        if (again.kind === 'wait') return again.patienceMs;
        // An idle one first (kept idle by the cap until now), else one more for the queue.
        const idle = now.find((e) => !e.claimed && !e.retired && e.env.state === 'Ready');
        if (idle) {
          this.#hostAware!.count('past its patience, asked again: an idle environment for the queue');
          this.#offer(idle);
          return undefined;
        }
        // Starts already under way for the queue (claimed by nobody) each serve one waiter: while
        // they cover the queue another start only adds to the CPU contention that made it wait
        // (the quiet sweep at c=64 made 91 environments for 64 requests, p99 2.6 s).
        const starting = now.filter((e) => !e.claimed && !e.retired && e.env.state === 'Starting').length;
        if (starting >= figures.waiting) {
          this.#hostAware!.count('past its patience, asked again: a start under way covers it');
          return undefined;
        }
        this.#hostAware!.count('past its patience, asked again: one more environment for the queue');
        void this.#startForQueue(functionName, version, binding);
        return undefined;
      },
    });
  }

  #decide(group: PoolEntry[], figures: VersionFigures<PoolEntry>, idle: number, opts: RunOptions): WaitOrRun {
    let busy = 0;
    let oldest: number | undefined;
    for (const e of group) {
      // Running ones only: one starting for a request frees up after a start, not after a run, and
      // waiting behind starts on a loaded host held requests for seconds.
      if (!e.claimed || e.retired || !(e.env.state === 'Invoking' || e.env.state === 'Ready')) continue;
      busy++;
      if (e.runningSince !== undefined && (oldest === undefined || e.runningSince < oldest)) oldest = e.runningSince;
    }
    return this.#hostAware!.decide({ busy, idle, oldestRunningSince: oldest, figures, timeoutMs: opts.timeoutMs }, this.#opts.clock.monotonic());
  }

  /** Environments of every version running an invocation now. */
  #ownBusy(): number {
    let n = 0;
    for (const g of this.#groups.values()) for (const e of g) if (e.claimed && e.env.state === 'Invoking') n++;
    return n;
  }

  /** Host-aware placement's decisions so far, by reason (empty with Lambda's placement). */
  placementDecisions(): ReadonlyMap<string, number> {
    return this.#hostAware?.counts() ?? new Map();
  }

  /**
   * One more environment for the version's queue, claimed by nobody: once ready it goes to the
   * longest-waiting request (`#offer`), or sits idle for the next one. A start that fails wakes the
   * longest-waiting request, which then starts its own and meets the error itself.
   */
  async #startForQueue(functionName: string, version: string, binding: () => Promise<EnvironmentBinding>): Promise<void> {
    const figures = this.#figuresOf(functionName, version);
    if (this.#closed) return figures.wakeOne();
    try {
      const env = this.#opts.create(await binding());
      this.#add(functionName, version, env, undefined);
      const began = this.#opts.clock.monotonic();
      const r = await env.start();
      if (r.ok) figures.started(this.#opts.clock.monotonic() - began);
      else figures.wakeOne();
    } catch {
      figures.wakeOne();
    }
  }

  #running(entry: PoolEntry): PoolEntry {
    entry.runningSince = this.#opts.clock.monotonic();
    return entry;
  }

  /** Hands a free, ready environment to a request waiting for one of its version. */
  #offer(entry: PoolEntry): void {
    if (entry.claimed || entry.retired || this.#closed || entry.env.state !== 'Ready') return;
    const figures = this.#figures.get(entry.group);
    if (figures?.hasWaiters) {
      entry.claimed = true;
      figures.give(entry);
    }
  }

  #figuresOf(functionName: string, version: string): VersionFigures<PoolEntry> {
    const k = groupKey(functionName, version);
    let f = this.#figures.get(k);
    if (!f) this.#figures.set(k, (f = new VersionFigures()));
    return f;
  }

  #release(entry: PoolEntry): void {
    entry.claimed = false;
    delete entry.runningSince;
    if (entry.retired || this.#closed || entry.env.state === 'Failed') this.#stop(entry);
    else if (this.#opts.hostAware) this.#offer(entry);
  }

  #add(functionName: string, version: string, env: ExecutionEnvironment, provisionedFor: string | undefined): PoolEntry {
    const entry: PoolEntry = { env, group: groupKey(functionName, version), claimed: false, retired: false, ...(provisionedFor !== undefined ? { provisionedFor } : {}) };
    this.#group(functionName, version).push(entry);
    env.onStateChange((e, _from, to) => {
      // A crash while idle: nobody will release it, so stop it now.
      if (to === 'Failed' && !entry.claimed) this.#stop(entry);
      if (to === 'Ready' && this.#opts.hostAware) this.#offer(entry);
      if (to === 'Stopped') this.#remove(functionName, version, entry);
    });
    return entry;
  }

  #becomesReady(env: ExecutionEnvironment, ms: number): Promise<boolean> {
    if (env.state === 'Ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const clock = this.#opts.clock;
      const finish = (ok: boolean) => {
        clock.clearTimer(timer);
        unsubscribe();
        resolve(ok);
      };
      const timer = clock.setTimeout(() => finish(false), ms);
      const unsubscribe = env.onStateChange((_e, _from, to) => {
        if (to === 'Ready') finish(true);
        else if (to !== 'Invoking') finish(false);
      });
    });
  }

  /**
   * Brings the provisioned environments of `qualifier` (running `version`) to `count`. Resolves with
   * how many are initialized, or `failed` when an initialization failed (Lambda's
   * FUNCTION_ERROR_INIT_FAILURE).
   */
  async provision(functionName: string, version: string, qualifier: string, count: number, binding: () => Promise<EnvironmentBinding>): Promise<{ allocated: number; failed: boolean }> {
    // Environments provisioned for this qualifier on another version (an alias moved) go first.
    for (const [k, entries] of this.#groups) {
      if (!k.startsWith(groupKey(functionName, ''))) continue;
      for (const e of entries) if (e.provisionedFor === qualifier && k !== groupKey(functionName, version)) this.#retireEntry(e);
    }
    const mine = () => this.#group(functionName, version).filter((e) => e.provisionedFor === qualifier && !e.retired);
    const plan = provisionPlan(mine().map(view), count);
    for (const id of plan.retire) this.#retireEntry(mine().find((e) => e.env.id === id)!);
    const starting: Array<Promise<boolean>> = [];
    if (plan.start > 0) {
      for (let i = 0; i < plan.start; i++) {
        // One binding per environment: each holds (and at its stop releases) its extracted code.
        const env = this.#opts.create(await binding());
        this.#add(functionName, version, env, qualifier);
        starting.push(env.start().then((r) => r.ok));
      }
    }
    for (const e of mine()) if (e.env.state === 'Starting') starting.push(e.env.start().then((r) => r.ok));
    const results = await Promise.all(starting);
    const allocated = mine().filter((e) => e.env.state === 'Ready' || e.env.state === 'Invoking').length;
    return { allocated, failed: results.some((ok) => !ok) };
  }

  /** Retires every environment of a version (or of all versions of the function). */
  retire(functionName: string, version?: string): void {
    for (const [k, entries] of this.#groups) {
      const match = version !== undefined ? k === groupKey(functionName, version) : k.startsWith(groupKey(functionName, ''));
      if (match) for (const e of [...entries]) this.#retireEntry(e);
    }
  }

  /** Retires the environments provisioned for a qualifier (its config was deleted). */
  retireProvisioned(functionName: string, qualifier: string): void {
    for (const [k, entries] of this.#groups) {
      if (k.startsWith(groupKey(functionName, ''))) for (const e of [...entries]) if (e.provisionedFor === qualifier) this.#retireEntry(e);
    }
  }

  /** Stops environments past their idle timeout or maximum lifetime. */
  reap(): void {
    const now = this.#opts.clock.now();
    for (const entries of this.#groups.values()) {
      const ids = new Set(expired(entries.map(view), now, this.#opts));
      for (const e of [...entries]) if (ids.has(e.env.id)) this.#stop(e);
    }
  }

  /** The environments of a version, for tests and introspection. */
  environments(functionName: string, version: string): ReadonlyArray<{ env: ExecutionEnvironment; claimed: boolean; provisionedFor?: string }> {
    return this.#groups.get(groupKey(functionName, version)) ?? [];
  }

  /** Every environment now, of every version (the console's execution environments page). */
  all(): ReadonlyArray<{ env: ExecutionEnvironment; claimed: boolean; provisionedFor?: string }> {
    return [...this.#groups.values()].flat();
  }

  /** Stops everything (server shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#opts.clock.clearTimer(this.#reaper);
    for (const f of this.#figures.values()) f.wakeAll();
    const all = [...this.#groups.values()].flat();
    await Promise.all(all.map((e) => e.env.stop()));
  }

  #retireEntry(e: PoolEntry): void {
    e.retired = true;
    if (!e.claimed) this.#stop(e);
  }

  #stop(e: PoolEntry): void {
    void e.env.stop();
  }

  #remove(functionName: string, version: string, entry: PoolEntry): void {
    const k = groupKey(functionName, version);
    const group = this.#groups.get(k);
    if (!group) return;
    const i = group.indexOf(entry);
    if (i >= 0) group.splice(i, 1);
    if (group.length === 0) this.#groups.delete(k);
    this.#opts.onStopped?.(entry.env, entry.provisionedFor);
  }

  #group(functionName: string, version: string): PoolEntry[] {
    const k = groupKey(functionName, version);
    let g = this.#groups.get(k);
    if (!g) this.#groups.set(k, (g = []));
    return g;
  }
}

function view(e: PoolEntry): EnvironmentView {
  return {
    id: e.env.id,
    state: e.env.state,
    claimed: e.claimed || e.retired,
    provisioned: e.provisionedFor !== undefined,
    createdAt: e.env.createdAt,
    lastUsedAt: e.env.lastUsedAt,
  };
}
