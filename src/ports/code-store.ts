/** Content-addressed, encrypted-at-rest storage of code and layer archives. */
export interface StoredCode {
  /** Hex SHA-256 of the zip bytes (the content address). */
  sha256Hex: string;
  /** Base64 SHA-256, Lambda's `CodeSha256`. */
  codeSha256: string;
  /** Size of the zip in bytes, Lambda's `CodeSize`. */
  size: number;
  /** Sum of uncompressed entry sizes. */
  unzippedSize: number;
}

/** One stored archive as the collector sees it. */
export interface StoredObject {
  sha256Hex: string;
  /** Size of the zip in bytes. */
  size: number;
  /** When it was last stored or re-uploaded (ms since epoch): the collector's grace starts here. */
  lastPutAt: number;
}

export interface CodeStore {
  /** Validates the archive (see domain/zip-limits) and stores it once per content. */
  put(zip: Buffer): Promise<StoredCode>;
  /** The decrypted zip bytes. */
  get(sha256Hex: string): Promise<Buffer>;
  has(sha256Hex: string): boolean;
  /** A directory holding the extracted archive (created on first use, then reused). */
  extracted(sha256Hex: string): Promise<string>;
  /**
   * The extracted archive for one user (an execution environment): the plaintext tree exists
   * only while someone holds it and is removed at the last `release()`.
   */
  acquireExtracted(sha256Hex: string): Promise<{ dir: string; release(): Promise<void> }>;
  /** Every stored archive. */
  list(): StoredObject[];
  /**
   * Removes an object (archive, wrapped key, extracted tree) unless it was put again at or after
   * `notPutSince` (ms): an upload racing the collector keeps its object. True when removed.
   */
  remove(sha256Hex: string, notPutSince: number): Promise<boolean>;
}
