import { createHash } from 'node:crypto';

/** The `prevHash` of the first link of a trail that was never pruned. */
export const GENESIS = '0'.repeat(64);
export const DIGEST_FORMAT = 'flint-audit-digest/1';

/**
 * Canonical JSON: keys sorted at every level, no whitespace, `undefined` members dropped — the
 * same object always gives the same bytes, so its hash does not depend on how it was built.
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const parts: string[] = [];
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A link's hash: SHA-256 over the previous link's hash, a newline, and the record's bytes. */
export function linkHash(prevHash: string, record: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(record).digest('hex');
}

/** A digest: CloudTrail's digest files, as a link of the same chain, signed with Ed25519. */
export interface DigestRecord {
  digestFormat: string;
  awsAccountId: string;
  digestStartTime: string;
  digestEndTime: string;
  /** First and last link this digest closes (the events since the previous digest). */
  digestStartSeq: number;
  digestEndSeq: number;
  recordCount: number;
  /** The hash of link `digestEndSeq`: signing it vouches for every link before. */
  lastRecordHash: string;
  previousDigestSeq: number | null;
  previousDigestSignature: string | null;
  digestSignatureAlgorithm: 'Ed25519';
  /** SHA-256 of the public key's DER (SPKI): which key verifies the signature. */
  publicKeyFingerprint: string;
}
