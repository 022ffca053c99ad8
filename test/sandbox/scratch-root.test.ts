import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scratchRootFor } from '../../src/sandbox/scratch-root.js';

const TMPFS_MAGIC = 0x01021994;
const inMemory = (p: string) => Number(statfsSync(p).type) === TMPFS_MAGIC;

describe('scratch root: sandboxes\' directories go to memory', () => {
  const shm = '/dev/shm';
  const disk = mkdtempSync(join(process.cwd(), '.scratch-root-test-'));
  const mem = inMemory(shm) ? mkdtempSync(join(shm, 'flint-scratch-test-')) : undefined;
  after(() => { rmSync(disk, { recursive: true, force: true }); if (mem) rmSync(mem, { recursive: true, force: true }); });

  it('keeps the preferred root when its parent is in memory', (t) => {
    if (!mem) return t.skip('/dev/shm is not a tmpfs here');
    assert.equal(scratchRootFor(join(mem, 'flint'), join(mem, 'other')), join(mem, 'flint'));
  });

  it('moves from a disk to a directory of its own (mode 0700) in memory; refuses one anybody else could enter', (t) => {
    if (!mem) return t.skip('/dev/shm is not a tmpfs here');
    if (inMemory(disk)) return t.skip('the working directory is in memory here');
    const fallback = join(mem, 'flint');
    assert.equal(scratchRootFor(join(disk, 'flint'), fallback), fallback);
    assert.equal(statSync(fallback).mode & 0o777, 0o700);
    assert.equal(scratchRootFor(join(disk, 'flint'), fallback), fallback, 'its own directory again');
    const open = join(mem, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.equal(scratchRootFor(join(disk, 'flint'), open), join(disk, 'flint'));
  });

  it('keeps the preferred root when the fallback is not in memory either', (t) => {
    if (inMemory(disk)) return t.skip('the working directory is in memory here');
    assert.equal(scratchRootFor(join(disk, 'a', 'flint'), join(disk, 'b')), join(disk, 'a', 'flint'));
  });
});
