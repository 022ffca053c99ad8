/**
 * The metadata store: named collections of JSON documents addressed by string keys, ordered by key.
 * Keys that share a prefix (e.g. `fn\u0000` for all versions of one function) are listed together.
 * Every multi-document change runs inside `transaction`, which is atomic and serialised.
 */
export interface Collection<T> {
  get(key: string): T | undefined;
  put(key: string, value: T): void;
  /** Insert only; returns false when the key already exists. */
  insert(key: string, value: T): boolean;
  delete(key: string): boolean;
  /** Documents whose key starts with `prefix`, in key order, starting after `after` when given. */
  list(prefix?: string, opts?: { after?: string; limit?: number }): Array<{ key: string; value: T }>;
  count(prefix?: string): number;
}

/** How a collection is used, for stores that cache reads across nodes. */
export interface CollectionOptions {
  /**
   * Counters written often and read rarely (usage sums): a store with a shared read cache serves
   * them uncached and does not count their writes as configuration changes, so a write every
   * second does not make every node drop its cached functions.
   */
  volatile?: boolean;
}

export interface MetadataStore {
  /** The first call for a name fixes its options. */
  collection<T>(name: string, options?: CollectionOptions): Collection<T>;
  transaction<R>(fn: () => R): R;
  close(): void;
}
