import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { until } from '../helpers/until.js';

test('wal checkpointer: pages committed with automatic checkpoints off reach the database file only when the worker checkpoints', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-ckpt-'));
  const file = join(dir, 'x.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v BLOB)');
  const failures: Error[] = [];
  const ckpt = new WalCheckpointer(file, (err) => failures.push(err));
  try {
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 300; i++) ins.run(Buffer.alloc(8192, i));
    const before = statSync(file).size;
    assert.ok(statSync(`${file}-wal`).size > 2_000_000, 'the rows are in the log');
    assert.ok(before < 100_000, `nothing checkpointed yet (database file ${before} bytes)`);
    ckpt.request();
    ckpt.request(); // collapses into the running one (and one more)
    await until(() => statSync(file).size > 2_000_000, 10_000);
    assert.deepEqual(failures, []);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 300);
  } finally {
    ckpt.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wal checkpointer: a worker that cannot open the database reports the failure (the caller turns automatic checkpoints back on)', async () => {
  const failures: Error[] = [];
  const ckpt = new WalCheckpointer(join(tmpdir(), 'flint-no-such-dir', 'x', 'x.db'), (err) => failures.push(err));
  ckpt.request();
  await until(() => failures.length > 0, 10_000);
  assert.match(failures[0]!.message, /unable to open|directory does not exist|SQLITE_CANTOPEN/i);
  ckpt.request(); // after a failure: a no-op, not a new worker
  assert.equal(failures.length, 1);
});
