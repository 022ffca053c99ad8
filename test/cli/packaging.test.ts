import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageFolder, PackagingError } from '../../src/cli/packaging/index.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flint-pkg-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

const names = async (dir: string, opts = {}) => (await packageFolder(dir, opts)).files.map((f) => f.name);

test('packaging: .git, .flint, .env*, editor files are left out by default; .flintignore adds and re-includes', async () => {
  const dir = folder({
    'index.js': 'exports.handler = async () => 1;',
    '.git/HEAD': 'ref: refs/heads/main',
    '.flint/notes.txt': 'x',
    '.env': 'SECRET=1',
    '.env.production': 'SECRET=2',
    '.env.example': 'SECRET=',
    'lib/util.js': '',
    'lib/util.js.swp': '',
    '.DS_Store': '',
    '.vscode/settings.json': '{}',
    'test/a.test.js': '',
    'docs/big.md': '',
  });
  assert.deepEqual(await names(dir), ['index.js', 'lib/util.js', 'test/a.test.js', 'docs/big.md'].sort());
  assert.deepEqual(await names(dir, { excludeTests: true }), ['docs/big.md', 'index.js', 'lib/util.js']);
  writeFileSync(join(dir, '.flintignore'), 'docs/\n!.env.example\n');
  const p = await packageFolder(dir);
  assert.deepEqual(p.files.map((f) => f.name), ['.env.example', 'index.js', 'lib/util.js', 'test/a.test.js']);
  assert.ok(p.notes.includes('ignore rules: defaults + .flintignore'));
});

test('packaging: a Flint data directory or master key in the folder is refused, even when .flintignore re-includes it', async () => {
  const dir = folder({ 'index.js': '', 'data/flint.db': '', 'data/credentials.json': '{}' });
  await assert.rejects(packageFolder(dir), new PackagingError(`refusing to package data/credentials.json: data is a Flint data directory (master key, credentials); move it out of the function folder or add it to .flintignore`));
  const dot = folder({ 'index.js': '', '.flint/master.key': 'ab', '.flintignore': '!.flint/\n' });
  await assert.rejects(packageFolder(dot), /refusing to package \.flint\/master\.key: \.flint is a Flint data directory/);
  assert.deepEqual(await names(folder({ 'index.js': '', '.flint/master.key': 'ab', '.flint/flint.db': '' })), ['index.js']);
});

test('packaging: symlinks inside the folder are followed (pnpm layout); outside it refused with the path; broken ones refused', async () => {
  const dir = folder({ 'index.js': '', 'node_modules/.pnpm/lodash@4/node_modules/lodash/index.js': 'module.exports = 1;' });
  symlinkSync('.pnpm/lodash@4/node_modules/lodash', join(dir, 'node_modules', 'lodash'));
  assert.deepEqual(await names(dir), ['index.js', 'node_modules/.pnpm/lodash@4/node_modules/lodash/index.js', 'node_modules/lodash/index.js']);
  const outside = folder({ 'secret.txt': 's' });
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'shared.txt'));
  await assert.rejects(packageFolder(dir), new PackagingError(`refusing to package shared.txt: it links to ${join(outside, 'secret.txt')}, outside ${dir}; copy it into the folder or add it to .flintignore`));
  const broken = folder({ 'index.js': '' });
  symlinkSync('nowhere.js', join(broken, 'gone.js'));
  await assert.rejects(packageFolder(broken), /refusing to package gone\.js: it is a broken symlink/);
  const loop = folder({ 'index.js': '' });
  symlinkSync('.', join(loop, 'self'));
  await assert.rejects(packageFolder(loop), /refusing to package self: it links back to \., a loop/);
});

test('packaging: runtime and handler are inferred from the folder, with the guess in the notes', async () => {
  const node = await packageFolder(folder({ 'package.json': '{"main":"src/app.mjs","type":"module"}', 'src/app.mjs': '' }));
  assert.equal(node.runtime, `nodejs${process.versions.node.split('.')[0]}.x`);
  assert.equal(node.handler, 'src/app.handler');
  assert.deepEqual(node.notes, [`using runtime ${node.runtime} and handler src/app.handler (from package.json "main"); pass --runtime/--handler to choose`]);
  assert.equal((await packageFolder(folder({ 'index.mjs': '' }))).handler, 'index.handler');
  const py = await packageFolder(folder({ 'app.py': '' }));
  assert.match(py.runtime!, /^python3\.\d+$/);
  assert.equal(py.handler, 'app.lambda_handler');
  assert.equal((await packageFolder(folder({ 'lambda_function.py': '' }))).handler, 'lambda_function.lambda_handler');
  const bin = folder({ bootstrap: '#!/bin/sh\n' });
  chmodSync(join(bin, 'bootstrap'), 0o755);
  const custom = await packageFolder(bin);
  assert.deepEqual([custom.runtime, custom.handler], ['provided.al2023', 'bootstrap']);
  const given = await packageFolder(folder({ 'index.js': '' }), { runtime: 'nodejs22.x', handler: 'main.run' });
  assert.deepEqual([given.runtime, given.handler, given.notes], ['nodejs22.x', 'main.run', ['warning: handler main.run: no main.mjs, main.js or main.cjs in the archive']]);
  const handlerOnly = await packageFolder(folder({ 'app.py': '' }), { runtime: 'python3.12' });
  assert.deepEqual(handlerOnly.notes, ['using handler app.lambda_handler (from app.py); pass --handler to choose']);
  await assert.rejects(packageFolder(folder({ 'README.md': '' })), /cannot tell the runtime of .*: no package\.json "main", index\.mjs, index\.js, app\.py, lambda_function\.py or executable bootstrap; pass --runtime and --handler/);
});

test('packaging: the same content gives the same bytes and CodeSha256; a change gives another; the executable bit is kept', async () => {
  const dir = folder({ 'index.js': 'a', 'lib/x.js': 'b' });
  chmodSync(join(dir, 'lib/x.js'), 0o755);
  const a = await packageFolder(dir);
  const b = await packageFolder(dir);
  assert.equal(a.sha256, b.sha256);
  assert.ok(a.zip.equals(b.zip));
  assert.deepEqual(a.files.map((f) => f.executable), [false, true]);
  writeFileSync(join(dir, 'index.js'), 'c');
  assert.notEqual((await packageFolder(dir)).sha256, a.sha256);
});
