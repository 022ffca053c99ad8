import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { IAMClient, CreateUserCommand, TagUserCommand } from '@aws-sdk/client-iam';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { verifyAuditTrail } from '../../src/app/audit-verify.js';
import { linkHash } from '../../src/observe/audit-chain.js';

const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');

/**
 * A trail of 12 write events with a digest after every 4 (and one at shutdown), copied afresh for
 * each tampering, edited directly in SQLite the way someone with the data dir could.
 */
let h: Harness;
let source: string;
const copies: string[] = [];

before(async () => {
  h = await startHarness({ auditDigestEvery: 4 });
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.client.config.credentials, maxAttempts: 1 });
  for (let i = 0; i < 6; i++) {
    await iam.send(new CreateUserCommand({ UserName: `tamper-${i}` }));
    await iam.send(new TagUserCommand({ UserName: `tamper-${i}`, Tags: [{ Key: 'n', Value: String(i) }] }));
  }
  iam.destroy();
  source = h.dataDir;
  await h.app.stop();
});
after(async () => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
});

/** A copy of the stopped server's data dir, with `tamper` applied to its flint.db. */
function tampered(tamper: (db: Database.Database) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'flint-tamper-'));
  copies.push(dir);
  cpSync(source, dir, { recursive: true });
  const db = new Database(join(dir, 'flint.db'));
  tamper(db);
  db.close();
  return dir;
}

interface Link { seq: number; kind: string; record: string; prev_hash: string; hash: string }
const links = (db: Database.Database) => db.prepare('SELECT seq, kind, record, prev_hash, hash FROM audit_events ORDER BY seq').all() as Link[];
/** The seq of the `n`th event link (1-based), skipping digests. */
const nthEvent = (db: Database.Database, n: number) => links(db).filter((l) => l.kind === 'event')[n - 1]!.seq;

test('audit verify: the untouched trail passes — every record chained, every digest signed, no unsigned tail after a clean stop', () => {
  const report = verifyAuditTrail(source);
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.equal(report.records, 12);
  assert.equal(report.digests, 3);
  assert.deepEqual(report.warnings, []);
});

test('audit verify: an edited record is caught at its seq (hash mismatch)', () => {
  let seq = 0;
  const dir = tampered((db) => {
    seq = nthEvent(db, 2);
    db.prepare("UPDATE audit_events SET record = replace(record, 'tamper-0', 'someone-else') WHERE seq = ?").run(seq);
  });
  const report = verifyAuditTrail(dir);
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.seq]), [['edited', seq]]);
  assert.match(report.problems[0]!.message, new RegExp(`record ${seq} was edited`));
});

test('audit verify: an edit re-hashed through the end of the chain still fails at the next signed digest', () => {
  let from = 0;
  const dir = tampered((db) => {
    const all = links(db);
    from = nthEvent(db, 6);
    let prev = all.find((l) => l.seq === from - 1)!.hash;
    for (const l of all.filter((x) => x.seq >= from)) {
      const record = l.seq === from ? l.record.replace('tamper-', 'forged-') : l.record;
      const hash = linkHash(prev, record);
      db.prepare('UPDATE audit_events SET record = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(record, prev, hash, l.seq);
      prev = hash;
    }
  });
  const report = verifyAuditTrail(dir);
  assert.equal(report.ok, false);
  // Each digest after the rewrite signed the original chain: the first of them is where it shows.
  assert.ok(report.problems.length >= 1 && report.problems.every((p) => p.kind === 'digest-mismatch'), JSON.stringify(report.problems));
  assert.ok(report.problems[0]!.seq > from && report.problems[0]!.seq <= from + 4);
});

test('audit verify: a deleted record is caught as a chain break between its neighbours', () => {
  let seq = 0;
  const dir = tampered((db) => {
    seq = nthEvent(db, 3);
    db.prepare('DELETE FROM audit_events WHERE seq = ?').run(seq);
  });
  const report = verifyAuditTrail(dir);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.seq]), [['deleted', seq + 1]]);
  assert.match(report.problems[0]!.message, new RegExp(`between records ${seq - 1} and ${seq + 1}: records ${seq}–${seq} were deleted`));
});

