import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { InProcessEvents } from '../../src/app/in-process-events.js';
import { Arns } from '../../src/domain/function-name.js';
import { FunctionService } from '../../src/control/function-service.js';
import { VersionService } from '../../src/control/version-service.js';
import type { ControlContext } from '../../src/control/control-context.js';
import { COLLECTIONS, key, versionKey, type FunctionVersionRecord } from '../../src/domain/records.js';
import type { StoredVersionRecord } from '../../src/control/function-secrets.js';
import { makeZip } from '../helpers/zip.js';
import { FakeKeyService } from './fake-key-service.js';

/**
 * Functions under KMS keys, driven through FunctionService with an in-memory key service:
 * environment variables sealed at rest, KMSKeyArn checked at configuration time, and the start
 * failures Lambda answers when the key cannot be used.
 */
const ROLE = 'arn:aws:iam::000000000000:role/r';
const FN_ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const SECRET = 'planted-secret-0f4c1e';
let dir: string;
let store: SqliteMetadataStore;
let keys: FakeKeyService;
let ctx: ControlContext;
let functions: FunctionService;
let versions: VersionService;
let zip: Buffer;
const clock = { now: () => 1_800_000_000_000, monotonic: () => 0 };
const settled = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flint-fnkeys-'));
  store = new SqliteMetadataStore(join(dir, 'flint.db'));
  const code = new EncryptedCodeStore({ dataDir: dir, masterKey: randomBytes(32), db: store.db });
  keys = new FakeKeyService();
  let n = 0;
  ctx = { store, code, clock, arns: new Arns('us-east-1', '000000000000'), events: new InProcessEvents(), uuid: () => `rev-${++n}`, keys };
  functions = new FunctionService(ctx);
  versions = new VersionService(ctx);
  zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(name: string, extra: Record<string, unknown> = {}) {
  const out = await functions.create({ FunctionName: name, Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: zip }, ...extra });
  await settled();
  return out;
}

const stored = (name: string, version = '$LATEST') =>
  store.collection<StoredVersionRecord>(COLLECTIONS.functionVersions).get(key(name, versionKey(version)))!;

/** Every document of the metadata store as text, as someone reading flint.db would see it. */
function rawDocuments(): string {
  return (store.db.prepare('SELECT * FROM documents').all() as Array<Record<string, unknown>>).map((r) => JSON.stringify(r)).join('\n');
}

test('environment variables: stored encrypted under alias/aws/lambda when no KMSKeyArn, shown in plaintext', async () => {
  const out = await create('plain-key', { Environment: { Variables: { TOKEN: SECRET } } });
  assert.deepEqual(out.Environment, { Variables: { TOKEN: SECRET } });
  assert.equal(out.KMSKeyArn, undefined, 'KMSKeyArn is absent when not set, as AWS shows it');
  assert.ok(!rawDocuments().includes(SECRET), 'no plaintext value in flint.db');
  const rec = stored('plain-key');
  assert.equal(rec.config.Environment, undefined);
  assert.equal(rec.sealed!.keyArn, keys.awsManagedKeyArn('lambda'));
  const enc = keys.uses.find((u) => u.op === 'encrypt' && u.context['LambdaFunctionName'] === 'plain-key');
  assert.ok(enc, 'encrypted with the LambdaFunctionName encryption context');
  assert.deepEqual(enc.use, { service: 'lambda', reason: `${FN_ARN}:plain-key` });
  assert.deepEqual(functions.getConfiguration({ FunctionName: 'plain-key' }).Environment, { Variables: { TOKEN: SECRET } });
  const listed = functions.list({}).Functions.find((f) => f.FunctionName === 'plain-key')!;
  assert.deepEqual(listed.Environment, { Variables: { TOKEN: SECRET } });
});

