import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { extractZip } from '../../src/store/zip-archive.js';
import { rawZip } from '../helpers/raw-zip.js';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';

const UNZIP_FAILED = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
let work: string;
let h: Harness;
before(async () => { work = mkdtempSync(join(tmpdir(), 'flint-zip-')); h = await startHarness(); });
after(async () => { rmSync(work, { recursive: true, force: true }); await h.stop(); });

const dest = (name: string) => join(work, name);

async function rejects(zip: Buffer, message: RegExp | string, type = 'InvalidParameterValueException') {
  await assert.rejects(extractZip(zip, dest(String(Math.random()))), (err: any) => {
    assert.equal(err.type, type);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('zip: a well-formed archive extracts with modes and in-tree symlinks kept', async () => {
  const d = dest('ok');
  const size = await extractZip(rawZip([
    { name: 'bootstrap', data: Buffer.from('#!/bin/sh\n'), mode: 0o100755 },
    { name: 'lib/a.js', data: Buffer.from('x'.repeat(1000)), deflate: true },
    { name: 'link.js', data: Buffer.from('lib/a.js'), mode: 0o120777 },
  ]), d);
  assert.equal(size, 10 + 1000 + 8);
  assert.equal(statSync(join(d, 'bootstrap')).mode & 0o111, 0o111);
  assert.equal(readFileSync(join(d, 'lib/a.js'), 'utf8').length, 1000);
  assert.equal(readlinkSync(join(d, 'link.js')), 'lib/a.js');
});

test('zip: an entry with ../ in its path is rejected and nothing is written outside', async () => {
  await rejects(rawZip([{ name: '../../escaped.txt', data: Buffer.from('x') }]), /^Could not unzip uploaded file\./);
  assert.equal(existsSync(join(work, '..', 'escaped.txt')), false);
});

test('zip: an absolute entry path is rejected', async () => {
  await rejects(rawZip([{ name: '/etc/flint-owned', data: Buffer.from('x') }]), /^Could not unzip uploaded file\./);
  assert.equal(existsSync('/etc/flint-owned'), false);
});

test('zip: a symlink pointing outside the tree is rejected', async () => {
  await rejects(rawZip([{ name: 'shadow', data: Buffer.from('/etc/shadow'), mode: 0o120777 }]), /Symbolic link 'shadow' points outside/);
  await rejects(rawZip([{ name: 'a/up', data: Buffer.from('../../..'), mode: 0o120777 }]), /Symbolic link 'a\/up' points outside/);
});

test('zip: declared unzipped size over 250 MB is rejected before inflating', async () => {
  await rejects(rawZip([{ name: 'big', data: Buffer.from('x'), deflate: true, declaredSize: 262_144_001 }]), 'Unzipped size must be smaller than 262144000 bytes');
});

test('zip: a bomb whose headers lie about its size is caught while inflating', async () => {
  // 300 MB of zeros deflates to ~300 KB; the headers claim 10 bytes.
  const zeros = Buffer.alloc(300 * 1024 * 1024);
  const bomb = rawZip([{ name: 'bomb.bin', data: zeros, deflate: true, declaredSize: 10 }]);
  assert.ok(bomb.length < 1_000_000);
  await rejects(bomb, /^(Could not unzip uploaded file|Unzipped size must be smaller)/);
});

test('zip: garbage is not a zip', async () => {
  await rejects(Buffer.from('PK\u0003\u0004 definitely not a zip'), UNZIP_FAILED);
});

test('zip: a zipped archive over 50 MB is RequestEntityTooLargeException', async () => {
  await rejects(Buffer.alloc(52_428_801), 'Zipped size must be smaller than 52428800 bytes', 'RequestEntityTooLargeException');
});

test('create-function: a path-traversal archive is rejected with InvalidParameterValueException 400', async () => {
  await assert.rejects(
    h.client.send(new CreateFunctionCommand({ FunctionName: 'evil', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: rawZip([{ name: '../index.js', data: Buffer.from('x') }]) } })),
    (err: any) => {
      assert.equal(err.name, 'InvalidParameterValueException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.match(err.message, /^Could not unzip uploaded file\./);
      return true;
    },
  );
});
