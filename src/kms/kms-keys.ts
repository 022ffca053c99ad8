import { createHash, randomBytes } from 'node:crypto';
import type { MasterKeyring, MasterWrappedStore } from '../ports/master-keyring.js';
import type { Collection, MetadataStore } from '../ports/metadata-store.js';
import { kmsErrors } from './kms-errors.js';
import { KMS_COLLECTIONS, type AliasRecord, type KeyMaterialRecord, type KeyRecord } from './kms-records.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK = /^mrk-[0-9a-f]{32}$/;
const DAY_MS = 86_400_000;

/**
 * The KMS keys and aliases of one account and region in the metadata store, with their key
 * material wrapped by the master keyring. Resolves every form a KeyId takes (key id, key ARN,
 * alias name, alias ARN). Unwrapped material is cached in memory; it never leaves this process.
 * Also a MasterWrappedStore, so master-key rotation can re-wrap key material in batches.
 */
export class KmsKeys implements MasterWrappedStore {
  readonly name = 'kms keys';
  readonly #store: MetadataStore;
  readonly #keyring: MasterKeyring;
  readonly #keys: Collection<KeyRecord>;
  readonly #aliases: Collection<AliasRecord>;
  readonly #material = new Map<string, Buffer>();
  readonly #now: () => number;
  readonly arnPrefix: string;
  readonly region: string;
  readonly accountId: string;

  constructor(deps: { store: MetadataStore; keyring: MasterKeyring; now: () => number; region: string; accountId: string; partition?: string }) {
    this.#store = deps.store;
    this.#now = deps.now;
    this.#keyring = deps.keyring;
    this.#keys = deps.store.collection<KeyRecord>(KMS_COLLECTIONS.keys);
    this.#aliases = deps.store.collection<AliasRecord>(KMS_COLLECTIONS.aliases);
    this.region = deps.region;
    this.accountId = deps.accountId;
    this.arnPrefix = `arn:${deps.partition ?? 'aws'}:kms:${deps.region}:${deps.accountId}:`;
  }

  keyArn(keyId: string): string {
    return `${this.arnPrefix}key/${keyId}`;
  }

  aliasArn(aliasName: string): string {
    return `${this.arnPrefix}${aliasName}`;
  }

  transaction<R>(fn: () => R): R {
    return this.#store.transaction(fn);
  }

  /**
   * The key, after its due housekeeping: a key whose deletion window has passed is deleted now
   * (AWS deletes it at the end of the waiting period), and a key whose automatic rotation is due
   * gets its new material version (AWS rotates on the rotation date).
   */
  get(keyId: string): KeyRecord | undefined {
    const record = this.#keys.get(keyId);
    return record && this.#maintain(record);
  }

