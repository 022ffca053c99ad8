import type { Clock } from '../ports/clock.js';
import type { Collection, MetadataStore } from '../ports/metadata-store.js';
import type { InvocationRecord, Metrics } from '../ports/metrics.js';
import { costOf, gbSecondsOf, type PriceTable, type UsageAmount } from './price-table.js';

export interface UsageLine extends UsageAmount {
  functionName: string;
  architecture: string;
  billedMs: number;
  gbSeconds: number;
  costUsd: number;
}

interface Bucket extends UsageAmount {
  billedMs: number;
}

const MINUTE = 60_000;
/** Usage sums change every second while functions run: never configuration (ports/metadata-store.ts). */
const VOLATILE = { volatile: true } as const;
/** How long counted invocations wait in memory before one transaction writes them (reads flush first). */
const FLUSH_MS = 1_000;
const SEP = '\u0000';
const minuteKey = (ms: number) => Math.floor(ms / MINUTE).toString().padStart(12, '0');

/**
 * Durable per-function usage: every finished invocation (sync and async: both report through the
 * data plane's metrics) adds to a per-minute bucket in the metadata store, so `flint usage --since`
 * sees invocations from before a restart. Running totals beside the buckets serve /metrics.
 *
 * Invocations are summed in memory and written once a second (and before every read, and at
 * `flush()` on shutdown): a SQLite transaction per invocation was a tenth of the server's CPU per
 * warm Invoke. A crash loses at most the last second's usage, never a read's consistency.
 */
export class UsageMeter {
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  readonly #prices: PriceTable;
  readonly #architectureOf: (functionName: string, version: string) => string;
  /** Not yet written: minute, function and version → the sums. */
  readonly #pending = new Map<string, { minute: string; functionName: string; version: string; sum: Bucket }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #log: (line: string) => void;

  constructor(opts: { store: MetadataStore; clock: Clock; prices: PriceTable; architectureOf: (functionName: string, version: string) => string; log?: (line: string) => void }) {
    this.#store = opts.store;
    this.#log = opts.log ?? (() => {});
    this.#clock = opts.clock;
    this.#prices = opts.prices;
    this.#architectureOf = opts.architectureOf;
  }

  get prices(): PriceTable {
    return this.#prices;
  }

  /** `inner`, also recording each invocation's billed usage. */
  wrap<M extends Pick<Metrics, 'invocation' | 'throttle'>>(inner: M): Pick<Metrics, 'invocation' | 'throttle'> {
    return {
      invocation: (rec) => {
        inner.invocation(rec);
        this.record(rec);
      },
      throttle: (fn, reason, qualifier) => inner.throttle(fn, reason, qualifier),
    };
  }

  record(rec: InvocationRecord): void {
    this.#add(minuteKey(this.#clock.now()), rec.functionName, rec.version, { requests: 1, billedMs: rec.billedDurationMs, mbMs: rec.billedDurationMs * rec.memorySizeMb });
  }

