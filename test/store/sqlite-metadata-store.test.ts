import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';

// The store keeps the text of documents it has read (every Invoke reads the same few): these pin
// down that a read never returns what a write replaced, nor what a rolled-back transaction wrote.
let dir: string;
let store: SqliteMetadataStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flint-meta-'));
  store = new SqliteMetadataStore(join(dir, 'flint.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('metadata-store: a get after put, insert or delete of the same key returns the new state', () => {
  const c = store.collection<{ v: number }>('things');
  assert.equal(c.get('k'), undefined);
  assert.equal(c.insert('k', { v: 1 }), true);
  assert.deepEqual(c.get('k'), { v: 1 });
  c.put('k', { v: 2 });
  assert.deepEqual(c.get('k'), { v: 2 });
  assert.equal(c.insert('k', { v: 3 }), false);
  assert.deepEqual(c.get('k'), { v: 2 });
  assert.equal(c.delete('k'), true);
  assert.equal(c.get('k'), undefined);
  // The same collection asked for again is the same documents.
  store.collection<{ v: number }>('things').put('k', { v: 4 });
  assert.deepEqual(c.get('k'), { v: 4 });
});

test('metadata-store: each get returns its own object, so changing one does not change the stored document', () => {
  const c = store.collection<{ v: number; list: number[] }>('things');
  c.put('k', { v: 1, list: [1] });
  const a = c.get('k')!;
  a.v = 99;
  a.list.push(2);
  assert.deepEqual(c.get('k'), { v: 1, list: [1] });
});

test('metadata-store: writes of a transaction that throws are undone for readers too, nested ones included', () => {
  const c = store.collection<{ v: number }>('things');
  c.put('k', { v: 1 });
  assert.deepEqual(c.get('k'), { v: 1 });
  assert.throws(() => store.transaction(() => {
    c.put('k', { v: 2 });
    c.put('new', { v: 2 });
    assert.deepEqual(c.get('k'), { v: 2 }); // its own write, inside the transaction
    throw new Error('abort');
  }), /abort/);
  assert.deepEqual(c.get('k'), { v: 1 });
  assert.equal(c.get('new'), undefined);

  store.transaction(() => {
    c.put('outer', { v: 1 });
    assert.throws(() => store.transaction(() => {
      c.put('k', { v: 3 });
      throw new Error('inner');
    }), /inner/);
  });
  assert.deepEqual(c.get('k'), { v: 1 });
  assert.deepEqual(c.get('outer'), { v: 1 });
});
