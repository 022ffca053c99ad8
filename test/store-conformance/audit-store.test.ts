import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import type { AuditRow, AuditRowIndex, AuditStore } from '../../src/ports/audit-store.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteAuditLog } from '../../src/store/sqlite-audit-log.js';
import { PgAuditLog } from '../../src/store/pg/pg-audit-log.js';
import { AuditTrail } from '../../src/observe/audit-trail.js';
import { DigestSigner } from '../../src/observe/digest-signer.js';
import { verifyChain } from '../../src/observe/audit-chain-verifier.js';
import { GENESIS, canonicalJson, linkHash } from '../../src/observe/audit-chain.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** One suite for every AuditStore driver (SQLite, PostgreSQL), then two PG nodes on one chain. */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

const drivers: Array<{ name: string; skip: string | undefined; open(): Promise<{ store: AuditStore; done(): void }> }> = [
  {
    name: 'sqlite',
    skip: undefined,
    async open() {
      const meta = new SqliteMetadataStore(':memory:');
      return { store: new SqliteAuditLog(meta.db), done: () => meta.close() };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const store = new PgAuditLog(await server!.createDatabase());
      return { store, done: () => store.close() };
    },
  },
];

interface Ev { name: string; time: string; user?: string; readOnly?: boolean; resource?: { type: string; name: string } }

function eventLink(head: AuditRow | undefined, e: Ev): { row: AuditRow; index: AuditRowIndex } {
  const record = canonicalJson({ eventName: e.name, eventTime: e.time, requestParameters: { n: e.name } });
  const prevHash = head?.hash ?? GENESIS;
  return {
    row: { seq: (head?.seq ?? 0) + 1, kind: 'event', record, prevHash, hash: linkHash(prevHash, record) },
    index: {
      eventTime: e.time, eventId: `id-${e.name}`, eventName: e.name, eventSource: 'lambda.amazonaws.com', readOnly: e.readOnly ?? false,
      ...(e.user ? { username: e.user } : {}), accessKeyId: 'AKIDEXAMPLE', resources: e.resource ? [e.resource] : [],
      principal: 'arn:aws:iam::000000000000:root', service: 'lambda', ...(e.resource ? { resource: e.resource.name } : {}), status: 200, requestId: `req-${e.name}`,
    },
  };
}

function digestLink(head: AuditRow, endTime: string): AuditRow {
  const record = canonicalJson({ digestEndTime: endTime, lastRecordHash: head.hash });
  return { seq: head.seq + 1, kind: 'digest', record, prevHash: head.hash, hash: linkHash(head.hash, record), signature: 'c2ln' };
}

