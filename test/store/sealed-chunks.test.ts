import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SealedChunks } from '../../src/store/pg/sealed-chunks.js';

const CHUNK = 512 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('sealed chunks: archives of one chunk, one byte over, and many chunks open to the same bytes', () => {
  const key = randomBytes(32);
  for (const [size, count] of [[1, 1], [CHUNK, 1], [CHUNK + 1, 2], [3 * CHUNK + 7, 4]] as const) {
    const zip = randomBytes(size);
    const chunks = SealedChunks.seal(key, sha(zip), zip, CHUNK);
    assert.equal(chunks.length, count);
    assert.equal(SealedChunks.count(size, CHUNK), count);
    chunks.forEach((c, i) => assert.equal(c.length, SealedChunks.sealedLength(size, CHUNK, i)));
    const whole = Buffer.concat(chunks);
    assert.equal(whole.length, SealedChunks.totalSealedLength(size, CHUNK));
    assert.deepEqual(SealedChunks.open(key, sha(zip), whole, size, CHUNK), zip);
  }
});

test('sealed chunks: swapped, dropped or foreign chunks and a wrong key do not open', () => {
  const key = randomBytes(32);
  const zip = randomBytes(2 * CHUNK);
  const [a, b] = SealedChunks.seal(key, sha(zip), zip, CHUNK) as [Buffer, Buffer];
  assert.throws(() => SealedChunks.open(key, sha(zip), Buffer.concat([b, a]), zip.length, CHUNK), /unable to authenticate/);
  assert.throws(() => SealedChunks.open(key, sha(zip), a, CHUNK, CHUNK), /unable to authenticate/, 'the first chunk alone claims to be the last of one');
  const other = randomBytes(2 * CHUNK);
  const [, b2] = SealedChunks.seal(key, sha(other), other, CHUNK) as [Buffer, Buffer];
  assert.throws(() => SealedChunks.open(key, sha(zip), Buffer.concat([a, b2]), zip.length, CHUNK), /unable to authenticate/);
  assert.throws(() => SealedChunks.open(randomBytes(32), sha(zip), Buffer.concat([a, b]), zip.length, CHUNK), /unable to authenticate/);
  assert.throws(() => SealedChunks.open(key, sha(zip), Buffer.concat([a, b, Buffer.from([0])]), zip.length, CHUNK), /wrong length/);
});
