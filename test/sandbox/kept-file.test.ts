import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeptFile } from '../../src/sandbox/cgroups/kept-file.js';

test('kept file: each read sees the current content from the start (as /proc and cgroup files regenerate it)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-kept-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'peak');
  writeFileSync(file, '12345\n');
  const kept = new KeptFile(file);
  assert.equal(kept.read(), '12345\n');
  writeFileSync(file, '7\n');
  assert.equal(kept.read(), '7\n');
  kept.close();
  kept.close();
});

test('kept file: a file that is not there reads as undefined, and is opened once it is', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-kept-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kept = new KeptFile(join(dir, 'later'));
  assert.equal(kept.read(), undefined);
  writeFileSync(join(dir, 'later'), 'x');
  assert.equal(kept.read(), 'x');
  kept.close();
});

test('kept file: /proc/self/status through a kept descriptor reports this process', () => {
  const kept = new KeptFile('/proc/self/status');
  assert.match(kept.read() ?? '', /^Name:/);
  assert.match(kept.read() ?? '', /VmHWM:\s+\d+ kB/);
  kept.close();
});
