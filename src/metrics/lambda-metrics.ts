import type { Clock } from '../ports/clock.js';
import type { MetricDimension } from '../ports/metric-store.js';
import type { AsyncEventMetrics, InvocationRecord, Metrics } from '../ports/metrics.js';
import type { MetricRecorder, SeriesBuffer } from './metric-recorder.js';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

/** What the concurrency leases report (src/invoke/concurrency-policy.ts ConcurrencyUsage, structurally). */
export interface ConcurrencySnapshot {
  unreserved: number;
  byFunction: ReadonlyMap<string, number>;
  /** Keyed `function NUL qualifier`. */
  provisioned: ReadonlyMap<string, number>;
}

interface InvocationSeries {
  invocations: SeriesBuffer[];
  errors: SeriesBuffer[];
  duration: SeriesBuffer[];
}

/**
 * Flint's own AWS/Lambda namespace, published as Lambda does: every metric for the account (no
 * dimensions), per FunctionName, per FunctionName + Resource (`fn:alias` or `fn:version`, when
 * the invocation addressed a qualifier) and per FunctionName + Resource + ExecutedVersion (when
 * an alias was invoked). Invocations counts every run (not throttles); Errors is 1 for a run that
 * ended in a function error (timeouts and runtime errors included) and 0 otherwise, so its
 * Average is the error rate; Throttles counts 429s; Duration is in Milliseconds.
 * Each update is an addition to an in-memory aggregate (MetricRecorder flushes them).
 */
export class LambdaMetrics implements AsyncEventMetrics {
  readonly #recorder: MetricRecorder;
  readonly #clock: Clock;
  readonly #bound = new Map<string, InvocationSeries>();
  readonly #counters = new Map<string, SeriesBuffer[]>();
  /** Allocated provisioned concurrency last seen per `function NUL qualifier` (for ProvisionedConcurrencyUtilization). */
  readonly #allocated = new Map<string, number>();
  #sampler: NodeJS.Timeout | undefined;

  constructor(opts: { recorder: MetricRecorder; clock: Clock }) {
    this.#recorder = opts.recorder;
    this.#clock = opts.clock;
  }

  /** Lambda's dimension sets for an invocation of `fn` addressed as `qualifier` that ran `version`. */
  static dimensionSets(fn: string, qualifier: string | undefined, version?: string): MetricDimension[][] {
    const sets: MetricDimension[][] = [[], [{ Name: 'FunctionName', Value: fn }]];
    if (qualifier !== undefined) {
      const resource = { Name: 'Resource', Value: `${fn}:${qualifier}` };
      sets.push([{ Name: 'FunctionName', Value: fn }, resource]);
      if (version !== undefined && qualifier !== version && qualifier !== '$LATEST') {
        sets.push([{ Name: 'ExecutedVersion', Value: version }, { Name: 'FunctionName', Value: fn }, resource]);
      }
    }
    return sets;
  }

  #buffers(metricName: string, unit: string, sets: MetricDimension[][]): SeriesBuffer[] {
    return sets.map((dimensions) => this.#recorder.buffer({ namespace: LAMBDA_NAMESPACE, metricName, dimensions, unit }));
  }

