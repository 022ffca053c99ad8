/**
 * Decisions that did not depend on the request context, keyed by (caller, action, resource) and
 * valid for one identity-policy revision and one resource-policy revision: a hit compares two
 * values, so any policy change anywhere is a miss. Bounded: past `capacity` entries the oldest
 * is dropped (insertion order), which keeps a hit free of bookkeeping.
 */
export class DecisionCache<D> {
  readonly #capacity: number;
  readonly #entries = new Map<string, { identityRevision: number; resourceRevision: string | undefined; decision: D }>();

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(key: string, identityRevision: number, resourceRevision: string | undefined): D | undefined {
    const e = this.#entries.get(key);
    if (e === undefined || e.identityRevision !== identityRevision || e.resourceRevision !== resourceRevision) return undefined;
    return e.decision;
  }

  set(key: string, identityRevision: number, resourceRevision: string | undefined, decision: D): void {
    const entries = this.#entries;
    if (!entries.has(key) && entries.size >= this.#capacity) entries.delete(entries.keys().next().value!);
    entries.set(key, { identityRevision, resourceRevision, decision });
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