for (const d of drivers) {
  describe(`audit store (${d.name})`, { skip: d.skip }, () => {
    let store: AuditStore;
    let done: () => void;
    before(async () => ({ store, done } = await d.open()));
    after(() => done());

    test('an empty trail has no head, rows or events', () => {
      assert.equal(store.head(), undefined);
      assert.deepEqual(store.rows(), []);
      assert.deepEqual(store.list(), []);
      assert.deepEqual(store.unsealed(), []);
    });

    test('appendAfter builds each link on the current head; rows read back byte for byte, in seq order', () => {
      const heads: Array<AuditRow | undefined> = [];
      const evs: Ev[] = [
        { name: 'CreateFunction', time: '2026-01-01T00:00:01Z', user: 'alice', resource: { type: 'AWS::Lambda::Function', name: 'f1' } },
        { name: 'GetFunction', time: '2026-01-01T00:00:02Z', user: 'bob', readOnly: true, resource: { type: 'AWS::Lambda::Function', name: 'f1' } },
        { name: 'CreateRole', time: '2026-01-01T00:00:03Z', user: 'alice', resource: { type: 'AWS::IAM::Role', name: 'r1' } },
        { name: 'ListFunctions', time: '2026-01-01T00:00:04Z', user: 'bob', readOnly: true },
      ];
      const appended = evs.map((e) => store.appendAfter((head) => { heads.push(head); return eventLink(head, e); })!);
      assert.equal(heads[0], undefined);
      assert.deepEqual(heads.slice(1), appended.slice(0, -1));
      assert.deepEqual(store.head(), appended.at(-1));
      assert.deepEqual(store.rows(), appended);
      assert.deepEqual(store.rows({ fromSeq: 2, limit: 2 }).map((r) => r.seq), [2, 3]);
      assert.equal(store.rows()[0]!.prevHash, GENESIS);
      assert.equal(store.appendAfter(() => undefined), undefined, 'nothing to append');
      assert.equal(store.rows().length, 4);
    });

    test('append refuses a seq that is already taken', () => {
      const head = store.head()!;
      const taken = { ...eventLink(head, { name: 'Dup', time: '2026-01-01T00:00:05Z' }).row, seq: head.seq };
      assert.throws(() => store.append(taken));
      assert.deepEqual(store.head(), head);
    });

    test('lookup filters on one attribute and a time range, newest first, paged by beforeSeq', () => {
      const names = (rows: AuditRow[]) => rows.map((r) => (JSON.parse(r.record) as { eventName: string }).eventName);
      assert.deepEqual(names(store.lookup({ limit: 10 })), ['ListFunctions', 'CreateRole', 'GetFunction', 'CreateFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'Username', value: 'alice' }, limit: 10 })), ['CreateRole', 'CreateFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'ReadOnly', value: 'true' }, limit: 10 })), ['ListFunctions', 'GetFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'ReadOnly', value: 'false' }, limit: 10 })), ['CreateRole', 'CreateFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'EventName', value: 'GetFunction' }, limit: 10 })), ['GetFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'EventId', value: 'id-CreateRole' }, limit: 10 })), ['CreateRole']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'ResourceName', value: 'f1' }, limit: 10 })), ['GetFunction', 'CreateFunction']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'ResourceType', value: 'AWS::IAM::Role' }, limit: 10 })), ['CreateRole']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'EventSource', value: 'lambda.amazonaws.com' }, limit: 1 })), ['ListFunctions']);
      assert.deepEqual(names(store.lookup({ attribute: { key: 'AccessKeyId', value: 'nope' }, limit: 10 })), []);
      assert.deepEqual(names(store.lookup({ startTime: '2026-01-01T00:00:02Z', endTime: '2026-01-01T00:00:03Z', limit: 10 })), ['CreateRole', 'GetFunction']);
      assert.deepEqual(names(store.lookup({ beforeSeq: 3, limit: 10 })), ['GetFunction', 'CreateFunction']);
    });

    test('the old AuditLog listing: events oldest first, after a seq, by resource', () => {
      const all = store.list();
      assert.deepEqual(all.map((e) => e.operation), ['CreateFunction', 'GetFunction', 'CreateRole', 'ListFunctions']);
      assert.deepEqual(all[0], { seq: 1, time: '2026-01-01T00:00:01Z', requestId: 'req-CreateFunction', principal: 'arn:aws:iam::000000000000:root', service: 'lambda', operation: 'CreateFunction', resource: 'f1', status: 200, detail: { n: 'CreateFunction' } });
      assert.deepEqual(store.list({ afterSeq: 2, limit: 1 }).map((e) => e.seq), [3]);
      assert.deepEqual(store.list({ resource: 'f1' }).map((e) => e.seq), [1, 2]);
    });

    test('digests are links too; retention prunes up to the last digest before a time', () => {
      const d1 = store.appendAfter((head) => ({ row: digestLink(head!, '2026-01-02T00:00:00Z') }))!;
      store.appendAfter((head) => eventLink(head, { name: 'After', time: '2026-01-03T00:00:00Z' }));
      const d2 = store.appendAfter((head) => ({ row: digestLink(head!, '2026-01-04T00:00:00Z') }))!;
      assert.equal(store.rows().find((r) => r.seq === d1.seq)?.signature, 'c2ln');
      assert.deepEqual(store.lastDigestBefore('2026-01-03T00:00:00Z'), d1);
      assert.deepEqual(store.lastDigestBefore('2026-01-05T00:00:00Z'), d2);
      assert.equal(store.lastDigestBefore('2026-01-01T00:00:00Z'), undefined);
      assert.equal(store.lookup({ limit: 10 }).some((r) => r.kind === 'digest'), false, 'lookup returns events only');
      assert.equal(store.pruneBefore(d1.seq), 4);
      assert.equal(store.rows()[0]!.seq, d1.seq);
      assert.equal(store.pruneBefore(d1.seq), 0);
    });
  });
}

describe('audit store (postgres): two api nodes on one chain', { skip: postgresSkipReason }, () => {
  test('calls recorded by two processes at once form one linear chain that verifies, with both nodes\' digests', async (t) => {
    const url = await server!.createDatabase();
    const rounds = 60;
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = new DigestSigner(privateKey);
    const store = new PgAuditLog(url);
    const trail = new AuditTrail({ store, clock: { now: () => Date.now(), monotonic: () => performance.now() }, signer, region: 'us-east-1', accountId: '000000000000', digestEvery: 5 });
    trail.open();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'pg-audit-writer.ts'), url, String(rounds)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, FLINT_TEST_AUDIT_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    try {
      const lines = (async function* () { for await (const chunk of child.stdout) yield String(chunk); })();
      assert.match((await lines.next()).value as string, /ready/);
      const finished = once(child, 'exit');
      child.stdin.write('go\n');
      for (let i = 0; i < rounds; i++) {
        trail.onCall({ requestId: `main-${i}`, service: 'lambda', operation: 'CreateFunction', principal: 'arn:aws:iam::000000000000:root', input: { FunctionName: `main-${i}` }, status: 201 });
      }
      trail.digest();
      const [code] = await finished;
      assert.equal(code, 0);
      const rows = store.rows();
      const report = verifyChain(rows, [signer.publicKey]);
      assert.deepEqual(report.problems, []);
      assert.equal(report.records, 2 * rounds);
      assert.deepEqual(rows.map((r) => r.seq), rows.map((_, i) => i + 1), 'seqs are contiguous');
      const by = rows.filter((r) => r.kind === 'event').map((r) => (JSON.parse(r.record) as { requestID: string }).requestID.split('-')[0]);
      t.diagnostic(`nodes alternated ${by.filter((w, i) => i > 0 && w !== by[i - 1]).length} times; ${report.digests} digests`);
    } finally {
      child.kill();
      store.close();
    }
  });
});