test('audit verify: an inserted record — well-formed, hashed onto its predecessor, later records renumbered — is caught at its seq', () => {
  let at = 0;
  const dir = tampered((db) => {
    const after = nthEvent(db, 5);
    at = after + 1;
    const prev = links(db).find((l) => l.seq === after)!;
    db.prepare('UPDATE audit_events SET seq = seq + 100000 WHERE seq > ?').run(after);
    db.prepare('UPDATE audit_events SET seq = seq - 99999 WHERE seq > 100000').run();
    const record = prev.record.replace('tamper-', 'ghost-');
    db.prepare(`INSERT INTO audit_events (seq, kind, time, request_id, principal, operation, status, record, prev_hash, hash)
      SELECT ?, 'event', time, request_id, principal, operation, status, ?, ?, ? FROM audit_events WHERE seq = ?`).run(at, record, prev.hash, linkHash(prev.hash, record), after);
  });
  const report = verifyAuditTrail(dir);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.seq]), [['inserted', at]]);
  assert.match(report.problems[0]!.message, new RegExp(`record ${at} is not part of the chain: it was inserted between records ${at - 1} and ${at + 1}`));
});

test('audit verify: two records swapped in order are caught as reordered', () => {
  let seq = 0;
  const dir = tampered((db) => {
    seq = nthEvent(db, 6);
    db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = ?').run(seq);
    db.prepare('UPDATE audit_events SET seq = ? WHERE seq = ?').run(seq, seq + 1);
    db.prepare('UPDATE audit_events SET seq = ? WHERE seq = -1').run(seq + 1);
  });
  const report = verifyAuditTrail(dir);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.seq]), [['reordered', seq]]);
  assert.match(report.problems[0]!.message, new RegExp(`record ${seq} is chained after record ${seq + 1}`));
});

test('audit verify: a digest whose signature fails is reported; records after the last digest are a warning, not a failure', () => {
  const forged = tampered((db) => {
    const digest = links(db).find((l) => l.kind === 'digest')!;
    db.prepare("UPDATE audit_events SET signature = 'AAAA' || substr(signature, 5) WHERE seq = ?").run(digest.seq);
  });
  const bad = verifyAuditTrail(forged);
  assert.deepEqual(bad.problems.map((p) => p.kind), ['signature']);
  const tail = tampered((db) => {
    const last = links(db).at(-1)!;
    db.prepare('DELETE FROM audit_events WHERE seq = ?').run(last.seq);
  });
  const unsigned = verifyAuditTrail(tail);
  assert.equal(unsigned.ok, true);
  assert.match(unsigned.warnings.join('\n'), /record\(s\) after the last digest \(\d+\) are not yet covered by a signed digest/);
});

test('flint audit verify (CLI): exit 0 and OK untouched; exit 1 naming each problem and where when tampered', async () => {
  const ok = await run(process.execPath, ['--import', 'tsx', MAIN, 'audit', 'verify', '--data-dir', source]);
  assert.match(ok.stdout, /^OK: 12 record\(s\), 3 signed digest\(s\)/m);
  let seq = 0;
  const dir = tampered((db) => {
    seq = nthEvent(db, 2);
    db.prepare('DELETE FROM audit_events WHERE seq = ?').run(seq);
  });
  await assert.rejects(run(process.execPath, ['--import', 'tsx', MAIN, 'audit', 'verify', '--data-dir', dir]), (e: { code: number; stdout: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stdout, new RegExp(`FAIL deleted at ${seq + 1}: chain break between records ${seq - 1} and ${seq + 1}`));
    assert.match(e.stdout, /^FAILED: /m);
    return true;
  });
  const key = await run(process.execPath, ['--import', 'tsx', MAIN, 'audit', 'public-key', '--data-dir', source]);
  assert.match(key.stdout, /-----BEGIN PUBLIC KEY-----[\s\S]+# sha256 fingerprint \(SPKI DER\): [0-9a-f]{64}/);
});