  #add(minute: string, functionName: string, version: string, sum: Bucket): void {
    const k = `${minute}${SEP}${functionName}${SEP}${version}`;
    let p = this.#pending.get(k);
    if (!p) {
      p = { minute, functionName, version, sum: { requests: 0, billedMs: 0, mbMs: 0 } };
      this.#pending.set(k, p);
    }
    p.sum.requests += sum.requests;
    p.sum.billedMs += sum.billedMs;
    p.sum.mbMs += sum.mbMs;
    if (!this.#timer) {
      // A store that cannot be written now (cluster mode: the database unreachable) must not take
      // the node down; the sums stay pending and the next flush tries again.
      this.#timer = setTimeout(() => {
        try {
          this.flush();
        } catch (err) {
          this.#log(`flint: usage not recorded yet (kept for the next try): ${(err as Error).message}`);
        }
      }, FLUSH_MS);
      this.#timer.unref();
    }
  }

  /** Writes what is counted in memory (one transaction); the app calls it before the store closes. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const minutes = this.#store.collection<Bucket>('usage-minutes', VOLATILE);
    const totals = this.#store.collection<Bucket>('usage-totals', VOLATILE);
    const add = (b: Bucket | undefined, s: Bucket): Bucket => ({
      requests: (b?.requests ?? 0) + s.requests,
      billedMs: (b?.billedMs ?? 0) + s.billedMs,
      mbMs: (b?.mbMs ?? 0) + s.mbMs,
    });
    try {
      this.#write(pending, minutes, totals, add);
    } catch (err) {
      for (const p of pending) this.#add(p.minute, p.functionName, p.version, p.sum);
      throw err;
    }
  }

  #write(pending: Array<{ minute: string; functionName: string; version: string; sum: Bucket }>, minutes: Collection<Bucket>, totals: Collection<Bucket>, add: (b: Bucket | undefined, s: Bucket) => Bucket): void {
    this.#store.transaction(() => {
      for (const p of pending) {
        let architecture = 'x86_64';
        try {
          architecture = this.#architectureOf(p.functionName, p.version);
        } catch {
          // The version was deleted meanwhile: bill it as Lambda's default architecture.
        }
        const fnKey = `${p.functionName}${SEP}${architecture}`;
        const key = `${p.minute}${SEP}${fnKey}`;
        minutes.put(key, add(minutes.get(key), p.sum));
        totals.put(fnKey, add(totals.get(fnKey), p.sum));
      }
    });
  }

  /** Usage since `sinceMs` (whole minutes: the bucket holding `sinceMs` counts), per function and architecture. */
  usage(opts: { sinceMs?: number; functionName?: string } = {}): UsageLine[] {
    this.flush();
    const minutes = this.#store.collection<Bucket>('usage-minutes', VOLATILE);
    const from = opts.sinceMs !== undefined ? minuteKey(opts.sinceMs) : undefined;
    // `after` is exclusive of the bare minute key only: every `${from}\0…` key sorts after it.
    const rows = minutes.list('', from !== undefined ? { after: from } : {});
    const sums = new Map<string, Bucket>();
    for (const { key, value } of rows) {
      const [, fn, arch] = key.split(SEP);
      if (opts.functionName !== undefined && fn !== opts.functionName) continue;
      const k = `${fn}${SEP}${arch}`;
      const s = sums.get(k) ?? { requests: 0, billedMs: 0, mbMs: 0 };
      sums.set(k, { requests: s.requests + value.requests, billedMs: s.billedMs + value.billedMs, mbMs: s.mbMs + value.mbMs });
    }
    return this.#lines(sums);
  }

  /** All-time totals per function and architecture (for /metrics). */
  totals(): UsageLine[] {
    this.flush();
    return this.#lines(new Map(this.#store.collection<Bucket>('usage-totals', VOLATILE).list().map(({ key, value }) => [key, value])));
  }

  #lines(sums: Map<string, Bucket>): UsageLine[] {
    return [...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => {
      const [functionName, architecture] = k.split(SEP) as [string, string];
      return { functionName, architecture, requests: s.requests, billedMs: s.billedMs, mbMs: s.mbMs, gbSeconds: gbSecondsOf(s), costUsd: costOf(s, architecture, this.#prices) };
    });
  }

  /** Registers `flint_usage_*_total` by function on a metrics registry (values from the durable totals). */
  expose(metrics: Pick<Metrics, 'gauge'>): void {
    const byFunction = (pick: (l: UsageLine) => number) => () => {
      const sums = new Map<string, number>();
      for (const l of this.totals()) sums.set(l.functionName, (sums.get(l.functionName) ?? 0) + pick(l));
      return [...sums].map(([function_name, value]) => ({ labels: { function_name }, value }));
    };
    metrics.gauge('flint_usage_requests_total', 'Billed requests since the data dir was created', ['function_name'], byFunction((l) => l.requests));
    metrics.gauge('flint_usage_gb_seconds_total', 'Billed GB-seconds since the data dir was created', ['function_name'], byFunction((l) => l.gbSeconds));
    metrics.gauge('flint_usage_cost_usd_total', 'Cost in USD at the configured price table since the data dir was created', ['function_name'], byFunction((l) => l.costUsd));
  }
}