  #maintain(record: KeyRecord): KeyRecord | undefined {
    const now = this.#now();
    if (record.state === 'PendingDeletion' && record.deletionDate !== undefined && record.deletionDate <= now) {
      this.remove(record.keyId);
      return undefined;
    }
    if (record.rotationEnabled && record.nextRotation !== undefined && record.nextRotation <= now && record.state === 'Enabled') {
      return this.#store.transaction(() => {
        const fresh = this.#keys.get(record.keyId);
        if (!fresh || fresh.nextRotation === undefined || fresh.nextRotation > now) return fresh;
        fresh.materials.push(this.newMaterial(fresh.keyId, fresh.nextRotation, 'AUTOMATIC'));
        fresh.nextRotation = now + (fresh.rotationPeriodDays ?? 365) * DAY_MS;
        this.#keys.put(fresh.keyId, fresh);
        return fresh;
      });
    }
    return record;
  }

  /** Runs the housekeeping of `get` over every key; returns how many keys were deleted. */
  sweep(): number {
    let deleted = 0;
    for (const { value } of this.#keys.list('')) if (!this.#maintain(value)) deleted++;
    return deleted;
  }

  put(record: KeyRecord): void {
    this.#keys.put(record.keyId, record);
  }

  /** Removes the key, its aliases and its cached material (the end of a deletion window). */
  remove(keyId: string): void {
    this.#store.transaction(() => {
      for (const a of this.aliasesOf(keyId)) this.#aliases.delete(a.aliasName);
      this.#keys.delete(keyId);
    });
    for (const k of [...this.#material.keys()]) if (k.startsWith(keyId + '\u0000')) this.#material.delete(k);
  }

  /** Keys in key-id order (keys past their deletion window are deleted on the way, not listed). */
  list(opts: { after?: string; limit?: number } = {}): KeyRecord[] {
    const out: KeyRecord[] = [];
    for (const e of this.#keys.list('', opts)) {
      const r = this.#maintain(e.value);
      if (r) out.push(r);
    }
    return out;
  }

  getAlias(aliasName: string): AliasRecord | undefined {
    return this.#aliases.get(aliasName);
  }

  putAlias(alias: AliasRecord): boolean {
    return this.#aliases.insert(alias.aliasName, alias);
  }

  replaceAlias(alias: AliasRecord): void {
    this.#aliases.put(alias.aliasName, alias);
  }

  deleteAlias(aliasName: string): boolean {
    return this.#aliases.delete(aliasName);
  }

  aliases(opts: { after?: string; limit?: number } = {}): AliasRecord[] {
    return this.#aliases.list('', opts).map((e) => e.value);
  }

  aliasesOf(keyId: string): AliasRecord[] {
    return this.#aliases.list('').map((e) => e.value).filter((a) => a.targetKeyId === keyId);
  }

  /**
   * The key a KeyId names, or the error KMS gives: `Invalid keyId 'x'` for a malformed id,
   * `Key '<arn>' does not exist` for an unknown id or ARN, `Alias <arn> is not found.` for an
   * unknown alias. `aliases: false` for operations that take only key ids and ARNs.
   */
  resolve(ref: string, opts: { aliases?: boolean } = {}): KeyRecord {
    const keyId = this.resolveId(ref, opts);
    const record = this.get(keyId);
    if (!record) throw kmsErrors.keyNotFound(this.keyArn(keyId));
    return record;
  }

  /** The key id a KeyId names (without reading the key), or the error KMS gives. */
  resolveId(ref: string, opts: { aliases?: boolean } = {}): string {
    const allowAliases = opts.aliases ?? true;
    if (ref.startsWith('alias/')) {
      if (!allowAliases) throw kmsErrors.invalidKeyId(ref);
      const alias = this.#aliases.get(ref);
      if (!alias) throw kmsErrors.aliasNotFound(this.aliasArn(ref));
      return alias.targetKeyId;
    }
    if (ref.startsWith('arn:')) {
      const parts = ref.split(':');
      const resource = parts.slice(5).join(':');
      if (parts.length < 6 || parts[2] !== 'kms') throw kmsErrors.invalidKeyId(ref);
      const local = ref.startsWith(this.arnPrefix);
      if (resource.startsWith('alias/')) {
        if (!allowAliases) throw kmsErrors.invalidKeyId(ref);
        const alias = local ? this.#aliases.get(resource) : undefined;
        if (!alias) throw kmsErrors.aliasNotFound(ref);
        return alias.targetKeyId;
      }
      if (resource.startsWith('key/')) {
        const id = resource.slice(4);
        if (!local || !this.get(id)) throw kmsErrors.keyNotFound(ref);
        return id;
      }
      throw kmsErrors.invalidKeyId(ref);
    }
    if (UUID.test(ref)) return ref;
    if (MRK.test(ref)) throw kmsErrors.keyNotFound(this.keyArn(ref));
    throw kmsErrors.invalidKeyId(ref);
  }

  /** New key material, wrapped for storage (the plaintext is cached, never stored). */
  newMaterial(keyId: string, now: number, rotationType?: KeyMaterialRecord['rotationType']): KeyMaterialRecord {
    const plain = randomBytes(32);
    // KMS's KeyMaterialId is 64 hex characters; a digest of fresh randomness, unrelated to the material.
    const id = createHash('sha256').update(randomBytes(32)).digest('hex');
    const wrapped = this.#keyring.wrap(plain, wrapContext(keyId, id)).toString('base64');
    this.#material.set(`${keyId}\u0000${id}`, plain);
    return { id, wrapped, createdAt: now, ...(rotationType ? { rotationType } : {}) };
  }

  /** The plaintext of one material version (unwrapped once, then cached). */
  material(record: KeyRecord, index: number): Buffer | undefined {
    const m = record.materials[index];
    if (!m) return undefined;
    const cacheKey = `${record.keyId}\u0000${m.id}`;
    let plain = this.#material.get(cacheKey);
    if (!plain) {
      plain = this.#keyring.unwrap(Buffer.from(m.wrapped, 'base64'), wrapContext(record.keyId, m.id));
      this.#material.set(cacheKey, plain);
    }
    return plain;
  }

  countStale(): number {
    let n = 0;
    for (const { value } of this.#keys.list('')) for (const m of value.materials) if (this.#keyring.isStale(Buffer.from(m.wrapped, 'base64'))) n++;
    return n;
  }

  rewrapStale(limit: number): number {
    let done = 0;
    for (const { key } of this.#keys.list('')) {
      if (done >= limit) break;
      done += this.#store.transaction(() => {
        // Re-read inside the transaction: a rotation may have added material meanwhile.
        const record = this.#keys.get(key);
        if (!record) return 0;
        let n = 0;
        for (const m of record.materials) {
          if (done + n >= limit) break;
          const blob = Buffer.from(m.wrapped, 'base64');
          if (!this.#keyring.isStale(blob)) continue;
          const ctx = wrapContext(record.keyId, m.id);
          m.wrapped = this.#keyring.wrap(this.#keyring.unwrap(blob, ctx), ctx).toString('base64');
          n++;
        }
        if (n > 0) this.#keys.put(key, record);
        return n;
      });
    }
    return done;
  }
}

/** Binds a wrapped blob to its key and material version, so blobs cannot be swapped between keys. */
function wrapContext(keyId: string, materialId: string): string {
  return `flint kms key material ${keyId} ${materialId}`;
}
