import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteAuditLog } from '../../src/store/sqlite-audit-log.js';
import { AuditTrail } from '../../src/observe/audit-trail.js';
import { verifyChain } from '../../src/observe/audit-chain-verifier.js';
import { DigestSigner } from '../../src/observe/digest-signer.js';
import { parseAuditSelector } from '../../src/observe/audit-selector.js';
import type { ControlPlaneCall } from '../../src/ports/audit-log.js';

const DAY = 86_400_000;

function kit(opts: { retentionDays?: number; digestEvery?: number; digestIntervalMs?: number } = {}) {
  const store = new SqliteMetadataStore(':memory:');
  const rows = new SqliteAuditLog(store.db);
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => now, monotonic: () => now };
  const signer = new DigestSigner(generateKeyPairSync('ed25519').privateKey);
  const trail = new AuditTrail({ store: rows, clock, signer, region: 'us-east-1', accountId: '000000000000', digestEvery: opts.digestEvery ?? 1000, digestIntervalMs: opts.digestIntervalMs ?? 3600_000, retentionDays: opts.retentionDays ?? 90 });
  return { store, rows, trail, signer, advance: (ms: number) => { now += ms; }, verify: () => verifyChain(rows.rows(), [signer.publicKey]) };
}

const call = (name: string, extra: Partial<ControlPlaneCall> = {}): ControlPlaneCall => ({
  requestId: 'r-' + name, service: 'lambda', operation: 'CreateFunction', principal: 'arn:aws:iam::000000000000:root', input: { FunctionName: name }, status: 201, ...extra,
});

