import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDataDirPrivate } from '../../src/store/private-data-dir.js';

const mode = (p: string) => statSync(p).mode & 0o777;

test('private data dir: a pre-existing 0755 data dir and its 0644 files are closed to other users at start', () => {
  const root = mkdtempSync(join(tmpdir(), 'flint-priv-'));
  const dir = join(root, 'data');
  mkdirSync(join(dir, 'logs', 'fn'), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'flint.db'), 'db', { mode: 0o644 });
  writeFileSync(join(dir, 'logs', 'fn', 'stream'), 'log', { mode: 0o666 });
  writeFileSync(join(dir, 'tool'), '#!/bin/sh', { mode: 0o755 });
  mkdirSync(join(dir, 'cache', 'code', 'abc'), { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'cache', 'code', 'abc', 'index.js'), 'code', { mode: 0o644 });
  mkdirSync(join(dir, 'tls'), { mode: 0o755 });
  writeFileSync(join(dir, 'tls', 'ca.pem'), '-----BEGIN CERTIFICATE-----', { mode: 0o644 });
  writeFileSync(join(dir, 'tls', 'ca-key.pem'), '-----BEGIN PRIVATE KEY-----', { mode: 0o644 });
  symlinkSync('/usr', join(dir, 'node_modules'));

  const report = makeDataDirPrivate(dir);
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(join(dir, 'flint.db')), 0o600);
  assert.equal(mode(join(dir, 'logs')), 0o700);
  assert.equal(mode(join(dir, 'logs', 'fn', 'stream')), 0o600);
  assert.equal(mode(join(dir, 'tool')), 0o700, 'an executable stays executable for its owner only');
  assert.equal(mode(join(dir, 'cache')), 0o700);
  assert.equal(mode(join(dir, 'cache', 'code')), 0o700, 'extracted code is closed at its container');
  assert.equal(mode(join(dir, 'cache', 'code', 'abc', 'index.js')), 0o644, 'a sandbox reads it through its bind mount as another uid');
  assert.equal(mode(join(dir, 'tls')), 0o700);
  assert.equal(mode(join(dir, 'tls', 'ca-key.pem')), 0o600);
  assert.equal(mode(join(dir, 'tls', 'ca.pem')), 0o644, "the CA certificate is bound into sandboxes");
  assert.equal(mode('/usr'), 0o755, 'symbolic links are not followed');
  assert.ok(report.changed.length >= 8);
  assert.deepEqual(makeDataDirPrivate(dir).changed, [], 'idempotent');
  rmSync(root, { recursive: true, force: true });
});