test('KMSKeyArn: stored, shown by Get/List/PublishVersion, sealing under that key; removable with ""', async () => {
  const keyArn = keys.createKey();
  await create('cmk', { KMSKeyArn: keyArn, Environment: { Variables: { A: SECRET } } });
  assert.equal(stored('cmk').sealed!.keyArn, keyArn);
  assert.equal(functions.getConfiguration({ FunctionName: 'cmk' }).KMSKeyArn, keyArn);
  assert.equal((functions.getFunction({ FunctionName: 'cmk' }, 'http://x').Configuration as { KMSKeyArn?: string }).KMSKeyArn, keyArn);
  assert.equal(functions.list({}).Functions.find((f) => f.FunctionName === 'cmk')!.KMSKeyArn, keyArn);
  const v1 = versions.publish({ FunctionName: 'cmk' });
  assert.equal(v1.KMSKeyArn, keyArn);
  assert.deepEqual(v1.Environment, { Variables: { A: SECRET } });
  assert.equal(versions.list({ FunctionName: 'cmk' }).Versions[1]!.KMSKeyArn, keyArn);

  const back = functions.updateConfiguration({ FunctionName: 'cmk', KMSKeyArn: '' });
  assert.equal(back.KMSKeyArn, undefined);
  assert.deepEqual(back.Environment, { Variables: { A: SECRET } }, 'the variables survive the key change');
  assert.equal(stored('cmk').sealed!.keyArn, keys.awsManagedKeyArn('lambda'), 're-encrypted under the AWS managed key');
  await settled();
});

test('PublishVersion: re-sending the same variables keeps the ciphertext, so nothing new is published', async () => {
  await create('same-env', { Environment: { Variables: { A: '1' } } });
  const v1 = versions.publish({ FunctionName: 'same-env' });
  const before = stored('same-env').sealed!.environment;
  functions.updateConfiguration({ FunctionName: 'same-env', Environment: { Variables: { A: '1' } } });
  await settled();
  assert.equal(stored('same-env').sealed!.environment, before);
  assert.equal(versions.publish({ FunctionName: 'same-env' }).Version, v1.Version);
  functions.updateConfiguration({ FunctionName: 'same-env', Environment: { Variables: { A: '2' } } });
  await settled();
  assert.equal(versions.publish({ FunctionName: 'same-env' }).Version, String(Number(v1.Version) + 1));
});

test('KMSKeyArn at configuration time: a malformed ARN, a missing key and a disabled key are refused with the KMS error inside', async () => {
  const prefix = 'Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: ';
  const alias = 'arn:aws:kms:us-east-1:000000000000:alias/mine';
  await assert.rejects(create('bad-arn', { KMSKeyArn: alias }), {
    name: 'InvalidParameterValueException',
    message: `${prefix}InvalidArnException KMS Message: ARN does not refer to a valid KMS key: ${alias}`,
  });
  const missing = 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555';
  await assert.rejects(create('no-key', { KMSKeyArn: missing }), { name: 'InvalidParameterValueException', message: new RegExp(`^${escape(prefix)}NotFoundException KMS Message: `) });
  const disabled = keys.createKey();
  keys.setState(disabled, 'Disabled');
  await assert.rejects(create('off-key', { KMSKeyArn: disabled }), { message: `${prefix}DisabledException KMS Message: ${disabled} is disabled.` });
  await create('later');
  assert.throws(() => functions.updateConfiguration({ FunctionName: 'later', KMSKeyArn: disabled }), { name: 'InvalidParameterValueException' });
  assert.equal(functions.getConfiguration({ FunctionName: 'later' }).KMSKeyArn, undefined, 'nothing changed');
});

