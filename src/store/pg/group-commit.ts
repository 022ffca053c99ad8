interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  /** Batches in flight at once (each holds a connection for one statement). */
  maxBatches: number;
  /** Items per batch at most. */
  maxBatchSize: number;
}

/**
 * Group commit for writes to a networked database: items added in the same turn of the event loop
 * (and while every batch slot is busy) are written by one statement, in one transaction, so
 * concurrent callers share the commit's WAL flush instead of paying one each. `run` returns one
 * result per item, in order; an Error in the array fails that item alone, a thrown error fails the
 * whole batch.
 */
export class GroupCommit<T, R> {
  readonly #run: (batch: readonly T[]) => Promise<Array<R | Error>>;
  readonly #opts: GroupCommitOptions;
  #pending: Array<Pending<T, R>> = [];
  #scheduled = false;
  #inFlight = 0;
  readonly #idle: Array<() => void> = [];

  constructor(run: (batch: readonly T[]) => Promise<Array<R | Error>>, opts: GroupCommitOptions) {
    this.#run = run;
    this.#opts = opts;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Starts every waiting item now, whatever the batch slots (closing). */
  flushAll(): void {
    while (this.#pending.length > 0) this.#start();
  }

  /** Resolves once nothing waits and nothing is being written. */
  whenIdle(): Promise<void> {
    if (this.#pending.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#opts.maxBatches) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#pending.length > 0 && this.#inFlight < this.#opts.maxBatches) this.#start();
    });
  }

  #start(): void {
    const max = this.#opts.maxBatchSize;
    const batch = this.#pending.length <= max ? this.#pending : this.#pending.slice(0, max);
    this.#pending = this.#pending.length <= max ? [] : this.#pending.slice(max);
    this.#inFlight++;
    let run: Promise<Array<R | Error>>;
    try {
      run = this.#run(batch.map((p) => p.item));
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      (results) => {
        batch.forEach((p, i) => {
          const r = results[i];
          if (r instanceof Error) p.reject(r);
          else p.resolve(r as R);
        });
      },
      (err: unknown) => { for (const p of batch) p.reject(err); },
    ).finally(() => {
      this.#inFlight--;
      if (this.#pending.length > 0) this.#schedule();
      else if (this.#inFlight === 0) for (const done of this.#idle.splice(0)) done();
    });
  }
}
