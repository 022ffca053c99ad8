import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetProvisionedConcurrencyConfigCommand, InvokeCommand, LambdaClient, PutProvisionedConcurrencyConfigCommand } from '@aws-sdk/client-lambda';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { loadConfig, type FlintConfig } from '../../src/app/config.js';
import { startFlint, type FlintApp } from '../../src/app/flint-app.js';
import { createClusterCa } from '../../src/cluster/cluster-ca.js';
import { loadMasterKeyring, loadRootCredentials } from '../../src/app/secrets.js';
import { requestDrain } from '../../src/cluster/drain-request.js';
import { createFunction, publishVersion, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { until } from './helpers/pools.js';

/**
 * Draining the worker that holds a version's provisioned concurrency, with in-process nodes (one
 * api, two workers) on one PostgreSQL: the placement puts the config on one worker only; during the
 * drain the provisioned environments ready across the workers are sampled (never below the target:
 * the new owner provisions before the draining one lets go) while invocations run all along (none
 * fails); then the drained node's `drained` resolves and it stops cleanly.
 */
const skip = postgresSkipReason;
const dirs: string[] = [];
let pgServer: TestPostgres;
let url: string;
let clusterDir: string;
let client: LambdaClient;
let api: FlintApp;
const workers: FlintApp[] = [];
const stopped = new Set<FlintApp>();
const logs: string[] = [];

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function node(role: FlintConfig['role'], extra: Partial<FlintConfig> = {}): Promise<FlintApp> {
  const config = loadConfig({ host: '127.0.0.1', port: 0, internalPort: 0, dataDir: tmp(`flint-pc-${role}-`), role, databaseUrl: url, clusterDir, sandbox: 'process', placement: 'lambda', quiet: true, prewarmPerRuntime: 0, ...extra }, {});
  return await startFlint(config, { log: (l) => { logs.push(`${role}: ${l}`); if (process.env['FLINT_TEST_DEBUG']) process.stderr.write(`${role}: ${l}\n`); } });
}

before(async () => {
  if (skip) return;
  pgServer = await startPostgres({ fsync: false });
  url = await pgServer.createDatabase();
  clusterDir = tmp('flint-pc-cluster-');
  await createClusterCa(clusterDir, Date.now());
  const creds = loadRootCredentials(clusterDir);
  loadMasterKeyring(clusterDir);
  api = await node('api');
  for (let i = 0; i < 2; i++) workers.push(await node('worker', { apiEndpoint: api.endpoint, workerCapacity: 6 }));
  client = new LambdaClient({ endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }, maxAttempts: 1 });
});

