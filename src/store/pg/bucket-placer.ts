import { createHash } from 'node:crypto';

/** The two buckets a function's events may go to (distinct when there are at least two buckets). */
export function bucketChoices(functionName: string, bucketCount: number): [number, number] {
  const h = createHash('sha256').update(functionName).digest();
  const first = h.readUInt32BE(0) % bucketCount;
  if (bucketCount < 2) return [first, first];
  let second = h.readUInt32BE(4) % (bucketCount - 1);
  if (second >= first) second++;
  return [first, second];
}

/**
 * Places each enqueued event in the shorter of its function's two buckets (docs/cluster.md:
 * shuffle sharding plus best-of-2). A function keeps to two buckets, so one noisy function fills
 * at most two and shares each with few others; choosing the shorter one spreads its own burst over
 * both. Depths are this node's estimate: counted from the table now and then, plus the events this
 * node placed since — the choice only needs to be roughly right, never exact.
 */
export class BucketPlacer {
  readonly bucketCount: number;
  readonly #depth: Float64Array;
  /** Events placed since the running count began (the count may not see them). */
  readonly #sinceCount: Float64Array;
  readonly #choices = new Map<string, [number, number]>();

  constructor(bucketCount: number) {
    this.bucketCount = bucketCount;
    this.#depth = new Float64Array(bucketCount);
    this.#sinceCount = new Float64Array(bucketCount);
  }

  /** The bucket for the next event of `functionName`; counts it there. */
  place(functionName: string): number {
    let c = this.#choices.get(functionName);
    if (!c) {
      c = bucketChoices(functionName, this.bucketCount);
      // Bounded: names come from requests, and a cache entry is cheap to recompute.
      if (this.#choices.size >= 10_000) this.#choices.clear();
      this.#choices.set(functionName, c);
    }
    const b = this.#depth[c[1]]! < this.#depth[c[0]]! ? c[1] : c[0];
    this.#depth[b]!++;
    this.#sinceCount[b]!++;
    return b;
  }

  /** Call when a count of the table is sent: placements from now on are added to its result. */
  countStarted(): void {
    this.#sinceCount.fill(0);
  }

  /** Replaces the estimate with counted depths (buckets absent from `counts` are empty) plus what was placed since the count began. */
  reset(counts: ReadonlyMap<number, number>): void {
    this.#depth.set(this.#sinceCount);
    for (const [b, n] of counts) if (b >= 0 && b < this.bucketCount) this.#depth[b]! += n;
  }
}
