import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import amqp from 'amqplib';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { loadConfig, type FlintConfig } from '../../src/app/config.js';
import { startFlint, type FlintApp } from '../../src/app/flint-app.js';
import { createClusterCa } from '../../src/cluster/cluster-ca.js';
import { loadMasterKeyring, loadRootCredentials } from '../../src/app/secrets.js';
import { mappingOwner } from '../../src/cluster/mapping-owner.js';
import { readClusterStatus } from '../../src/cluster/cluster-status.js';
import { createFunction } from '../helpers/functions.js';
import { InMemoryQueues } from '../helpers/in-memory-queues.js';
import { makeZip } from '../helpers/zip.js';
import { until } from './helpers/pools.js';
import { rabbitMqMissing, startTestBroker, type TestBroker } from '../helpers/rabbitmq.js';

/**
 * Event source mappings sharded over two poller nodes (in-process nodes on one PostgreSQL: one api,
 * one worker, two pollers). The SQS queues are one in-memory set every node reaches (Flint's own
 * SQS queues are per node for now), so the mappings run end to end: messages reach a real
 * function on the worker. Each mapping runs on exactly one poller — the rendezvous owner of its
 * UUID — at every sample; `flint cluster status`'s reader says the same; after one poller stops,
 * the other runs every mapping and messages sent then are still consumed, each once. With a real
 * RabbitMQ broker (when installed), the broker itself counts one consumer on a mapped queue, not
 * one per poller, before and after the takeover.
 */
const skip = postgresSkipReason;
const rmqSkip = postgresSkipReason ?? rabbitMqMissing();
const BROKER_ARN = 'arn:aws:mq:us-east-1:000000000000:broker:test-broker:b-11111111-2222-3333-4444-555555555555';
let broker: TestBroker | undefined;
let rmqUuid: string | undefined;
const dirs: string[] = [];
const MAPPINGS = 6;
let pgServer: TestPostgres;
let url: string;
let clusterDir: string;
let client: LambdaClient;
let api: FlintApp;
let worker: FlintApp;
const pollers: FlintApp[] = [];
const stopped = new Set<FlintApp>();
const queues = new InMemoryQueues();
let outFile: string;

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

async function node(role: FlintConfig['role'], extra: Partial<FlintConfig> = {}): Promise<FlintApp> {
  const config = loadConfig({ host: '127.0.0.1', port: 0, internalPort: 0, dataDir: tmp(`flint-esm-${role}-`), role, databaseUrl: url, clusterDir, sandbox: 'process', placement: 'lambda', quiet: true, prewarmPerRuntime: 0,
    ...(broker ? { mqBrokers: { 'test-broker': broker.url } } : {}), ...extra }, {});
  return await startFlint(config, { queues, log: (l) => { if (process.env['FLINT_TEST_DEBUG']) process.stderr.write(`${role}: ${l}\n`); } });
}

const arn = (q: string) => `arn:aws:sqs:us-east-1:000000000000:${q}`;
const bodies = (prefix: string) => (existsSync(outFile) ? readFileSync(outFile, 'utf8').trim().split('\n').filter((b) => b.startsWith(prefix)) : []);
/** Consumers RabbitMQ counts on a queue. */
async function rmqConsumers(queue: string): Promise<number> {
  const conn = await amqp.connect(broker!.url);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).consumerCount;
  } finally {
    await conn.close();
  }
}
async function publish(queue: string, body: string): Promise<void> {
  const conn = await amqp.connect(broker!.url);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    ch.sendToQueue(queue, Buffer.from(body));
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}
const live = () => pollers.filter((p) => !stopped.has(p));
/** Which live poller node runs each mapping now (from the pollers themselves). */
const runners = (uuid: string) => live().filter((p) => p.eventSources.pollers.running().includes(uuid)).map((p) => p.cluster!.nodeId);

