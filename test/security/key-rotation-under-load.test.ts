import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { signedFetch } from '../helpers/signed-fetch.js';

const FUNCTIONS = 12;

async function createFunctions(h: Harness, prefix: string, kmsKeyArn: string): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < FUNCTIONS; i++) {
    const name = `${prefix}-${i}`;
    const zip = await makeZip({ 'index.js': `exports.handler = async (e) => ({ fn: ${i}, n: e.n, v: process.env.VALUE });` });
    // Half of them under a customer key: environment variables sealed under KMS key material that the master key wraps.
    await h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { VALUE: `value-${i}` } }, ...(i % 2 ? { KMSKeyArn: kmsKeyArn } : {}) }));
    await waitSettled(h.client, name);
    names.push(name);
  }
  return names;
}

/** Invokes each of `names` (function `offset + i`) and checks its answer. */
async function invokeAll(client: LambdaClient, names: string[], n: number, offset = 0): Promise<void> {
  await Promise.all(names.map(async (name, j) => {
    const i = offset + j;
    const r = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ n })) }));
    assert.equal(r.FunctionError, undefined, `${name}: ${Buffer.from(r.Payload ?? []).toString()}`);
    assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { fn: i, n, v: `value-${i}` });
  }));
}

const kmsFor = (h: Harness) => new KMSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });

test('key rotation under load: no invocation fails while every blob is re-wrapped; the old key is retired and a restart needs only the new one', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-rot-load-'));
  // One blob per turn of the event loop: the rotation spans many turns while invocations run.
  let h = await startHarness({ keyRotationBatch: 1, idleTimeoutMs: 200 }, { dataDir });
  const kms = kmsFor(h);
  const key = await kms.send(new CreateKeyCommand({ Description: 'rotation test' }));
  const sealed = await kms.send(new EncryptCommand({ KeyId: key.KeyMetadata!.KeyId, Plaintext: Buffer.from('kms plaintext') }));
  const names = await createFunctions(h, 'rot', key.KeyMetadata!.Arn!);
  const before = h.app.keyRotation.status();
  assert.equal(before.current, 1);

  let stop = false;
  let invocations = 0;
  const failures: unknown[] = [];
  const load = Promise.all(Array.from({ length: 3 }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      try {
        await invokeAll(h.client, names.slice(w * 4, w * 4 + 4), n, w * 4);
        invocations += 4;
      } catch (err) {
        failures.push(err);
      }
    }
  }));
  // Let the load reach steady state (cold starts included), then rotate through the admin route.
  while (invocations < FUNCTIONS * 2) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const rotated = await signedFetch(h.endpoint, 'POST', '/flint/keys/rotate', { service: 'flint' });
  assert.equal(rotated.status, 202);
  assert.equal(rotated.json.current, 2);
  const staleAtStart = (rotated.json.stale as Array<{ count: number }>).reduce((a, s) => a + s.count, 0);
  // A function created mid-rotation is wrapped under the new key at once.
  const late = await makeZip({ 'index.js': 'exports.handler = async () => "late";' });
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'rot-late', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: late } }));
  await h.app.keyRotation.idle();
  const ms = performance.now() - t0;
  const during = invocations;
  while (invocations < during + FUNCTIONS) await new Promise((r) => setTimeout(r, 5));
  stop = true;
  await load;
  assert.deepEqual(failures, []);

  const after = h.app.keyRotation.status();
  assert.deepEqual(after.keys.map((k) => [k.id, k.state]), [[2, 'current']]);
  assert.deepEqual(after.retired.map((r) => r.id), [1]);
  assert.ok(after.stale.every((s) => s.count === 0), JSON.stringify(after.stale));
  assert.ok(after.rewrapped >= staleAtStart && staleAtStart >= FUNCTIONS + 2, `${after.rewrapped} re-wrapped of ${staleAtStart}`);
  process.stdout.write(`# rotation of ${staleAtStart} blobs (batch 1) under load: ${ms.toFixed(0)} ms, ${invocations} invocations, 0 failed\n`);
  kms.destroy();
  await h.stop();

  // Restart: the old key's material is gone; every function still starts cold and KMS still decrypts.
  h = await startHarness({}, { dataDir });
  await invokeAll(h.client, names, 99);
  await waitSettled(h.client, 'rot-late');
  const kms2 = kmsFor(h);
  const plain = await kms2.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }));
  assert.equal(Buffer.from(plain.Plaintext!).toString(), 'kms plaintext');
  kms2.destroy();
  await h.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('key rotation: a restart in the middle resumes re-wrapping and then retires the old key', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-rot-resume-'));
  let h = await startHarness({ keyRotationBatch: 1 }, { dataDir });
  const names = await createFunctions(h, 'res', (await kmsFor(h).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!);
  h.app.keyRotation.rotate();
  await h.stop(); // stops the rotation after at most a batch per store
  h = await startHarness({ keyRotationBatch: 1 }, { dataDir });
  const resumed = h.app.keyRotation.status();
  assert.equal(resumed.current, 2);
  assert.ok(resumed.keys.some((k) => k.id === 1 && k.state === 'retiring'), 'key 1 still retiring after the restart');
  await invokeAll(h.client, names, 1);
  await h.app.keyRotation.idle();
  assert.deepEqual(h.app.keyRotation.status().keys.map((k) => k.id), [2]);
  await h.stop();
  h = await startHarness({}, { dataDir });
  await invokeAll(h.client, names, 2);
  await h.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('key rotation: the admin route answers only the root credentials', async () => {
  const h = await startHarness();
  const unsigned = await fetch(`${h.endpoint}/flint/keys/status`);
  assert.equal(unsigned.status, 403);
  const root = await signedFetch(h.endpoint, 'GET', '/flint/keys/status', { service: 'flint' });
  assert.equal(root.status, 200);
  assert.equal(root.json.current, 1);
  assert.ok(!/[0-9a-f]{64}/.test(root.text), 'no key material in the answer');
  await h.stop();
});
