import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
  return await startFlint(config, { log: (l) => { logs.push(`${role}: ${l}`); if (process.env["PC_DEBUG"]) process.stderr.write(`${role}: ${l}\n`); } });
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
  await createFunction(client, 'pc');
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
        const r = await client.send(new InvokeCommand({ FunctionName: 'pc', Qualifier: '1', Payload: Buffer.from(JSON.stringify({ id })) }));
        if (r.FunctionError || r.StatusCode !== 200) failures.push(`function error ${r.FunctionError}`);
        invocations++;
      } catch (err) {
        failures.push(String(err));
      }
    }
  };
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(workers.reduce((n, w) => n + provisionedOn(w, 'pc', '1'), 0)), 10);
  const loops = [loop(1), loop(2)];
  await until('invocations run', () => invocations >= 5, 30_000);

  assert.deepEqual(await requestDrain(url, owner.cluster!.nodeId), { ok: true, previous: 'active' });
  await owner.cluster!.drained;
  // What `flint server` does when `drained` resolves (server-command.ts): a clean stop.
  const beforeStop = samples.length;
  if (process.env['PC_DEBUG']) process.stderr.write(`drained; invocations ${invocations}\n`);
  await owner.stop();
  stopped.add(owner);
  if (process.env['PC_DEBUG']) process.stderr.write(`stopped; invocations ${invocations} failures ${failures.length}\n`);
  await until('a few samples after the stop', () => samples.length >= beforeStop + 5, 10_000);
  const atDrainEnd = invocations;
  await until('invocations go on after the stop', () => invocations >= atDrainEnd + 5, 30_000);
  running = false;
  await Promise.all(loops);
  clearInterval(sampler);

  assert.deepEqual(failures, [], 'no invocation failed during the drain');
  assert.ok(samples.length > 20, `sampled ${samples.length} times`);
  assert.ok(Math.min(...samples) >= 2, `provisioned environments never below the target of 2 (min ${Math.min(...samples)})`);
  assert.equal(provisionedOn(other, 'pc', '1'), 2, 'the next worker holds the provisioned environments');
  const cfg = await client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'pc', Qualifier: '1' }));
  assert.deepEqual({ status: cfg.Status, allocated: cfg.AllocatedProvisionedConcurrentExecutions }, { status: 'READY', allocated: 2 });
  assert.ok(logs.some((l) => l.includes('worker draining: no new work; moving 1 provisioned config')), 'the drain said what it moves');
  assert.ok(logs.some((l) => l.includes('worker drained: provisioned environments moved, in-flight invocations finished')));
  await until('the drained worker left the members', () => !api.cluster!.membership.members().some((m) => m.id === owner.cluster!.nodeId), 10_000);
});
