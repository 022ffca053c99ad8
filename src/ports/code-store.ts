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

export interface CodeStore {
  /** Validates the archive (see domain/zip-limits) and stores it once per content. */
  put(zip: Buffer): Promise<StoredCode>;
  /** The decrypted zip bytes. */
  get(sha256Hex: string): Promise<Buffer>;
  has(sha256Hex: string): boolean;
  /** A directory holding the extracted archive (created on first use, then reused). */
  extracted(sha256Hex: string): Promise<string>;
  /** Removes objects no longer referenced. */
  remove(sha256Hex: string): Promise<void>;
}
