import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../../src/cluster/local/local-cluster.js';
import { netnsSkipReason } from '../../src/cluster/local/netns-hosts.js';
import { requestDrain } from '../../src/cluster/drain-request.js';
import { ensureClusterSchema } from '../../src/cluster/cluster-schema.js';
import { postgresSkipReason } from '../helpers/postgres.js';

const skip = netnsSkipReason() ?? postgresSkipReason;
const FAKE = new URL('./fixtures/fake-flint.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flint-local-cluster-'));
let cluster: LocalCluster | undefined;
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function info(endpoint: string): Promise<{ argv: string[]; role: string; reachesDb: boolean; pid: number }> {
  const r = await fetch(`${endpoint}/info`, { signal: AbortSignal.timeout(5000) });
  return (await r.json()) as { argv: string[]; role: string; reachesDb: boolean; pid: number };
}

test('local cluster: PostgreSQL and each node in a host of its own, with roles, the cluster folder and the database URL', { skip }, async () => {
  const prefix = `fl${(process.pid % 1296).toString(36)}`;
  cluster = await LocalCluster.start({ prefix, apis: 2, workers: 2, pollers: 1, flint: [process.execPath, FAKE], dir });
  assert.ok(existsSync(join(cluster.clusterDir, 'ca.pem')), 'the cluster folder was made first');
  assert.deepEqual(cluster.nodes.map((n) => `${n.name}:${n.role}`), ['api1:api', 'api2:api', 'w1:worker', 'w2:worker', 'poll1:poller']);
  assert.equal(new Set(cluster.nodes.map((n) => n.ip)).size, 5);
  assert.equal(cluster.apiEndpoints().length, 2);
  for (const n of cluster.nodes) {
    const i = await info(n.endpoint);
    assert.equal(i.role, n.role);
    assert.equal(i.reachesDb, true, `${n.name} reaches PostgreSQL on the pg host`);
    const arg = (name: string) => i.argv[i.argv.indexOf(name) + 1];
    assert.equal(arg('--cluster-dir'), cluster.clusterDir);
    assert.equal(arg('--database-url'), cluster.databaseUrl);
    assert.equal(arg('--advertise-host'), n.ip);
    assert.equal(arg('--api-endpoint'), cluster.apiEndpoints()[0]);
  }
  // The database is real and reachable from the root namespace too (the CLI's `worker drain`).
  const c = new pg.Client({ connectionString: cluster.databaseUrl });
  await c.connect();
  assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
  await c.end();

  // A worker cut off from PostgreSQL still answers the root namespace (and api nodes), but not the database.
  cluster.hosts.partition('w1', ['pg']);
  assert.equal((await info(cluster.node('w1').endpoint)).reachesDb, false);
  assert.equal((await info(cluster.node('w2').endpoint)).reachesDb, true);
  cluster.hosts.heal('w1');
  assert.equal((await info(cluster.node('w1').endpoint)).reachesDb, true);

  // kill -9 of a host, then a restart of its node: a new process at the same address.
  const before = (await info(cluster.node('w2').endpoint)).pid;
  cluster.hosts.kill('w2');
  await new Promise<void>((resolve) => cluster!.node('w2').child!.once('exit', () => resolve()));
  await assert.rejects(info(cluster.node('w2').endpoint));
  await cluster.startNode('w2');
  assert.notEqual((await info(cluster.node('w2').endpoint)).pid, before);

  const names = cluster.hosts.hosts().map((h) => h.netns);
  await cluster.stop();
  await cluster.stop();
  const left = execFileSync('ip', ['netns', 'list']).toString();
  assert.deepEqual(names.filter((n) => left.includes(n)), [], 'stop removes every host');
  cluster = undefined;
});

test('worker drain: sets a live worker\'s members row to draining; unknown, non-worker and dead members are refused', { skip }, async () => {
  const { startPostgres } = await import('../helpers/postgres.js');
  const server = await startPostgres({ fsync: false });
  try {
    const url = server.url;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    // The members table as membership creates it (src/cluster/cluster-schema.ts).
    const pool = new pg.Pool({ connectionString: url });
    await ensureClusterSchema(pool);
    await pool.end();
    await c.query(`INSERT INTO members VALUES
      ('w-live', '{worker}', '10.0.0.1:9443', 8, 1, now() + interval '5 min', 'active', now()),
      ('a-1', '{api}', '10.0.0.2:9443', 0, 1, now() + interval '5 min', 'active', now()),
      ('w-gone', '{worker}', '10.0.0.3:9443', 8, 1, now() - interval '5 s', 'active', now())`);
    assert.deepEqual(await requestDrain(url, 'w-live'), { ok: true, previous: 'active' });
    assert.equal((await c.query(`SELECT state FROM members WHERE id = 'w-live'`)).rows[0].state, 'draining');
    assert.deepEqual(await requestDrain(url, 'w-live'), { ok: true, previous: 'draining' });
    assert.deepEqual(await requestDrain(url, 'nope'), { ok: false, reason: 'unknown-node' });
    assert.deepEqual(await requestDrain(url, 'a-1'), { ok: false, reason: 'not-a-worker' });
    assert.deepEqual(await requestDrain(url, 'w-gone'), { ok: false, reason: 'dead' });
    await c.end();
    // The CLI: exit codes and messages.
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker', 'drain', ...args], { encoding: 'utf8', env: { ...process.env, FLINT_DATABASE_URL: url } });
    const ok = cli(['--node', 'w-live']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'flint: worker w-live is already draining\n');
    const bad = cli(['--node', 'a-1']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /worker a-1 is not a worker/);
  } finally {
    await server.stop();
  }
});