after(async () => {
  client?.destroy();
  for (const w of workers) if (!stopped.has(w)) await w.stop().catch(() => undefined);
  await api?.stop().catch(() => undefined);
  await pgServer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Provisioned environments of `qualifier` alive (ready or running an invocation) on a worker. */
function provisionedOn(w: FlintApp, fn: string, qualifier: string): number {
  if (stopped.has(w)) return 0;
  return w.dataPlane.pool.all().filter((e) => e.provisionedFor === qualifier && e.env.binding.functionName === fn && (e.env.state === 'Ready' || e.env.state === 'Invoking')).length;
}

test('drain: provisioned concurrency is placed on one worker, moves to the next before the drained one lets go, and no invocation fails', { skip, timeout: 180_000 }, async () => {
  await until('both workers are members', () => workers.every((w) => api.cluster!.membership.members().some((m) => m.id === w.cluster!.nodeId && m.state === 'active')), 30_000);
  // Each invocation holds its environment a while, so some are in flight when the drain begins.
  const zip = await makeZip({ 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.sleepMs || 0)); return { id: e.id, pid: process.pid }; };' });
  await createFunction(client, 'pc', { Code: { ZipFile: zip } });
  await waitSettled(client, 'pc');
  await publishVersion(client, 'pc');
  await client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
  await until('the config is READY', async () => (await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1' }))).Status === 'READY', 60_000);
  // Placed on one worker: 2 environments in the cluster, not 2 per worker.
  await until('placement settled', () => workers.map((w) => provisionedOn(w, 'pc', '1')).sort().join() === '0,2', 30_000);
  const owner = workers.find((w) => provisionedOn(w, 'pc', '1') === 2)!;
  const other = workers.find((w) => w !== owner)!;

  // Invocations all through the drain, and samples of the provisioned environments in the cluster.
  let running = true;
  const failures: string[] = [];
  let invocations = 0;
  const loop = async (id: number) => {
    while (running) {
      try {
        const r = await client.send(new InvokeCommand({ FunctionName: 'pc', Qualifier: '1', Payload: Buffer.from(JSON.stringify({ id, sleepMs: 150 })) }));
        if (r.FunctionError || r.StatusCode !== 200) failures.push(`function error ${r.FunctionError}`);
        invocations++;
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const samples: number[] = [];
  // With FLINT_TEST_DEBUG: each change of the workers' provisioned environments' states, timed.
  const changes: string[] = [];
  let last = '';
  const sampler = setInterval(() => {
    const n = workers.reduce((n, w) => n + provisionedOn(w, 'pc', '1'), 0);
    samples.push(n);
    if (!process.env['FLINT_TEST_DEBUG']) return;
    const states = `${n} ` + workers.map((w) => (stopped.has(w) ? 'stopped' : w.dataPlane.pool.all().filter((e) => e.provisionedFor === '1').map((e) => e.env.state).join('/'))).join(' | ');
    if (states !== last) changes.push(`${Date.now()} ${states}`);
    last = states;
  }, 10);
  const loops = [loop(1), loop(2), loop(3)];
  await until('invocations run', () => invocations >= 5, 30_000);

  // In flight on the owner when it is asked to drain: these must finish, not fail.
  await until('invocations in flight on the owner', () => owner.dataPlane.pool.all().some((e) => e.env.state === 'Invoking'), 30_000);
  assert.deepEqual(await requestDrain(url, owner.cluster!.nodeId), { ok: true, previous: 'active' });
  await owner.cluster!.drained;
  // What `flint server` does when `drained` resolves (server-command.ts): a clean stop.
  const beforeStop = samples.length;
  await owner.stop();
  stopped.add(owner);
  await until('a few samples after the stop', () => samples.length >= beforeStop + 5, 10_000);
  const atDrainEnd = invocations;
  await until('invocations go on after the stop', () => invocations >= atDrainEnd + 5, 30_000);
  running = false;
  await Promise.all(loops);
  clearInterval(sampler);

  assert.deepEqual(failures, [], 'no invocation failed during the drain');
  assert.ok(samples.length > 20, `sampled ${samples.length} times`);
  if (Math.min(...samples) < 2 && changes.length > 0) process.stderr.write(changes.join('\n') + '\n');
  assert.ok(Math.min(...samples) >= 2, `provisioned environments never below the target of 2 (min ${Math.min(...samples)})`);
  assert.equal(provisionedOn(other, 'pc', '1'), 2, 'the next worker holds the provisioned environments');
  const cfg = await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1' }));
  assert.deepEqual({ status: cfg.Status, allocated: cfg.AllocatedProvisionedConcurrentExecutions }, { status: 'READY', allocated: 2 });
  assert.ok(logs.some((l) => l.includes('worker draining: no new work; moving 1 provisioned config')), 'the drain said what it moves');
  assert.ok(logs.some((l) => l.includes('worker drained: provisioned environments moved, in-flight invocations finished')));
  await until('the drained worker left the members', () => !api.cluster!.membership.members().some((m) => m.id === owner.cluster!.nodeId), 10_000);
});

test('drain: `flint server --role worker` exits with code 0 and says so once drained', { skip, timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--role', 'worker', '--database-url', url, '--cluster-dir', clusterDir,
    '--internal-port', '0', '--data-dir', tmp('flint-pc-proc-'), '--api-endpoint', api.endpoint], {
    env: { ...process.env, FLINT_SANDBOX: 'process', FLINT_PREWARM_PER_RUNTIME: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await until('the worker process runs', () => /worker node (\S+) running/.test(out), 60_000);
    const id = /worker node (\S+) running/.exec(out)![1]!;
    await until('it is a member', () => api.cluster!.membership.members().some((m) => m.id === id && m.state === 'active'), 30_000);
    assert.deepEqual(await requestDrain(url, id), { ok: true, previous: 'active' });
    assert.equal(await exited, 0, out);
    assert.match(out, new RegExp(`flint: worker ${id} drained, exiting`));
    assert.match(out, /worker drained: provisioned environments moved, in-flight invocations finished; stopping/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
