import { existsSync, readFileSync } from 'node:fs';

/**
 * The history of a fault test, as Jepsen and etcd's robustness tests keep one: every operation the
 * test's clients made (invoke start and end with its outcome, async enqueue and whether it was
 * accepted), every run the function itself reported (which environment, which version, when it
 * started and ended, on which worker), and the faults injected. Invariant checkers
 * (./invariants.ts) read it; nothing here judges timings.
 */
export type OpKind = 'invoke' | 'enqueue' | 'control' | 'sqs-send';
export type OpOutcome = 'ok' | 'fail' | 'unknown';

export interface Op {
  readonly seq: number;
  readonly kind: OpKind;
  /** The payload id the function reports back (invokes and enqueues). */
  readonly id: string;
  /** Which api node the client used. */
  readonly via: string;
  readonly start: number;
  end?: number;
  outcome?: OpOutcome;
  /** HTTP status (invokes: 200; accepted enqueue: 202), or the error's name. */
  status?: number;
  error?: string;
  /** For a successful sync invoke: the report the function returned. */
  report?: Report;
}

/** What the test function records for each run (one JSON line in the report file, and its return value). */
export interface Report {
  readonly id: string;
  readonly fn: string;
  readonly version: string;
  /** A per-environment random id (made when the environment's runtime loads the handler). */
  readonly env: string;
  /** The worker host's address (the process driver runs functions in the worker's namespace). */
  readonly worker: string;
  readonly start: number;
  readonly end: number;
  /** For scheduled runs: the schedule's name. */
  readonly schedule?: string;
}

export interface Fault {
  readonly at: number;
  readonly what: string;
}

export class History {
  readonly ops: Op[] = [];
  readonly faults: Fault[] = [];
  readonly #reportFile: string;
  #seq = 0;

  constructor(reportFile: string) {
    this.#reportFile = reportFile;
  }

  /** Records an operation around `run`: its start, its end, and what came of it (an error is recorded, not thrown). */
  async record(kind: OpKind, id: string, via: string, run: () => Promise<{ status: number; report?: Report }>): Promise<Op> {
    const op: Op = { seq: ++this.#seq, kind, id, via, start: Date.now() };
    this.ops.push(op);
    try {
      const r = await run();
      op.status = r.status;
      if (r.report) op.report = r.report;
      op.outcome = 'ok';
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
      op.status = e.$metadata?.httpStatusCode;
      op.error = `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
      // A timeout or a cut connection leaves it open whether the server acted on it.
      op.outcome = op.status === undefined ? 'unknown' : 'fail';
    }
    op.end = Date.now();
    return op;
  }

  fault(what: string): void {
    this.faults.push({ at: Date.now(), what });
  }

  /** Every run the function reported so far (the file is appended to by functions on every worker). */
  reports(): Report[] {
    if (!existsSync(this.#reportFile)) return [];
    return readFileSync(this.#reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Report);
  }

  /** A compact account for a failed assertion's message. */
  summary(): string {
    const by = new Map<string, number>();
    for (const o of this.ops) by.set(`${o.kind}:${o.outcome}:${o.status ?? '-'}`, (by.get(`${o.kind}:${o.outcome}:${o.status ?? '-'}`) ?? 0) + 1);
    return `ops ${JSON.stringify(Object.fromEntries(by))}; faults ${this.faults.map((f) => f.what).join(', ')}; reports ${this.reports().length}`;
  }
}