test('rows an older Flint wrote before the chain are sealed into it at start, in order, then signed by a digest; they still list as before', () => {
  const k = kit();
  const insert = k.store.db.prepare('INSERT INTO audit_events (time, request_id, principal, service, operation, resource, status, error_type, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run('2025-12-01T00:00:00.000Z', 'old-1', 'arn:aws:iam::000000000000:root', 'lambda', 'CreateFunction', 'legacy-fn', 201, null, JSON.stringify({ FunctionName: 'legacy-fn', Code: '(redacted)' }));
  insert.run('2025-12-02T00:00:00.000Z', 'old-2', 'arn:aws:iam::000000000000:user/bob', 'lambda', 'DeleteFunction', 'legacy-fn', 403, 'AccessDeniedException', null);
  assert.deepEqual(k.trail.open(), { sealed: 2 });
  k.trail.onCall(call('after'));
  k.trail.digest();
  const report = k.verify();
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.deepEqual([report.records, report.digests], [3, 2]);
  const listed = k.trail.list();
  assert.deepEqual(listed.map((e) => [e.operation, e.resource, e.status, e.errorType ?? null]), [['CreateFunction', 'legacy-fn', 201, null], ['DeleteFunction', 'legacy-fn', 403, 'AccessDeniedException'], ['CreateFunction', 'after', 201, null]]);
  const denied = k.trail.lookup({ attribute: { key: 'Username', value: 'bob' }, limit: 5 });
  assert.equal(denied[0]!.record.errorCode, 'AccessDeniedException');
  assert.equal(denied[0]!.record.eventTime, '2025-12-02T00:00:00.000Z');
  // A second start has nothing left to seal and adds no digest.
  assert.deepEqual(k.trail.open(), { sealed: 0 });
  assert.equal(k.verify().digests, 2);
});

test('a digest closes every N records and, on tick, after the interval with records pending; none when nothing is pending', () => {
  const k = kit({ digestEvery: 3, digestIntervalMs: 60_000 });
  k.trail.open();
  for (let i = 0; i < 7; i++) k.trail.onCall(call(`f${i}`));
  assert.equal(k.verify().digests, 2);
  assert.equal(k.trail.tick().digest, undefined, 'the interval has not passed');
  k.advance(60_000);
  assert.ok(k.trail.tick().digest);
  k.advance(60_000);
  assert.equal(k.trail.tick().digest, undefined, 'nothing pending');
  const report = k.verify();
  assert.deepEqual([report.ok, report.records, report.digests, report.warnings], [true, 7, 3, []]);
});

test('retention removes records older than the window up to a digest, which stays as the anchor: the rest still verifies', () => {
  const k = kit({ retentionDays: 90, digestEvery: 2 });
  k.trail.open();
  for (let i = 0; i < 4; i++) k.trail.onCall(call(`old${i}`));
  k.advance(60 * DAY);
  for (let i = 0; i < 3; i++) k.trail.onCall(call(`mid${i}`));
  k.advance(40 * DAY);
  k.trail.onCall(call('new'));
  // Records 1–5 (and the digests among them) are past 90 days; the digest after old3 is the newest
  // digest older than the cutoff.
  const pruned = k.trail.prune();
  assert.equal(pruned, 5);
  const report = k.verify();
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.match(report.warnings[0]!, /starts at digest \d+: earlier records were removed by retention/);
  assert.equal(report.records, 4);
  // With the retention window known (flint audit verify reads FLINT_AUDIT_RETENTION_DAYS), an anchor
  // older than the window is retention; a start at a younger digest is a deletion.
  const now = Date.parse('2026-01-01T00:00:00Z') + 100 * DAY;
  assert.equal(verifyChain(k.rows.rows(), [k.signer.publicKey], { now, retentionDays: 90 }).ok, true);
  const young = verifyChain(k.rows.rows(), [k.signer.publicKey], { now, retentionDays: 120 });
  assert.deepEqual(young.problems.map((p) => p.kind), ['deleted']);
  assert.match(young.problems[0]!.message, /inside the 120-day retention window: the records before it were deleted/);
  // Deleting the anchor digest itself is not retention: the chain no longer starts anywhere signed.
  k.rows.pruneBefore(k.rows.rows()[1]!.seq);
  assert.equal(k.verify().problems[0]!.kind, 'deleted');
});

test('the selector: write-only by default; denials always; read and data events opt-in; unknown words refused', () => {
  const k = kit();
  k.trail.open();
  k.trail.onCall(call('w'));
  k.trail.onCall(call('r', { operation: 'GetFunction', status: 200 }));
  k.trail.onCall(call('i', { operation: 'Invoke', status: 200 }));
  k.trail.onCall(call('d', { operation: 'GetFunction', status: 403, errorType: 'AccessDeniedException' }));
  assert.deepEqual(k.trail.list().map((e) => e.operation), ['CreateFunction', 'GetFunction']);
  assert.deepEqual(parseAuditSelector(undefined), { readWriteType: 'WriteOnly', lambdaDataEvents: false });
  assert.deepEqual(parseAuditSelector('all,data'), { readWriteType: 'All', lambdaDataEvents: true });
  assert.deepEqual(parseAuditSelector('ReadOnly'), { readWriteType: 'ReadOnly', lambdaDataEvents: false });
  assert.deepEqual(parseAuditSelector('none'), { readWriteType: 'None', lambdaDataEvents: false });
  assert.throws(() => parseAuditSelector('write,everything'), /FLINT_AUDIT_EVENTS: unknown word 'everything'/);
});

test('role sessions: userIdentity is AssumedRole with the session issuer; secrets are redacted at any depth, binary kept as a length', () => {
  const k = kit();
  k.trail.open();
  k.trail.onCall(call('s', {
    principal: 'arn:aws:sts::000000000000:assumed-role/admin/sess', service: 'iam', operation: 'CreateLoginProfile', input: { UserName: 'bob', Password: 'hunter2-secret' }, status: 200, accessKeyId: 'ASIAEXAMPLE',
    caller: { type: 'AssumedRole', arn: 'arn:aws:sts::000000000000:assumed-role/admin/sess', accountId: '000000000000', userId: 'AROAEXAMPLE:sess', roleArn: 'arn:aws:iam::000000000000:role/admin', sessionName: 'sess', tokenIssuedAt: Date.parse('2026-01-01T00:00:00Z') },
    output: { Credentials: { AccessKeyId: 'ASIANEW', SecretAccessKey: 'sk-secret', SessionToken: 'tok-secret' }, Blob: Buffer.from('abc'), Stream: new (class Feed { secret = 'in-a-stream' })() },
    sourceIp: '::ffff:10.0.0.9', userAgent: 'aws-cli/2.9.19',
  }));
  const r = k.trail.lookup({ limit: 1 })[0]!.record;
  assert.deepEqual(r.userIdentity, {
    type: 'AssumedRole', principalId: 'AROAEXAMPLE:sess', arn: 'arn:aws:sts::000000000000:assumed-role/admin/sess', accountId: '000000000000', accessKeyId: 'ASIAEXAMPLE',
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::000000000000:role/admin', accountId: '000000000000', userName: 'admin' }, attributes: { creationDate: '2026-01-01T00:00:00.000Z', mfaAuthenticated: 'false' } },
  });
  assert.equal(r.sourceIPAddress, '10.0.0.9');
  assert.equal(r.eventSource, 'iam.amazonaws.com');
  assert.deepEqual(r.requestParameters, { UserName: 'bob', Password: '(redacted)' });
  assert.deepEqual(r.responseElements, { Credentials: { AccessKeyId: 'ASIANEW', SecretAccessKey: '(redacted)', SessionToken: '(redacted)' }, Blob: '(binary, 3 bytes)', Stream: '(Feed)' });
  assert.ok(!JSON.stringify(k.rows.rows()).includes('secret'));
});

test('a restart continues the chain: records left unsigned by a crash are covered by the next digest', () => {
  const k = kit();
  k.trail.open();
  k.trail.onCall(call('a'));
  k.trail.digest();
  k.trail.onCall(call('b'));
  k.trail.onCall(call('c'));
  // A crash: no digest at stop. The next process opens the same store.
  const again = new AuditTrail({ store: k.rows, clock: { now: () => Date.now(), monotonic: () => 0 }, signer: k.signer, region: 'us-east-1', accountId: '000000000000' });
  assert.deepEqual(again.open(), { sealed: 0 });
  again.onCall(call('d'));
  const digest = again.digest()!;
  const d = JSON.parse(digest.record) as { digestStartSeq: number; digestEndSeq: number; recordCount: number; previousDigestSeq: number };
  assert.deepEqual([d.digestStartSeq, d.digestEndSeq, d.recordCount, d.previousDigestSeq], [3, 5, 3, 2]);
  const report = k.verify();
  assert.deepEqual([report.ok, report.records, report.digests, report.warnings], [true, 4, 2, []]);
});
