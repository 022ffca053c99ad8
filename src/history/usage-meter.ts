import type { Clock } from '../ports/clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
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
const SEP = '\u0000';
const minuteKey = (ms: number) => Math.floor(ms / MINUTE).toString().padStart(12, '0');

/**
 * Durable per-function usage: every finished invocation (sync and async: both report through the
 * data plane's metrics) adds to a per-minute bucket in the metadata store, so `flint usage --since`
 * sees invocations from before a restart. Running totals beside the buckets serve /metrics.
 */
export class UsageMeter {
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  readonly #prices: PriceTable;
  readonly #architectureOf: (functionName: string, version: string) => string;

  constructor(opts: { store: MetadataStore; clock: Clock; prices: PriceTable; architectureOf: (functionName: string, version: string) => string }) {
    this.#store = opts.store;
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
    let architecture = 'x86_64';
    try {
      architecture = this.#architectureOf(rec.functionName, rec.version);
    } catch {
      // The version was deleted while it ran: bill it as Lambda's default architecture.
    }
    const add = (b: Bucket | undefined): Bucket => ({
      requests: (b?.requests ?? 0) + 1,
      billedMs: (b?.billedMs ?? 0) + rec.billedDurationMs,
      mbMs: (b?.mbMs ?? 0) + rec.billedDurationMs * rec.memorySizeMb,
    });
    const minutes = this.#store.collection<Bucket>('usage-minutes');
    const totals = this.#store.collection<Bucket>('usage-totals');
    const fnKey = `${rec.functionName}${SEP}${architecture}`;
    const key = `${minuteKey(this.#clock.now())}${SEP}${fnKey}`;
    this.#store.transaction(() => {
      minutes.put(key, add(minutes.get(key)));
      totals.put(fnKey, add(totals.get(fnKey)));
    });
  }

  /** Usage since `sinceMs` (whole minutes: the bucket holding `sinceMs` counts), per function and architecture. */
  usage(opts: { sinceMs?: number; functionName?: string } = {}): UsageLine[] {
    const minutes = this.#store.collection<Bucket>('usage-minutes');
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
    return this.#lines(new Map(this.#store.collection<Bucket>('usage-totals').list().map(({ key, value }) => [key, value])));
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
