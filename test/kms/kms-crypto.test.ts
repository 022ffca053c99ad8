import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/domain/errors.js';
import { ACCOUNT, DAY, REGION, throwsKms, withKey } from './kms-fixture.js';

const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/`;


const ctx = { purpose: 'test', tenant: 'a' };

test('Encrypt/Decrypt: round trip with encryption context; Decrypt needs no KeyId', withKey(({ kms }, id) => {
  const enc = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('hello'), EncryptionContext: ctx });
  assert.equal(enc.KeyId, ARN + id);
  assert.equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
  assert.ok(!enc.CiphertextBlob.includes(Buffer.from('hello')));
  const dec = kms.crypto.decrypt({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { tenant: 'a', purpose: 'test' } });
  assert.equal(dec.Plaintext.toString(), 'hello');
  assert.equal(dec.KeyId, ARN + id);
  assert.equal(dec.KeyMaterialId, kms.admin.describeKey({ KeyId: id }).KeyMetadata.CurrentKeyMaterialId);
}));

test('Decrypt: a missing, different or extra encryption context is InvalidCiphertextException with an empty message', withKey(({ kms }, id) => {
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('x'), EncryptionContext: ctx }).CiphertextBlob;
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob }), 'InvalidCiphertextException', '');
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob, EncryptionContext: { ...ctx, tenant: 'b' } }), 'InvalidCiphertextException', '');
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob, EncryptionContext: { ...ctx, more: '1' } }), 'InvalidCiphertextException', '');
  const plain = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('x') }).CiphertextBlob;
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: plain, EncryptionContext: ctx }), 'InvalidCiphertextException', '');
}));

test('Decrypt: an altered or foreign ciphertext is InvalidCiphertextException', withKey(({ kms }, id) => {
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('payload') }).CiphertextBlob;
  for (const i of [0, 5, blob.length - 1]) {
    const bad = Buffer.from(blob);
    bad[i] ^= 1;
    assert.throws(() => kms.crypto.decrypt({ CiphertextBlob: bad }), (e: AwsError) => ['InvalidCiphertextException', 'NotFoundException'].includes(e.type));
  }
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: Buffer.from('not a kms ciphertext at all, really') }), 'InvalidCiphertextException', '');
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob.subarray(0, 20) }), 'InvalidCiphertextException', '');
}));

test('Decrypt: a KeyId that is not the ciphertext\'s key is IncorrectKeyException (AWS text); the right one in any form works', withKey(({ kms }, id) => {
  const other = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.aliases.createAlias({ AliasName: 'alias/right', TargetKeyId: id });
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('x') }).CiphertextBlob;
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob, KeyId: other }), 'IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
  for (const ref of [id, ARN + id, 'alias/right']) assert.equal(kms.crypto.decrypt({ CiphertextBlob: blob, KeyId: ref }).Plaintext.toString(), 'x');
}));

test('Encrypt: through an alias name or alias ARN', withKey(({ kms }, id) => {
  kms.aliases.createAlias({ AliasName: 'alias/enc', TargetKeyId: id });
  for (const ref of ['alias/enc', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/enc`]) {
    const enc = kms.crypto.encrypt({ KeyId: ref, Plaintext: Buffer.from('a') });
    assert.equal(enc.KeyId, ARN + id);
  }
}));

test('Encrypt/Decrypt on a disabled key: DisabledException "<arn> is disabled."; works again once enabled', withKey(({ kms }, id) => {
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }).CiphertextBlob;
  kms.admin.disableKey({ KeyId: id });
  throwsKms(() => kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }), 'DisabledException', `${ARN}${id} is disabled.`);
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob }), 'DisabledException', `${ARN}${id} is disabled.`);
  throwsKms(() => kms.crypto.generateDataKey({ KeyId: id, KeySpec: 'AES_256' }), 'DisabledException');
  kms.admin.enableKey({ KeyId: id });
  assert.equal(kms.crypto.decrypt({ CiphertextBlob: blob }).Plaintext.toString(), 'a');
}));

test('Encrypt/Decrypt on a key pending deletion: KMSInvalidStateException "<arn> is pending deletion."', withKey(({ kms }, id) => {
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }).CiphertextBlob;
  kms.admin.scheduleKeyDeletion({ KeyId: id });
  throwsKms(() => kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }), 'KMSInvalidStateException', `${ARN}${id} is pending deletion.`);
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob }), 'KMSInvalidStateException', `${ARN}${id} is pending deletion.`);
}));

