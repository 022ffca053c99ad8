/**
 * The audit trail's cost per audited call, in process (no HTTP): building the CloudTrail record,
 * canonical JSON, SHA-256 link hash and the SQLite insert (flint.db's WAL, synchronous=NORMAL) —
 * and apart from it the Ed25519 signature of one digest, and offline verification speed.
 *
 *   node --import tsx bench/audit-trail-bench.ts [records=5000]
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../src/store/sqlite-metadata-store.js';
import { SqliteAuditLog } from '../src/store/sqlite-audit-log.js';
import { systemClock } from '../src/app/system-clock.js';
import { AuditTrail } from '../src/observe/audit-trail.js';
import { canonicalJson, linkHash } from '../src/observe/audit-chain.js';
import { verifyChain } from '../src/observe/audit-chain-verifier.js';
import { DigestSigner } from '../src/observe/digest-signer.js';
import { callEvent } from '../src/observe/cloudtrail-event.js';
import type { ControlPlaneCall } from '../src/ports/audit-log.js';

const total = Number(process.argv[2] ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'flint-audit-bench-'));
const store = new SqliteMetadataStore(join(dir, 'flint.db'));
const rows = new SqliteAuditLog(store.db);
const signer = new DigestSigner(generateKeyPairSync('ed25519').privateKey);
const trail = new AuditTrail({ store: rows, clock: systemClock, signer, region: 'us-east-1', accountId: '000000000000', digestEvery: 1_000_000 });
trail.open();

// A realistic write: CreateFunction as the SDK sends it, with its output.
const call = (i: number): ControlPlaneCall => ({
  requestId: `req-${i}`, service: 'lambda', operation: 'CreateFunction', principal: 'arn:aws:iam::000000000000:user/dev',
  caller: { type: 'User', arn: 'arn:aws:iam::000000000000:user/dev', accountId: '000000000000', userId: 'AIDAEXAMPLE000000001', userName: 'dev' },
  accessKeyId: 'AKIAEXAMPLE000000001', sourceIp: '127.0.0.1', userAgent: 'aws-sdk-js/3.1178.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2',
  input: { FunctionName: `fn-${i}`, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/lambda-role', Handler: 'index.handler', Code: { ZipFile: Buffer.alloc(2048) }, Environment: { Variables: { A: 'secret' } }, MemorySize: 256, Timeout: 30, Tags: { team: 'x' } },
  status: 201,
  output: { FunctionName: `fn-${i}`, FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:fn-${i}`, Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/lambda-role', Handler: 'index.handler', CodeSize: 2048, CodeSha256: 'x'.repeat(44), MemorySize: 256, Timeout: 30, State: 'Pending', Version: '$LATEST', Architectures: ['x86_64'], Environment: { Variables: { A: 'secret' } } },
});

const time = (n: number, fn: (i: number) => void) => {
  for (let i = 0; i < Math.min(200, n); i++) fn(-i - 1); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
};

const ctx = { time: new Date().toISOString(), eventId: '00000000-0000-4000-8000-000000000000', region: 'us-east-1', accountId: '000000000000' };
const buildOnly = time(total, (i) => { canonicalJson(callEvent(call(i), ctx).record); });
let prev = '0'.repeat(64);
const text = canonicalJson(callEvent(call(1), ctx).record);
const hashOnly = time(total, () => { prev = linkHash(prev, text); });
const recorded = time(total, (i) => trail.onCall(call(i)));
const digestText = canonicalJson({ digestFormat: 'flint-audit-digest/1', lastRecordHash: prev, digestStartSeq: 1, digestEndSeq: total, recordCount: total });
const sign = time(2000, () => { signer.sign(digestText); });
const digest = time(200, (i) => { trail.onCall(call(i)); trail.digest(); });
const all = rows.rows();
const t0 = process.hrtime.bigint();
const report = verifyChain(all, [signer.publicKey]);
const verifyUs = Number(process.hrtime.bigint() - t0) / 1000 / all.length;

const f = (n: number) => n.toFixed(1);
process.stdout.write([
  `audit trail, ${total} CreateFunction records (${text.length} bytes each as canonical JSON):`,
  `  build record + canonical JSON   ${f(buildOnly)} µs/record`,
  `  SHA-256 link hash               ${f(hashOnly)} µs/record`,
  `  whole onCall (build+hash+insert) ${f(recorded)} µs/record`,
  `  Ed25519 sign of a digest        ${f(sign)} µs/digest`,
  `  record + digest (append+sign)   ${f(digest)} µs`,
  `  verifyChain                     ${f(verifyUs)} µs/link (${all.length} links, ok=${report.ok})`,
].join('\n') + '\n');
store.db.close();
rmSync(dir, { recursive: true, force: true });
