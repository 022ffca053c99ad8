import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAuditLog } from '../store/sqlite-audit-log.js';
import { verifyChain, type ChainReport } from '../observe/audit-chain-verifier.js';
import { publicKeyFingerprint } from '../observe/digest-signer.js';
import { AUDIT_PUBLIC_KEY_FILE } from './audit-signing-key.js';

/**
 * `flint audit verify`: checks the trail in `<dataDir>/flint.db` offline, read-only (a running
 * server may keep writing; SQLite's WAL gives this reader a consistent snapshot). Digests are
 * checked with the given public key files, else the data dir's own public key — give a copy kept
 * elsewhere (`flint audit public-key`) to catch a trail re-signed with a replaced key. With
 * `retention`, a trail starting at a digest younger than the retention window is a deletion.
 */
export function verifyAuditTrail(dataDir: string, publicKeyFiles: string[] = [], retention?: { now: number; retentionDays: number }): ChainReport & { keys: string[] } {
  const file = join(dataDir, 'flint.db');
  if (!existsSync(file)) throw new Error(`no Flint data in ${dataDir} (no flint.db)`);
  const keyFiles = publicKeyFiles.length ? publicKeyFiles : [join(dataDir, AUDIT_PUBLIC_KEY_FILE)];
  const keys: KeyObject[] = keyFiles.filter((f) => existsSync(f) || publicKeyFiles.length).map((f) => createPublicKey(readFileSync(f)));
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const columns = new Set((db.prepare('PRAGMA table_info(audit_events)').all() as Array<{ name: string }>).map((c) => c.name));
    if (!columns.has('hash')) throw new Error(`the audit trail in ${dataDir} is not hash-chained yet: start this Flint version once to seal it`);
    const rows = db.transaction(() => new SqliteAuditLog(db).rows())();
    return { ...verifyChain(rows, keys, retention), keys: keys.map(publicKeyFingerprint) };
  } finally {
    db.close();
  }
}

/** The audit public key (PEM) and its fingerprint, for safekeeping outside the data dir. */
export function auditPublicKey(dataDir: string): { pem: string; fingerprint: string } {
  const file = join(dataDir, AUDIT_PUBLIC_KEY_FILE);
  if (!existsSync(file)) throw new Error(`no audit signing key in ${dataDir} yet (it is made at the first start)`);
  const pem = readFileSync(file, 'utf8');
  return { pem, fingerprint: publicKeyFingerprint(createPublicKey(pem)) };
}