test('Rotation: ciphertexts under every older material version still decrypt; new ones use the newest', withKey(({ kms, clock }, id) => {
  const blobs = [kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('v0') }).CiphertextBlob];
  kms.admin.rotateKeyOnDemand({ KeyId: id });
  blobs.push(kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('v1') }).CiphertextBlob);
  kms.admin.enableKeyRotation({ KeyId: id, RotationPeriodInDays: 90 });
  clock.advance(91 * DAY);
  blobs.push(kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('v2') }).CiphertextBlob);
  const materials = blobs.map((b) => kms.crypto.decrypt({ CiphertextBlob: b }).KeyMaterialId);
  assert.equal(new Set(materials).size, 3);
  assert.deepEqual(blobs.map((b) => kms.crypto.decrypt({ CiphertextBlob: b }).Plaintext.toString()), ['v0', 'v1', 'v2']);
}));

test('GenerateDataKey: AES_256 gives 32 bytes, AES_128 16, NumberOfBytes n; the ciphertext decrypts to the plaintext key', withKey(({ kms }, id) => {
  const k256 = kms.crypto.generateDataKey({ KeyId: id, KeySpec: 'AES_256', EncryptionContext: ctx });
  assert.equal(k256.Plaintext.length, 32);
  assert.equal(k256.KeyId, ARN + id);
  assert.deepEqual(kms.crypto.decrypt({ CiphertextBlob: k256.CiphertextBlob, EncryptionContext: ctx }).Plaintext, k256.Plaintext);
  assert.equal(kms.crypto.generateDataKey({ KeyId: id, KeySpec: 'AES_128' }).Plaintext.length, 16);
  assert.equal(kms.crypto.generateDataKey({ KeyId: id, NumberOfBytes: 64 }).Plaintext.length, 64);
}));

test('GenerateDataKey: exactly one of KeySpec and NumberOfBytes', withKey(({ kms }, id) => {
  throwsKms(() => kms.crypto.generateDataKey({ KeyId: id }), 'ValidationException', 'Please specify either number of bytes or key spec.');
  throwsKms(() => kms.crypto.generateDataKey({ KeyId: id, KeySpec: 'AES_256', NumberOfBytes: 32 }), 'ValidationException');
}));

test('GenerateDataKeyWithoutPlaintext: no Plaintext member; the ciphertext decrypts to a 32-byte key', withKey(({ kms }, id) => {
  const r = kms.crypto.generateDataKeyWithoutPlaintext({ KeyId: id, KeySpec: 'AES_256' });
  assert.equal('Plaintext' in r, false);
  assert.equal(kms.crypto.decrypt({ CiphertextBlob: r.CiphertextBlob }).Plaintext.length, 32);
}));

test('GenerateRandom: NumberOfBytes random bytes; absent is ValidationException "NumberOfBytes is required."', withKey(({ kms }) => {
  const a = kms.crypto.generateRandom({ NumberOfBytes: 1024 }).Plaintext;
  assert.equal(a.length, 1024);
  assert.notDeepEqual(a, kms.crypto.generateRandom({ NumberOfBytes: 1024 }).Plaintext);
  throwsKms(() => kms.crypto.generateRandom({}), 'ValidationException', 'NumberOfBytes is required.');
}));

test('ReEncrypt: moves a ciphertext to another key and context without exposing plaintext', withKey(({ kms }, id) => {
  const dest = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('moved'), EncryptionContext: ctx }).CiphertextBlob;
  const r = kms.crypto.reEncrypt({ CiphertextBlob: blob, SourceEncryptionContext: ctx, DestinationKeyId: dest, DestinationEncryptionContext: { to: 'dest' } });
  assert.equal(r.SourceKeyId, ARN + id);
  assert.equal(r.KeyId, ARN + dest);
  assert.equal('Plaintext' in r, false);
  assert.equal(kms.crypto.decrypt({ CiphertextBlob: r.CiphertextBlob, EncryptionContext: { to: 'dest' } }).Plaintext.toString(), 'moved');
  throwsKms(() => kms.crypto.reEncrypt({ CiphertextBlob: blob, SourceEncryptionContext: ctx, SourceKeyId: dest, DestinationKeyId: dest }), 'IncorrectKeyException');
  throwsKms(() => kms.crypto.reEncrypt({ CiphertextBlob: blob, DestinationKeyId: dest }), 'InvalidCiphertextException');
}));

test('DryRun: Encrypt and Decrypt answer DryRunOperationException after their checks', withKey(({ kms }, id) => {
  throwsKms(() => kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a'), DryRun: true }), 'DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }).CiphertextBlob;
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob, DryRun: true }), 'DryRunOperationException');
}));

test('Encrypt: an asymmetric encryption algorithm is refused for a symmetric key', withKey(({ kms }, id) => {
  throwsKms(() => kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidKeyUsageException');
}));

test('A ciphertext of a deleted key no longer decrypts', withKey(({ kms, clock }, id) => {
  const blob = kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('a') }).CiphertextBlob;
  kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
  clock.advance(7 * DAY);
  throwsKms(() => kms.crypto.decrypt({ CiphertextBlob: blob }), 'NotFoundException', `Key '${ARN}${id}' does not exist`);
}));
