import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeSample, InvocationRecord, Metrics } from '../ports/metrics.js';

/**
 * Flint's metrics in Prometheus form, named after Lambda's CloudWatch metrics where one exists
 * (Invocations, Errors, Throttles, Duration, ConcurrentExecutions) and labelled with the start type
 * (cold / pre-initialized / warm), which Lambda reports only as Init Duration.
 */
export class PrometheusMetrics implements Metrics {
  readonly #registry = new Registry();
  readonly #invocations: Counter<string>;
  readonly #errors: Counter<string>;
  readonly #throttles: Counter<string>;
  readonly #duration: Histogram<string>;
  readonly #init: Histogram<string>;
  readonly #billedMs: Counter<string>;
  readonly #gbSeconds: Counter<string>;
  /** Label-bound children per label set: a warm invocation then hashes no label objects. */
  readonly #bound = new Map<string, BoundSeries>();

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.#registry, prefix: 'flint_process_' });
    const labels = ['function_name', 'version', 'start_type'];
    this.#invocations = new Counter({ name: 'flint_invocations_total', help: 'Invocations finished (Lambda: Invocations)', labelNames: [...labels, 'outcome', 'async'], registers: [this.#registry] });
    this.#errors = new Counter({ name: 'flint_errors_total', help: 'Invocations that failed (Lambda: Errors)', labelNames: ['function_name', 'version', 'outcome'], registers: [this.#registry] });
    this.#throttles = new Counter({ name: 'flint_throttles_total', help: 'Invocations refused for concurrency (Lambda: Throttles)', labelNames: ['function_name', 'reason'], registers: [this.#registry] });
    this.#duration = new Histogram({
      name: 'flint_duration_milliseconds', help: 'Handler duration (Lambda: Duration)', labelNames: labels, registers: [this.#registry],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000],
    });
    this.#init = new Histogram({
      name: 'flint_init_duration_milliseconds', help: 'Init Duration of non-warm starts', labelNames: labels, registers: [this.#registry],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
    });
    this.#billedMs = new Counter({ name: 'flint_billed_duration_milliseconds_total', help: 'Billed Duration, rounded up to 1 ms', labelNames: ['function_name', 'version'], registers: [this.#registry] });
    this.#gbSeconds = new Counter({ name: 'flint_billed_gb_seconds_total', help: 'Billed Duration × memory, in GB-seconds (Lambda pricing unit)', labelNames: ['function_name', 'version'], registers: [this.#registry] });
  }

  invocation(r: InvocationRecord): void {
    const k = `${r.functionName}\0${r.version}\0${r.startType}\0${r.outcome}\0${r.async}`;
    let b = this.#bound.get(k);
    if (!b) {
      const base = { function_name: r.functionName, version: r.version, start_type: r.startType };
      const fv = { function_name: r.functionName, version: r.version };
      b = {
        invocations: this.#invocations.labels({ ...base, outcome: r.outcome, async: String(r.async) }),
        errors: r.outcome !== 'success' ? this.#errors.labels({ ...fv, outcome: r.outcome }) : undefined,
        duration: this.#duration.labels(base),
        init: this.#init.labels(base),
        billedMs: this.#billedMs.labels(fv),
        gbSeconds: this.#gbSeconds.labels(fv),
      };
      this.#bound.set(k, b);
    }
    b.invocations.inc();
    b.errors?.inc();
    b.duration.observe(r.durationMs);
    if (r.initDurationMs !== undefined) b.init.observe(r.initDurationMs);
    b.billedMs.inc(r.billedDurationMs);
    b.gbSeconds.inc((r.billedDurationMs / 1000) * (r.memorySizeMb / 1024));
  }

  throttle(functionName: string, reason: string): void {
    this.#throttles.inc({ function_name: functionName, reason });
  }

  gauge(name: string, help: string, labelNames: string[], read: () => GaugeSample[] | Promise<GaugeSample[]>): void {
    new Gauge({
      name, help, labelNames, registers: [this.#registry],
      async collect() {
        const samples = await read();
        this.reset();
        for (const s of samples) this.set(s.labels, s.value);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }
}

interface BoundSeries {
  invocations: { inc(value?: number): void };
  errors: { inc(value?: number): void } | undefined;
  duration: { observe(value: number): void };
  init: { observe(value: number): void };
  billedMs: { inc(value?: number): void };
  gbSeconds: { inc(value?: number): void };
}
