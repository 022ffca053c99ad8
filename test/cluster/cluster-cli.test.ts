import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type pg from 'pg';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { systemClock } from '../../src/app/system-clock.js';
import { loadMasterKeyring, loadRootCredentials } from '../../src/app/secrets.js';
import { Membership } from '../../src/cluster/membership.js';
import { LeaderLease } from '../../src/cluster/leader-lease.js';
import { ConcurrencyTokens } from '../../src/cluster/concurrency-tokens.js';
import { ensureEventQueueSchema } from '../../src/store/pg/pg-event-queue-schema.js';
import { PgMappingLeaseStore } from '../../src/store/pg/pg-mapping-lease-store.js';
import { PgQueueStore } from '../../src/store/pg/pg-queue-store.js';
import { nodePool, until } from './helpers/pools.js';

/**
 * `flint cluster init` and `flint cluster status` as a user runs them (bin/flint.js → dist/, so
 * `npm run build` first): exact lines, exit codes, file modes; status against a real PostgreSQL
 * where nodes registered in this process.
 */
const BIN = resolve('bin/flint.js');
const skip = postgresSkipReason;
let root: string;
let pgServer: TestPostgres | undefined;
const pools: pg.Pool[] = [];

interface Run { code: number | null; stdout: string; stderr: string }

function flint(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { PATH: process.env['PATH']!, HOME: root, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'flint-cluster-cli-'));
  if (!skip) pgServer = await startPostgres();
});

after(async () => {
  for (const p of pools) await p.end().catch(() => undefined);
  await pgServer?.stop();
  rmSync(root, { recursive: true, force: true });
});

test('flint cluster init: writes the CA, root credentials and master key a node reads, 0700/0600, and says so', async () => {
  const dir = join(root, 'cluster');
  const r = await flint(['cluster', 'init', 'cluster']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const creds = loadRootCredentials(dir);
  const lines = r.stdout.split('\n');
  assert.equal(lines.length, 6);
  assert.equal(lines[0], `Created cluster folder ${dir}`);
  assert.match(lines[1]!, /^ {2}ca\.pem, ca-key\.pem {2}cluster CA CN=Flint cluster CA [0-9a-f]{8}, O=Flint \(valid until \d{4}-\d\d-\d\d\)$/);
  assert.equal(lines[2], `  credentials.json    root access key ${creds.accessKeyId}`);
  assert.equal(lines[3], '  master-keys.json    master key 1');
  assert.equal(lines[4], `Start every node with --cluster-dir ${dir} (or FLINT_CLUSTER_DIR) and FLINT_DATABASE_URL. Keep the folder secret: it holds the CA key.`);
  assert.equal(lines[5], '');
  assert.equal(creds.generated, false, 'the node reads the credentials init wrote');
  assert.match(creds.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(loadMasterKeyring(dir).currentKeyId, 1);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dir).sort().map((f) => [f, statSync(join(dir, f)).mode & 0o777]), [['ca-key.pem', 0o600], ['ca.pem', 0o600], ['credentials.json', 0o600], ['master-keys.json', 0o600]]);

  const again = await flint(['cluster', 'init', 'cluster']);
  assert.deepEqual(again, { code: 1, stdout: '', stderr: `error: ${dir} is already a cluster folder (ca.pem exists): a second CA and key would split the cluster; use it as it is, or choose an empty folder\n` });
});

