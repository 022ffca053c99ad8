import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AwsError } from '../../src/domain/errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { createKmsServices, type KmsServices } from '../../src/kms/kms-services.js';
import type { MasterKeyring } from '../../src/ports/master-keyring.js';
import type { AuditEvent, AuditLog } from '../../src/ports/audit-log.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const DAY = 86_400_000;

/** A clock tests move by hand. */
export class TestClock {
  t = Date.UTC(2025, 0, 1);
  now(): number { return this.t; }
  monotonic(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}

/**
 * A small MasterKeyring for tests: AES-256-GCM under numbered master keys, the blob's first byte
 * naming its master key, so rotation (a new current key) makes older blobs stale.
 */
export class TestKeyring implements MasterKeyring {
  readonly keys: Buffer[] = [randomBytes(32)];
  wraps = 0;
  unwraps = 0;
  get current(): number { return this.keys.length - 1; }
  rotate(): void { this.keys.push(randomBytes(32)); }
  wrap(plaintext: Buffer, context: string): Buffer {
    this.wraps++;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.keys[this.current]!, iv);
    c.setAAD(Buffer.from(context));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([this.current]), iv, c.getAuthTag(), body]);
  }
  unwrap(blob: Buffer, context: string): Buffer {
    this.unwraps++;
    const key = this.keys[blob[0]!];
    if (!key) throw new Error('unknown master key');
    const d = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
    d.setAAD(Buffer.from(context));
    d.setAuthTag(blob.subarray(13, 29));
    return Buffer.concat([d.update(blob.subarray(29)), d.final()]);
  }
  isStale(blob: Buffer): boolean { return blob[0] !== this.current; }
}

export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void { this.events.push({ ...event, seq: this.events.length + 1 }); }
  list(): AuditEvent[] { return this.events; }
}

export interface KmsKit {
  kms: KmsServices;
  clock: TestClock;
  keyring: TestKeyring;
  audit: MemoryAuditLog;
  store: SqliteMetadataStore;
  /** Closes the store and opens the same data directory again (a restart: no in-memory state survives). */
  restart(): KmsServices;
  close(): void;
}

export function openKmsKit(): KmsKit {
  const dir = mkdtempSync(join(tmpdir(), 'flint-kms-'));
  const clock = new TestClock();
  const keyring = new TestKeyring();
  const audit = new MemoryAuditLog();
  const open = (store: SqliteMetadataStore) => createKmsServices({ store, keyring, clock, audit, region: REGION, accountId: ACCOUNT });
  const kit: KmsKit = {
    store: new SqliteMetadataStore(join(dir, 'flint.db')),
    clock,
    keyring,
    audit,
    kms: undefined as unknown as KmsServices,
    restart() {
      kit.store.close();
      kit.store = new SqliteMetadataStore(join(dir, 'flint.db'));
      kit.kms = open(kit.store);
      return kit.kms;
    },
    close() {
      kit.kms.stop();
      kit.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  kit.kms = open(kit.store);
  return kit;
}

/** Asserts that `fn` throws the KMS error `type` (and `message`, when given). */
export function throwsKms(fn: () => unknown, type: string, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected AwsError, got ${String(err)}`);
    assert.equal(err.type, type, `type (message: ${err.message})`);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

/** A test body run against a fresh KMS with one new key. */
export function withKey(fn: (kit: KmsKit, keyId: string) => void) {
  return () => {
    const kit = openKmsKit();
    try {
      fn(kit, kit.kms.admin.createKey({}).KeyMetadata.KeyId as string);
    } finally {
      kit.close();
    }
  };
}
