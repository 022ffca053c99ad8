/**
 * Flint's master keys: the root of every envelope (stored code's data keys, KMS key material).
 * A blob wrapped here names the master key that wrapped it, so the master key can be rotated
 * while Flint serves: new wraps use the current key, old blobs still unwrap, and stores re-wrap
 * their stale blobs in the background until nothing depends on the old key.
 */
export interface MasterKeyring {
  /** AES-256-GCM under the current master key; `context` is bound as additional data (unwrap must give the same). */
  wrap(plaintext: Buffer, context: string): Buffer;
  /** Throws when the blob was altered, the context differs, or its master key is unknown. */
  unwrap(blob: Buffer, context: string): Buffer;
  /** True when the blob was wrapped by a master key other than the current one. */
  isStale(blob: Buffer): boolean;
}

/** A store holding master-wrapped blobs: it can say how many are stale and re-wrap them in batches. */
export interface MasterWrappedStore {
  /** For status output: `code objects`, `kms keys`, … */
  readonly name: string;
  countStale(): number;
  /** Re-wraps up to `limit` stale blobs under the current master key; returns how many it re-wrapped. */
  rewrapStale(limit: number): number;
  /**
   * For a store whose re-wraps reach its database after `rewrapStale` returns (PostgreSQL): resolves
   * once they are written and `countStale` reflects the database; rejects when a write failed.
   */
  settle?(): Promise<void>;
}
