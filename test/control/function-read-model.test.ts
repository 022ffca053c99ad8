import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { StoredFunctionReadModel } from '../../src/control/stored-function-read-model.js';
import { AsyncFunctionLookup } from '../../src/invoke/async/async-function-lookup.js';
import { COLLECTIONS, key, versionKey } from '../../src/domain/records.js';

/*
 * One qualifier rule for the data plane: the sync path (FunctionRepository), the async pollers
 * and destinations (AsyncFunctionLookup) read through the same read model and agree.
 */
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'flint-read-model-'));
  const store = new SqliteMetadataStore(join(dir, 'flint.db'));
  store.collection(COLLECTIONS.functions).put('fn', { name: 'fn' });
  for (const v of ['$LATEST', '1', '12']) store.collection(COLLECTIONS.functionVersions).put(key('fn', versionKey(v)), { config: { FunctionName: 'fn', Version: v } });
  store.collection(COLLECTIONS.aliases).put(key('fn', 'live'), { Name: 'live', FunctionVersion: '12' });
  store.collection(COLLECTIONS.aliases).put(key('fn', 'dangling'), { Name: 'dangling', FunctionVersion: '7' });
  store.collection(COLLECTIONS.provisionedConcurrency).put(key('fn', 'live'), { RequestedProvisionedConcurrentExecutions: 2 });
  const read = new StoredFunctionReadModel(store);
  return { read, cleanup: () => { store.close?.(); rmSync(dir, { recursive: true, force: true }); } };
}

test('read model: $LATEST, version numbers as Lambda writes them, and aliases leading to their version', () => {
  const { read, cleanup } = fixture();
  try {
    assert.equal(read.resolve('fn', undefined)?.record.config.Version, '$LATEST');
    assert.equal(read.resolve('fn', undefined)?.qualifier, undefined);
    assert.equal(read.resolve('fn', '$LATEST')?.qualifier, '$LATEST');
    assert.equal(read.resolve('fn', '12')?.record.config.Version, '12');
    const alias = read.resolve('fn', 'live');
    assert.equal(alias?.record.config.Version, '12');
    assert.equal(alias?.alias?.Name, 'live');
    assert.equal(read.aliases('fn').map((a) => a.Name).join(','), 'dangling,live');
    assert.equal(read.provisionedConcurrency('fn', 'live')?.RequestedProvisionedConcurrentExecutions, 2);
  } finally {
    cleanup();
  }
});

test('read model: "01", "0" and "+1" name no version (the zero-padded keys would have found version 1), nor does an alias whose version is gone', () => {
  const { read, cleanup } = fixture();
  try {
    for (const q of ['01', '0', '+1', '012']) {
      assert.equal(read.version('fn', q), undefined, q);
      assert.equal(read.resolve('fn', q), undefined, q);
    }
    assert.equal(read.resolve('fn', 'dangling'), undefined);
    assert.equal(read.resolve('nope', '1'), undefined);
  } finally {
    cleanup();
  }
});

test('read model: the async lookup answers as the sync path does for every qualifier form', () => {
  const { read, cleanup } = fixture();
  try {
    const lookup = new AsyncFunctionLookup(read);
    for (const q of ['$LATEST', '1', '12', '01', '0', 'live', 'dangling', 'missing']) {
      assert.equal(lookup.versionOf('fn', q), read.resolve('fn', q)?.record.config.Version, q);
      assert.equal(lookup.exists('fn', q), read.resolve('fn', q) !== undefined, q);
    }
    assert.equal(lookup.exists('nope', '$LATEST'), false);
  } finally {
    cleanup();
  }
});
