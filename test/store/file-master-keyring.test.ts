import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileMasterKeyring } from '../../src/store/file-master-keyring.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'flint-keyring-'));

test('master keyring: a fresh data dir gets one generated key (id 1) in master-keys.json, mode 0600', () => {
  const dir = tmp();
  const ring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  assert.equal(ring.currentKeyId, 1);
  assert.equal(statSync(join(dir, 'master-keys.json')).mode & 0o777, 0o600);
  const blob = ring.wrap(Buffer.from('data key'), 'ctx');
  assert.equal(FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }).unwrap(blob, 'ctx').toString(), 'data key');
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: a blob does not open under another context or with its header edited', () => {
  const dir = tmp();
  const ring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  const blob = ring.wrap(Buffer.from('x'), 'a');
  assert.throws(() => ring.unwrap(blob, 'b'), /unable to authenticate/);
  ring.rotate();
  const edited = Buffer.from(blob);
  edited.writeUInt32BE(2, 1);
  assert.throws(() => ring.unwrap(edited, 'a'), /unable to authenticate/);
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: an older data dir\'s master.key is key 0, and blobs from the interim keyring still open', () => {
  const dir = tmp();
  const key = randomBytes(32);
  writeFileSync(join(dir, 'master.key'), key.toString('hex') + '\n', { mode: 0o600 });
  // The interim keyring's format: 0x00 | iv | tag | ct, context as additional data.
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from('kms ctx'));
  const ct = Buffer.concat([c.update(Buffer.from('material')), c.final()]);
  const interim = Buffer.concat([Buffer.from([0]), iv, c.getAuthTag(), ct]);
  const ring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  assert.equal(ring.currentKeyId, 0);
  assert.equal(ring.unwrap(interim, 'kms ctx').toString(), 'material');
  assert.equal(ring.isStale(interim), false);
  ring.rotate();
  assert.equal(ring.isStale(interim), true);
  assert.equal(ring.unwrap(interim, 'kms ctx').toString(), 'material', 'key 0 still unwraps while retiring');
  assert.ok(!existsSync(join(dir, 'master.key')), 'the single-key file is gone once master-keys.json holds key 0');
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: rotate makes a new key current durably; old blobs open until the old key is retired', () => {
  const dir = tmp();
  const ring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  const old = ring.wrap(Buffer.from('old'), 'c');
  const id = ring.rotate();
  assert.equal(id, 2);
  const reopened = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  assert.equal(reopened.currentKeyId, 2);
  assert.deepEqual(reopened.retiring(), [1]);
  assert.ok(reopened.isStale(old));
  assert.equal(reopened.unwrap(old, 'c').toString(), 'old');
  const fresh = reopened.wrap(Buffer.from('new'), 'c');
  assert.ok(!reopened.isStale(fresh));
  reopened.retire([1]);
  assert.throws(() => reopened.unwrap(old, 'c'), /master key 1 is not in the keyring/);
  assert.equal(reopened.unwrap(fresh, 'c').toString(), 'new');
  const file = readFileSync(join(dir, 'master-keys.json'), 'utf8');
  const state = JSON.parse(file) as { keys: Array<{ id: number }>; retired: Array<{ id: number }> };
  assert.deepEqual(state.keys.map((k) => k.id), [2], 'the retired key\'s material is destroyed');
  assert.deepEqual(state.retired.map((k) => k.id), [1]);
  assert.equal(FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }).rotate(), 3, 'ids are never reused');
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: FLINT_MASTER_KEY_FILE holds the keys outside the data dir (a bare hex key is key 0) and rotation writes there', () => {
  const dir = tmp();
  const file = join(dir, 'outside.key');
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  const ring = FileMasterKeyring.open({ kind: 'file', path: file });
  assert.equal(ring.currentKeyId, 0);
  const blob = ring.wrap(Buffer.from('v'), 'c');
  assert.equal(FileMasterKeyring.open({ kind: 'env', hex: key }).unwrap(blob, 'c').toString(), 'v', 'the same key as FLINT_MASTER_KEY');
  ring.rotate();
  assert.equal(FileMasterKeyring.open({ kind: 'file', path: file }).currentKeyId, 1);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: FLINT_MASTER_KEY cannot rotate and says where to keep the keys instead', () => {
  const ring = FileMasterKeyring.open({ kind: 'env', hex: randomBytes(32).toString('hex') });
  assert.throws(() => ring.rotate(), /FLINT_MASTER_KEY_FILE/);
  assert.throws(() => FileMasterKeyring.open({ kind: 'env', hex: 'abc' }), /64 hex characters/);
});

test('master keyring: a rotation started by another process (flint keys rotate offline) is seen, not overwritten', () => {
  const dir = tmp();
  const server = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  const cli = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  cli.rotate();
  assert.equal(server.rotate(), 3, 'the second rotation reloads first and takes the next id');
  assert.deepEqual(FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }).retiring().sort(), [1, 2]);
  rmSync(dir, { recursive: true, force: true });
});

test('master keyring: nodes sharing the key file (a cluster) follow another node\'s rotation without a restart', () => {
  const dir = tmp();
  let now = 1_000_000;
  const a = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }, () => now);
  const b = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }, () => now);
  const newKey = a.rotate();
  // A blob wrapped by the rotating node opens on the other: an unknown key id re-reads the file.
  const fromA = a.wrap(Buffer.from('sealed on a'), 'ctx');
  assert.equal(b.unwrap(fromA, 'ctx').toString(), 'sealed on a');
  const c = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir }, () => now);
  a.rotate();
  // Within the second it last looked, c still wraps under the key it read; after it, under the new current key.
  assert.equal(c.wrap(Buffer.from('x'), 'ctx').readUInt32BE(1), newKey);
  now += 1_000;
  assert.equal(c.wrap(Buffer.from('x'), 'ctx').readUInt32BE(1), a.currentKeyId, 'new blobs are wrapped under the key now current');
  rmSync(dir, { recursive: true, force: true });
});