test('a start opens the code binding and the variables; a disabled key fails it with KMSDisabledException, re-enabling brings it back', async () => {
  const keyArn = keys.createKey();
  await create('starts', { KMSKeyArn: keyArn, Environment: { Variables: { A: SECRET } } });
  const rec = functions.getVersion('starts');
  assert.deepEqual(functions.openForStart(rec).config.Environment, { Variables: { A: SECRET } });
  const uses = keys.uses.filter((u) => u.op === 'decrypt' && u.keyArn === keyArn).slice(-2);
  assert.deepEqual(uses.map((u) => u.context), [{ LambdaFunctionArn: `${FN_ARN}:starts` }, { LambdaFunctionName: 'starts' }]);
  assert.ok(uses.every((u) => u.use.reason === `${FN_ARN}:starts`), 'each use names the function');

  keys.setState(keyArn, 'Disabled');
  assert.throws(() => functions.openForStart(rec), {
    name: 'KMSDisabledException',
    message: `Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Please check the function's KMS key settings. KMS Exception: DisabledExceptionKMS Message: ${keyArn} is disabled.`,
  });
  // GetFunctionConfiguration still answers, with EnvironmentResponse.Error in place of the variables.
  const shown = functions.getConfiguration({ FunctionName: 'starts' }).Environment as unknown as { Error: { ErrorCode: string } };
  assert.equal(shown.Error.ErrorCode, 'KMSDisabledException');
  keys.setState(keyArn, 'PendingDeletion');
  assert.throws(() => functions.openForStart(rec), { name: 'KMSInvalidStateException', message: /because the KMS key used is in an invalid state for Decrypt\. .*KMS Exception: KMSInvalidStateExceptionKMS Message: / });
  keys.setState(keyArn, 'Enabled');
  assert.deepEqual(functions.openForStart(rec).config.Environment, { Variables: { A: SECRET } }, 'no failure is remembered');
  keys.destroy(keyArn);
  assert.throws(() => functions.openForStart(rec), { name: 'KMSNotFoundException', message: /because the KMS key was not found\. .*KMS Exception: NotFoundExceptionKMS Message: / });
});

test('a function without variables is still bound to its key: the code binding fails the start when the key is disabled', async () => {
  const keyArn = keys.createKey();
  await create('no-vars', { KMSKeyArn: keyArn });
  const rec = functions.getVersion('no-vars');
  assert.equal((rec as StoredVersionRecord).sealed!.environment, undefined);
  assert.equal(functions.openForStart(rec).config.Environment, undefined);
  keys.setState(keyArn, 'Disabled');
  assert.throws(() => functions.openForStart(rec), { name: 'KMSDisabledException' });
});

test('a record whose code was swapped behind the binding does not start (KMSAccessDeniedException)', async () => {
  await create('swapped');
  const rec = functions.getVersion('swapped');
  const forged: FunctionVersionRecord = { ...rec, codeSha256Hex: 'f'.repeat(64) };
  assert.throws(() => functions.openForStart(forged), { name: 'KMSAccessDeniedException', message: /KMS access was denied.*KMS Exception: InvalidCiphertextExceptionKMS Message: / });
});

test('plaintext records from older data directories are read as they are and sealed by sealPlaintextRecords', async () => {
  await create('legacy');
  const k = key('legacy', versionKey('$LATEST'));
  const col = store.collection<StoredVersionRecord>(COLLECTIONS.functionVersions);
  const { sealed: _s, ...old } = col.get(k)!;
  col.put(k, { ...old, config: { ...old.config, Environment: { Variables: { OLD: SECRET } } } });
  assert.deepEqual(functions.getConfiguration({ FunctionName: 'legacy' }).Environment, { Variables: { OLD: SECRET } });
  assert.deepEqual(functions.openForStart(functions.getVersion('legacy')).config.Environment, { Variables: { OLD: SECRET } });
  const r = functions.sealPlaintextRecords();
  assert.ok(r.sealed >= 1 && r.failed === 0, JSON.stringify(r));
  assert.ok(!rawDocuments().includes(SECRET), 'flint.db holds no plaintext value afterwards');
  assert.deepEqual(functions.getConfiguration({ FunctionName: 'legacy' }).Environment, { Variables: { OLD: SECRET } });
  assert.deepEqual(functions.sealPlaintextRecords(), { sealed: 0, failed: 0 }, 'a second run finds nothing');
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
