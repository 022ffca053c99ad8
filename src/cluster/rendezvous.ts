import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: every node computes the same order of candidates
 * for a key from the member ids alone, and a membership change moves only the keys whose top
 * candidate joined or left (docs/cluster.md: routing functions to workers, buckets to pollers).
 */
export function rendezvousOrder<T>(key: string, candidates: readonly T[], idOf: (c: T) => string): T[] {
  const scored = candidates.map((c) => ({ c, w: weight(key, idOf(c)) }));
  scored.sort((a, b) => (a.w < b.w ? 1 : a.w > b.w ? -1 : 0));
  return scored.map((s) => s.c);
}

function weight(key: string, id: string): bigint {
  // SHA-256 is overkill for spread but already in Node and stable across versions and platforms.
  return createHash('sha256').update(key).update('\u0000').update(id).digest().readBigUInt64BE(0);
}