before(async () => {
  if (skip) return;
  pgServer = await startPostgres({ fsync: false });
  url = await pgServer.createDatabase();
  if (!rmqSkip) broker = await startTestBroker();
  clusterDir = tmp('flint-esm-cluster-');
  await createClusterCa(clusterDir, Date.now());
  const creds = loadRootCredentials(clusterDir);
  loadMasterKeyring(clusterDir);
  api = await node('api');
  worker = await node('worker', { apiEndpoint: api.endpoint, workerCapacity: 4 });
  for (let i = 0; i < 2; i++) pollers.push(await node('poller', { apiEndpoint: api.endpoint }));
  const credentials = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
  client = new LambdaClient({ endpoint: api.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const iam = new IAMClient({ endpoint: api.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const role = (await iam.send(new CreateRoleCommand({ RoleName: 'sqs-consumer', AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!.Arn!;
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'sqs-consumer', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole' }));
  iam.destroy();
  outFile = join(tmp('flint-esm-out-'), 'bodies.txt');
  const handler = `const fs = require('fs');
exports.handler = async (event) => {
  for (const r of event.Records ?? []) fs.appendFileSync(process.env.OUT, r.body + '\\n');
  for (const msgs of Object.values(event.rmqMessagesByQueue ?? {})) for (const m of msgs) fs.appendFileSync(process.env.OUT, Buffer.from(m.data, 'base64').toString() + '\\n');
  return {};
};`;
  await createFunction(client, 'consumer', { Role: role, Code: { ZipFile: await makeZip({ 'index.js': handler }) }, Environment: { Variables: { OUT: outFile } } });
}, { timeout: 180_000 });

after(async () => {
  client?.destroy();
  for (const p of pollers) if (!stopped.has(p)) await p.stop().catch(() => undefined);
  await worker?.stop().catch(() => undefined);
  await api?.stop().catch(() => undefined);
  await pgServer?.stop();
  await broker?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('mapping sharding: a RabbitMQ mapping has one consumer in the cluster (counted by the broker), not one per poller', { skip: rmqSkip, timeout: 180_000 }, async () => {
  const ids = pollers.map((p) => p.cluster!.nodeId);
  await until('both pollers see both', () => pollers.every((p) => ids.every((id) => p.cluster!.membership.members().some((m) => m.id === id && m.state === 'active'))), 30_000);
  await publish('orders', 'rmq-0');
  const m = await client.send(new CreateEventSourceMappingCommand({
    EventSourceArn: BROKER_ARN, FunctionName: 'consumer', Queues: ['orders'], BatchSize: 1,
    SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:MQaccess-AbCdEf' }],
  }));
  rmqUuid = m.UUID!;
  await until('Enabled', async () => (await client.send(new GetEventSourceMappingCommand({ UUID: rmqUuid }))).State === 'Enabled', 60_000);
  await until('it runs on its rendezvous owner', () => runners(rmqUuid!).join() === mappingOwner(rmqUuid!, ids), 30_000);
  await until('a consumer on the queue', async () => (await rmqConsumers('orders')) > 0, 30_000);
  for (let i = 1; i <= 4; i++) await publish('orders', `rmq-${i}`);
  await until('the messages consumed', () => bodies('rmq-').length >= 5, 60_000);
  // Sampled from the broker's side a few times: one consumer, never one per poller.
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) counts.push(await rmqConsumers('orders'));
  assert.deepEqual(counts, [1, 1, 1, 1, 1]);
  assert.deepEqual(bodies('rmq-').sort(), ['rmq-0', 'rmq-1', 'rmq-2', 'rmq-3', 'rmq-4'], 'each once');
});

test('mapping sharding: each mapping runs on exactly one poller; after one poller stops, the other takes its mappings over', { skip, timeout: 240_000 }, async () => {
  const ids = pollers.map((p) => p.cluster!.nodeId);
  await until('both pollers are members', () => ids.every((id) => pollers[0]!.cluster!.membership.members().some((m) => m.id === id && m.state === 'active')) && ids.every((id) => pollers[1]!.cluster!.membership.members().some((m) => m.id === id && m.state === 'active')), 30_000);
  const uuids: string[] = [];
  for (let i = 0; i < MAPPINGS; i++) {
    queues.create(arn(`q${i}`));
    const m = await client.send(new CreateEventSourceMappingCommand({ EventSourceArn: arn(`q${i}`), FunctionName: 'consumer', BatchSize: 1 }));
    uuids.push(m.UUID!);
  }
  // Created on the api node, settled by the poller that owns each (the api runs no pollers).
  await until('every mapping Enabled', async () => {
    for (const u of uuids) if ((await client.send(new GetEventSourceMappingCommand({ UUID: u }))).State !== 'Enabled') return false;
    return true;
  }, 60_000);
  const expected = (u: string) => [mappingOwner(u, ids)!];
  await until('each mapping runs on its rendezvous owner', () => uuids.every((u) => runners(u).join() === expected(u).join()), 30_000);
  // Sampled while messages flow: never on two pollers, never on none.
  const samples: string[] = [];
  const sampler = setInterval(() => { for (const u of uuids) if (runners(u).length !== 1) samples.push(`${u}: ${runners(u).join(',') || 'none'}`); }, 10);
  for (let i = 0; i < MAPPINGS; i++) queues.send(arn(`q${i}`), `first-${i}`);
  await until('the first messages consumed', () => bodies('first-').length >= MAPPINGS, 60_000);
  clearInterval(sampler);
  assert.deepEqual(samples, [], 'one runner per mapping at every sample');
  assert.deepEqual(bodies('first-').sort(), Array.from({ length: MAPPINGS }, (_, i) => `first-${i}`).sort());
  assert.equal(api.eventSources.pollers.running().length, 0, 'the api node runs no mapping');
  assert.equal(worker.eventSources.pollers.running().length, 0, 'the worker runs no mapping');

  // What `flint cluster status` reads: the poller of each mapping.
  const db = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const status = await readClusterStatus(db);
    assert.deepEqual(Object.fromEntries((status.mappings ?? []).map((m) => [m.uuid, m.poller])), Object.fromEntries([...uuids, ...(rmqUuid ? [rmqUuid] : [])].map((u) => [u, expected(u)[0]])));
    assert.ok(status.mappings!.every((m) => m.leaseLeftMs > 0));
  } finally {
    await db.end();
  }

  // A change made on the api node reaches the owner: disabled there, it stops and settles Disabled.
  await client.send(new UpdateEventSourceMappingCommand({ UUID: uuids[0]!, Enabled: false }));
  await until('disabled', async () => (await client.send(new GetEventSourceMappingCommand({ UUID: uuids[0]! }))).State === 'Disabled', 30_000);
  assert.deepEqual(runners(uuids[0]!), []);
  await client.send(new UpdateEventSourceMappingCommand({ UUID: uuids[0]!, Enabled: true }));
  await until('enabled again on its owner', () => runners(uuids[0]!).join() === expected(uuids[0]!).join(), 30_000);

  // Stop the poller that runs most mappings; the other takes them all.
  const byCount = [...pollers].sort((a, b) => b.eventSources.pollers.running().length - a.eventSources.pollers.running().length);
  const gone = byCount[0]!;
  const stays = byCount[1]!;
  const moved = gone.eventSources.pollers.running();
  assert.ok(moved.length > 0);
  await gone.stop();
  stopped.add(gone);
  const total = MAPPINGS + (rmqUuid ? 1 : 0);
  await until('the other poller runs every mapping', () => stays.eventSources.pollers.running().length === total, 60_000);
  for (const u of uuids) assert.deepEqual(runners(u), [stays.cluster!.nodeId]);
  for (let i = 0; i < MAPPINGS; i++) queues.send(arn(`q${i}`), `second-${i}`);
  await until('the second messages consumed', () => bodies('second-').length >= MAPPINGS, 60_000);
  assert.deepEqual(bodies('second-').sort(), Array.from({ length: MAPPINGS }, (_, i) => `second-${i}`).sort());
  // The function wrote each body before it returned; the poller deletes the message after that.
  await until('every message deleted', () => Array.from({ length: MAPPINGS }, (_, i) => queues.size(arn(`q${i}`))).every((n) => n === 0), 30_000);
  if (rmqUuid) {
    // The broker mapping too: one consumer, on the remaining poller, and it consumes.
    assert.deepEqual(runners(rmqUuid), [stays.cluster!.nodeId]);
    await until('one consumer on the broker queue again', async () => (await rmqConsumers('orders')) === 1, 30_000);
    await publish('orders', 'rmq-after-takeover');
    await until('consumed after the takeover', () => bodies('rmq-after').length === 1, 60_000);
  }
});

test('mapping sharding: a poller killed with SIGKILL loses its mappings when its leases expire; the survivor takes them (one consumer at every sample)', { skip: rmqSkip, timeout: 180_000 }, async () => {
  const stays = live()[0]!;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--role', 'poller', '--database-url', url, '--cluster-dir', clusterDir,
    '--data-dir', tmp('flint-esm-proc-'), '--api-endpoint', api.endpoint], {
    env: { ...process.env, FLINT_SANDBOX: 'process', FLINT_MQ_BROKERS: `test-broker=${broker!.url}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await until('the poller process joined', () => /node (\S+) joined as poller/.test(out), 60_000);
    const id = /node (\S+) joined as poller/.exec(out)![1]!;
    await until('it is a member', () => stays.cluster!.membership.members().some((m) => m.id === id && m.state === 'active'), 30_000);
    const ids = [stays.cluster!.nodeId, id];
    // Mappings until one belongs to the process (each does with probability one half).
    let theirs: { uuid: string; queue: string } | undefined;
    for (let i = 0; i < 12 && !theirs; i++) {
      const queue = `k${i}`;
      await publish(queue, `k-before-${i}`);
      const m = await client.send(new CreateEventSourceMappingCommand({
        EventSourceArn: BROKER_ARN, FunctionName: 'consumer', Queues: [queue], BatchSize: 1,
        SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:MQaccess-AbCdEf' }],
      }));
      if (mappingOwner(m.UUID!, ids) === id) theirs = { uuid: m.UUID!, queue };
    }
    assert.ok(theirs, 'one mapping belongs to the poller process');
    await until('the process runs it: Enabled, one consumer, not here', async () =>
      (await client.send(new GetEventSourceMappingCommand({ UUID: theirs!.uuid }))).State === 'Enabled' && (await rmqConsumers(theirs!.queue)) === 1 && runners(theirs!.uuid).length === 0, 60_000);
    await until('its first message consumed', () => bodies(`k-before-${theirs!.queue.slice(1)}`).length === 1, 60_000);

    child.kill('SIGKILL');
    const counts: number[] = [];
    await until('the survivor runs it', async () => {
      counts.push(await rmqConsumers(theirs!.queue));
      return runners(theirs!.uuid).join() === stays.cluster!.nodeId;
    }, 60_000);
    await until('one consumer again', async () => (await rmqConsumers(theirs!.queue)) === 1, 30_000);
    assert.ok(Math.max(...counts) <= 1, `never two consumers: ${counts.join(',')}`);
    await publish(theirs.queue, 'k-after');
    await until('consumed by the survivor', () => bodies('k-after').length === 1, 60_000);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