test('flint cluster init -o json: the folder, CA, access key id and files as one document', async () => {
  const r = await flint(['cluster', 'init', 'c2', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ['clusterDir', 'ca', 'accessKeyId', 'masterKeyId', 'files']);
  assert.equal(doc['clusterDir'], join(root, 'c2'));
  assert.equal(doc['accessKeyId'], loadRootCredentials(join(root, 'c2')).accessKeyId);
  assert.deepEqual(doc['files'], ['ca.pem', 'ca-key.pem', 'credentials.json', 'master-keys.json']);
});

test('flint cluster status: without a database URL it is a usage error (exit 2)', async () => {
  assert.deepEqual(await flint(['cluster', 'status']), { code: 2, stdout: '', stderr: 'error: no database: pass --database-url postgres://… or set FLINT_DATABASE_URL\n' });
});

test('flint cluster status: an unreachable database is exit 1, the password never printed', { skip }, async () => {
  const r = await flint(['cluster', 'status', '--database-url', 'postgres://flint:s3cret@127.0.0.1:1/flint']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, "error: cannot read the cluster's state from postgres://flint:***@127.0.0.1:1/flint: connect ECONNREFUSED 127.0.0.1:1\n");
});

test('flint cluster status: an empty database has no members and no leader', { skip }, async () => {
  const url = await pgServer!.createDatabase();
  assert.deepEqual(await flint(['cluster', 'status'], { FLINT_DATABASE_URL: url }), { code: 0, stderr: '', stdout: 'members: none (no node has registered in this database)\nleader: none\n' });
});

test('flint cluster status: members with roles, address, state, epoch and lease; the leader and term; queue depths and tokens', { skip }, async () => {
  const url = await pgServer!.createDatabase();
  const pool = nodePool(url);
  pools.push(pool);
  const fast = { heartbeatMs: 100, leaseMs: 600, fenceMarginMs: 100 };
  // node-a keeps a 5 s lease (alive through a busy moment of this shared machine); node-b's short
  // lease lets it die quickly once its heartbeats stop.
  const a = await Membership.start({ pool, clock: systemClock, id: 'node-a', roles: ['api', 'worker', 'poller'], address: '10.0.0.1:9443', capacity: 16, heartbeatMs: 200 });
  const b = await Membership.start({ pool, clock: systemClock, id: 'node-b', roles: ['worker'], address: '10.0.0.2:9443', capacity: 8, ...fast });
  const leader = await LeaderLease.start({ pool, clock: systemClock, holder: 'node-a', renewMs: 200 });
  try {
    await until('node-a leads', () => leader.isLeader());
    await ensureEventQueueSchema(pool);
    await pool.query(`INSERT INTO async_events (request_id, bucket, function_name, qualifier, payload, origin, enqueued_at, visible_at, lease_token)
      VALUES ('r1', 1, 'hello', '$LATEST', '\\x7b7d', 'api', 0, 0, NULL), ('r2', 1, 'hello', '$LATEST', '\\x7b7d', 'api', 0, 0, 'tok')`);
    const tokens = await ConcurrencyTokens.start({ pool, nodeId: 'node-a' });
    await tokens.acquire({ functionName: 'hello', accountLimit: 10, committed: 0, timeoutMs: 60_000 });
    // node-a (a poller) runs one event source mapping.
    await (await PgMappingLeaseStore.open(pool)).acquire('node-a', ['a1b2c3d4-0000-4000-8000-000000000001'], 60_000);
    // Two SQS queues: one message visible, one received (in flight), one delayed; the other empty.
    const sqs = PgQueueStore.open(url);
    const far = Date.now() + 3_600_000;
    for (const name of ['orders', 'empty']) sqs.putQueue({ name, attributes: {}, tags: {}, createdAt: 1, lastModifiedAt: 1 });
    sqs.insertMessages([['m1', 0, 0], ['m2', far, 1], ['m3', far, 0]].map(([id, visibleAt, receiveCount]) => ({
      queue: 'orders', message: { id: String(id), body: 'b', md5OfBody: 'x', sentAt: 1, senderId: 's' }, visibleAt: Number(visibleAt), receiveCount: Number(receiveCount), firstReceiveAt: 0, receipt: '',
    })));
    sqs.close();
    b.stop();
    await until('node-b is dead by the database clock', async () => (await pool.query(`SELECT lease_expires_at < now() AS dead FROM members WHERE id = 'node-b'`)).rows[0].dead);
    const r = await flint(['cluster', 'status'], { FLINT_DATABASE_URL: url });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'MEMBER  ROLES              ADDRESS        STATE   EPOCH  CAPACITY  LEASE');
    assert.match(lines[1]!, new RegExp(`^node-a  api,worker,poller  10\\.0\\.0\\.1:9443  active  ${' '.repeat(5 - String(a.epoch).length)}${a.epoch}        16  \\d\\.\\ds left$`));
    assert.match(lines[2]!, new RegExp(`^node-b  worker             10\\.0\\.0\\.2:9443  dead    ${' '.repeat(5 - String(b.epoch).length)}${b.epoch}         8  expired \\d+\\.\\ds ago$`));
    assert.match(lines[3]!, /^leader: node-a \(term 1, lease \d\.\ds left\)$/);
    assert.deepEqual(lines.slice(4, 12), ['async queue:', 'FUNCTION  QUEUED  LEASED', 'hello          2       1', 'concurrency in flight:', 'FUNCTION  IN FLIGHT', 'hello             1',
      'event source mappings:', 'UUID                                  POLLER  LEASE']);
    assert.match(lines[12]!, /^a1b2c3d4-0000-4000-8000-000000000001  node-a  \d+\.\ds left$/);
    assert.deepEqual(lines.slice(13), ['sqs queues (served by the leader):', 'QUEUE   VISIBLE  IN FLIGHT  DELAYED', 'empty         0          0        0', 'orders        1          1        1', '']);

    const j = await flint(['cluster', 'status', '-o', 'json', '--database-url', url]);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { members: Array<{ id: string; state: string; epoch: number; roles: string[]; capacity: number }>; leader: { holder: string; term: number }; queues: unknown; concurrency: unknown; mappings: Array<{ uuid: string; poller: string }> };
    assert.deepEqual(doc.members.map((m) => [m.id, m.state, m.epoch, m.roles, m.capacity]), [['node-a', 'active', a.epoch, ['api', 'worker', 'poller'], 16], ['node-b', 'dead', b.epoch, ['worker'], 8]]);
    assert.deepEqual([doc.leader.holder, doc.leader.term], ['node-a', 1]);
    assert.deepEqual(doc.queues, [{ functionName: 'hello', queued: 2, leased: 1 }]);
    assert.deepEqual(doc.concurrency, [{ functionName: 'hello', inFlight: 1 }]);
    assert.deepEqual(doc.mappings.map((m) => [m.uuid, m.poller]), [['a1b2c3d4-0000-4000-8000-000000000001', 'node-a']]);
    assert.deepEqual((doc as unknown as { sqs: unknown }).sqs, [{ name: 'empty', visible: 0, inFlight: 0, delayed: 0 }, { name: 'orders', visible: 1, inFlight: 1, delayed: 1 }]);
  } finally {
    await leader.stop();
    a.stop();
    b.stop();
  }
});