  #counter(metricName: string, unit: string, fn: string, qualifier: string | undefined, version?: string): SeriesBuffer[] {
    const k = `${metricName}\0${fn}\0${qualifier ?? ''}\0${version ?? ''}`;
    let b = this.#counters.get(k);
    if (!b) {
      b = this.#buffers(metricName, unit, LambdaMetrics.dimensionSets(fn, qualifier, version));
      this.#counters.set(k, b);
    }
    return b;
  }

  /** `inner` (the Prometheus metrics), also publishing to AWS/Lambda. */
  wrap(inner: Pick<Metrics, 'invocation' | 'throttle'>): Pick<Metrics, 'invocation' | 'throttle'> {
    return {
      invocation: (rec) => {
        inner.invocation(rec);
        this.invocation(rec);
      },
      throttle: (fn, reason, qualifier) => {
        inner.throttle(fn, reason, qualifier);
        this.throttle(fn, qualifier);
      },
    };
  }

  invocation(rec: InvocationRecord): void {
    const k = `${rec.functionName}\0${rec.qualifier ?? ''}\0${rec.version}`;
    let s = this.#bound.get(k);
    if (!s) {
      const sets = LambdaMetrics.dimensionSets(rec.functionName, rec.qualifier, rec.version);
      s = { invocations: this.#buffers('Invocations', 'Count', sets), errors: this.#buffers('Errors', 'Count', sets), duration: this.#buffers('Duration', 'Milliseconds', sets) };
      this.#bound.set(k, s);
    }
    const now = this.#clock.now();
    const error = rec.outcome === 'success' ? 0 : 1;
    for (const b of s.invocations) b.add(now, 1);
    for (const b of s.errors) b.add(now, error);
    for (const b of s.duration) b.add(now, rec.durationMs);
    // Lambda publishes PostRuntimeExtensionsDuration only for invocations whose extensions ran on after the reply.
    if ((rec.postRuntimeExtensionsDurationMs ?? 0) > 0) {
      for (const b of this.#counter('PostRuntimeExtensionsDuration', 'Milliseconds', rec.functionName, rec.qualifier, rec.version)) b.add(now, rec.postRuntimeExtensionsDurationMs!);
    }
    if (rec.provisionedAllocated !== undefined && rec.qualifier !== undefined) {
      this.#allocated.set(`${rec.functionName}\0${rec.qualifier}`, rec.provisionedAllocated);
      const metric = rec.onProvisioned ? 'ProvisionedConcurrencyInvocations' : 'ProvisionedConcurrencySpilloverInvocations';
      for (const b of this.#counter(metric, 'Count', rec.functionName, rec.qualifier, rec.version)) b.add(now, 1);
    }
  }

  throttle(functionName: string, qualifier?: string): void {
    const now = this.#clock.now();
    for (const b of this.#counter('Throttles', 'Count', functionName, qualifier)) b.add(now, 1);
  }

  #count(metricName: string, fn: string, qualifier: string, value = 1, unit = 'Count'): void {
    const now = this.#clock.now();
    for (const b of this.#counter(metricName, unit, fn, qualifier === '$LATEST' ? undefined : qualifier)) b.add(now, value);
  }

  received(fn: string, qualifier: string): void {
    this.#count('AsyncEventsReceived', fn, qualifier);
  }

  invoked(fn: string, qualifier: string, ageMs: number): void {
    this.#count('AsyncEventAge', fn, qualifier, Math.max(0, ageMs), 'Milliseconds');
  }

  dropped(fn: string, qualifier: string): void {
    this.#count('AsyncEventsDropped', fn, qualifier);
  }

  deadLetterError(fn: string, qualifier: string): void {
    this.#count('DeadLetterErrors', fn, qualifier);
  }

  destinationDeliveryFailure(fn: string, qualifier: string): void {
    this.#count('DestinationDeliveryFailures', fn, qualifier);
  }

  /**
   * Samples concurrency (ConcurrentExecutions per function and for the account,
   * UnreservedConcurrentExecutions for the account, ProvisionedConcurrentExecutions and
   * ProvisionedConcurrencyUtilization per FunctionName + Resource) once per interval while anything runs: Maximum over a period is its peak.
   */
  sample(snapshot: ConcurrencySnapshot): void {
    let total = 0;
    for (const n of snapshot.byFunction.values()) total += n;
    if (total === 0) return;
    const now = this.#clock.now();
    const buf = (metricName: string, dimensions: MetricDimension[]) => this.#recorder.buffer({ namespace: LAMBDA_NAMESPACE, metricName, dimensions, unit: 'Count' });
    buf('ConcurrentExecutions', []).add(now, total);
    buf('UnreservedConcurrentExecutions', []).add(now, snapshot.unreserved);
    for (const [fn, n] of snapshot.byFunction) buf('ConcurrentExecutions', [{ Name: 'FunctionName', Value: fn }]).add(now, n);
    for (const [key, n] of snapshot.provisioned) {
      const [fn, qualifier] = key.split('\0') as [string, string];
      const dims = [{ Name: 'FunctionName', Value: fn }, { Name: 'Resource', Value: `${fn}:${qualifier}` }];
      buf('ProvisionedConcurrentExecutions', dims).add(now, n);
      const allocated = this.#allocated.get(key);
      // Lambda's ratio: in-use provisioned executions over the allocation (0.5 is half used).
      if (allocated) this.#recorder.buffer({ namespace: LAMBDA_NAMESPACE, metricName: 'ProvisionedConcurrencyUtilization', dimensions: dims, unit: 'None' }).add(now, n / allocated);
    }
  }

  startSampling(read: () => ConcurrencySnapshot, intervalMs = 1000): void {
    this.#sampler = setInterval(() => this.sample(read()), intervalMs);
    this.#sampler.unref();
  }

  stop(): void {
    if (this.#sampler) clearInterval(this.#sampler);
    this.#sampler = undefined;
  }
}
