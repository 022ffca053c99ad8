import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { KeyService, KeyUse } from '../../src/ports/key-service.js';
import { AwsError } from '../../src/domain/errors.js';

/**
 * An in-memory KeyService for unit tests: AES-256-GCM per key, the blob naming its key, the
 * encryption context as associated data, KMS's error types for unusable keys, and every use logged.
 */
export class FakeKeyService implements KeyService {
  readonly #keys = new Map<string, { material: Buffer; state: string }>();
  readonly #aliases = new Map<string, string>();
  readonly uses: Array<{ op: 'encrypt' | 'decrypt'; keyArn: string; context: Record<string, string>; use: KeyUse }> = [];
  readonly region: string;
  readonly account: string;

  constructor(region = 'us-east-1', account = '000000000000') {
    this.region = region;
    this.account = account;
  }

  createKey(): string {
    const arn = `arn:aws:kms:${this.region}:${this.account}:key/${randomUUID()}`;
    this.#keys.set(arn, { material: randomBytes(32), state: 'Enabled' });
    return arn;
  }

  setState(keyArn: string, state: string): void {
    this.#keys.get(keyArn)!.state = state;
  }

  /** The key and its material are gone (deletion after the waiting period). */
  destroy(keyArn: string): void {
    this.#keys.delete(keyArn);
  }

  resolveKeyArn(keyRef: string): string {
    const arn = this.#aliases.get(keyRef) ?? (keyRef.startsWith('arn:') ? keyRef : `arn:aws:kms:${this.region}:${this.account}:key/${keyRef}`);
    if (!this.#keys.has(arn)) throw new AwsError('NotFoundException', `Key '${arn}' does not exist`);
    return arn;
  }

  awsManagedKeyArn(service: string): string {
    const alias = `alias/aws/${service}`;
    let arn = this.#aliases.get(alias);
    if (!arn) {
      arn = this.createKey();
      this.#aliases.set(alias, arn);
    }
    return arn;
  }

  keyState(keyArn: string): string | undefined {
    return this.#keys.get(keyArn)?.state;
  }

  encrypt(keyArn: string, plaintext: Buffer, context: Record<string, string>, use: KeyUse): Buffer {
    const key = this.#usable(keyArn);
    this.uses.push({ op: 'encrypt', keyArn, context, use });
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key.material, iv);
    c.setAAD(aad(context));
    const body = Buffer.concat([c.update(plaintext), c.final()]);
    const name = Buffer.from(keyArn);
    return Buffer.concat([Buffer.from([name.length]), name, iv, c.getAuthTag(), body]);
  }

  decrypt(ciphertext: Buffer, context: Record<string, string>, use: KeyUse): { plaintext: Buffer; keyArn: string } {
    const n = ciphertext[0]!;
    const keyArn = ciphertext.subarray(1, 1 + n).toString();
    const key = this.#usable(keyArn);
    this.uses.push({ op: 'decrypt', keyArn, context, use });
    const iv = ciphertext.subarray(1 + n, 13 + n);
    const tag = ciphertext.subarray(13 + n, 29 + n);
    const d = createDecipheriv('aes-256-gcm', key.material, iv);
    d.setAAD(aad(context));
    d.setAuthTag(tag);
    try {
      return { plaintext: Buffer.concat([d.update(ciphertext.subarray(29 + n)), d.final()]), keyArn };
    } catch {
      throw new AwsError('InvalidCiphertextException', '');
    }
  }

  #usable(keyArn: string): { material: Buffer; state: string } {
    const key = this.#keys.get(keyArn);
    if (!key) throw new AwsError('NotFoundException', `Key '${keyArn}' does not exist`);
    if (key.state === 'Disabled') throw new AwsError('DisabledException', `${keyArn} is disabled.`);
    if (key.state !== 'Enabled') throw new AwsError('KMSInvalidStateException', `${keyArn} is pending deletion.`);
    return key;
  }
}

function aad(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]])));
}
