import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { until } from '../helpers/until.js';
import { expectError } from '../helpers/expect-error.js';
import { rabbitMqMissing, startTestBroker, type TestBroker } from '../helpers/rabbitmq.js';

/**
 * Amazon MQ for RabbitMQ as an event source, against a real RabbitMQ node the test starts
 * (Debian's rabbitmq-server; skipped with the reason when it is not installed).
 */
const missing = rabbitMqMissing();
const BROKER_ARN = 'arn:aws:mq:us-east-1:000000000000:broker:test-broker:b-11111111-2222-3333-4444-555555555555';
const SECRET = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:MQaccess-AbCdEf';
let broker: TestBroker;
let h: Harness;
let outDir: string;

const HANDLER = `
const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n');
  for (const msgs of Object.values(event.rmqMessagesByQueue)) {
    for (const m of msgs) if (Buffer.from(m.data, 'base64').toString().includes('throw')) throw new Error('failing on purpose');
  }
  return 'ok';
};`;

interface RmqEvent { eventSource: string; eventSourceArn: string; rmqMessagesByQueue: Record<string, Array<{ basicProperties: Record<string, unknown>; redelivered: boolean; data: string }>> }

function events(fn: string): RmqEvent[] {
  const f = join(outDir, `${fn}.jsonl`);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}
const messages = (fn: string, key: string) => events(fn).flatMap((e) => e.rmqMessagesByQueue[key] ?? []);
const decoded = (fn: string, key: string) => messages(fn, key).map((m) => Buffer.from(m.data, 'base64').toString());

async function consumer(name: string): Promise<void> {
  await createFunction(h.client, name, { Timeout: 60, Code: { ZipFile: await makeZip({ 'index.js': HANDLER }) }, Environment: { Variables: { OUT: join(outDir, `${name}.jsonl`) } } });
}

/** A publisher's confirm channel: every publish is confirmed by the broker before the connection closes. */
async function withChannel<T>(f: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(broker.url);
  try {
    const ch = await conn.createConfirmChannel();
    const out = await f(ch);
    await ch.waitForConfirms();
    return out;
  } finally {
    await conn.close();
  }
}

async function mapping(queue: string, fn: string, extra: Record<string, unknown> = {}): Promise<string> {
  const m = await h.client.send(new CreateEventSourceMappingCommand({
    EventSourceArn: BROKER_ARN, FunctionName: fn, Queues: [queue], SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: SECRET }], ...extra,
  }));
  assert.equal(m.State, 'Creating');
  assert.equal(m.BatchSize ?? 0, (extra['BatchSize'] as number | undefined) ?? 100);
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === 'Enabled');
  return m.UUID!;
}

before(async () => {
  if (missing) return;
  outDir = mkdtempSync(join(tmpdir(), 'flint-rmq-out-'));
  broker = await startTestBroker();
  h = await startHarness({ mqBrokers: { 'test-broker': broker.url } });
});

after(async () => {
  if (missing) return;
  await h?.stop();
  await broker?.destroy();
  rmSync(outDir, { recursive: true, force: true });
});

test('a message published to RabbitMQ runs the mapped function with the aws:rmq event; it is acked after success', { skip: missing }, async () => {
  await consumer('rmq-ok');
  await withChannel(async (ch) => { await ch.assertQueue('orders', { durable: true }); });
  const uuid = await mapping('orders', 'rmq-ok', { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
  const got = await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  assert.deepEqual(got.Queues, ['orders']);
  assert.deepEqual(got.SourceAccessConfigurations, [{ Type: 'BASIC_AUTH', URI: SECRET }]);
  await withChannel(async (ch) => {
    ch.sendToQueue('orders', Buffer.from('{"order":1}'), { contentType: 'application/json', headers: { source: 'test', n: 10 }, deliveryMode: 2, priority: 3, timestamp: 1700000000 });
    ch.sendToQueue('orders', Buffer.from('second'));
  });
  await until(() => messages('rmq-ok', 'orders::/').length === 2, 20_000);
  const [ev] = events('rmq-ok');
  assert.equal(ev!.eventSource, 'aws:rmq');
  assert.equal(ev!.eventSourceArn, BROKER_ARN);
  assert.deepEqual(Object.keys(ev!), ['eventSource', 'eventSourceArn', 'rmqMessagesByQueue']);
  const first = messages('rmq-ok', 'orders::/')[0]!;
  assert.equal(Buffer.from(first.data, 'base64').toString(), '{"order":1}');
  assert.equal(first.redelivered, false);
  assert.deepEqual(first.basicProperties, {
    contentType: 'application/json', contentEncoding: null,
    headers: { source: { bytes: [...Buffer.from('test')] }, n: 10 },
    deliveryMode: 2, priority: 3, correlationId: null, replyTo: null, expiration: null, messageId: null,
    timestamp: 'Nov 14, 2023, 10:13:20 PM', type: null, userId: null, appId: null, clusterId: null, bodySize: 11,
  });
  assert.deepEqual(decoded('rmq-ok', 'orders::/'), ['{"order":1}', 'second']);
  // The invocation has returned (the batch is acked right after): then, with the consumer gone,
  // nothing returns to the queue.
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 20_000);
  await h.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled');
  assert.equal((await withChannel((ch) => ch.checkQueue('orders'))).messageCount, 0);
  assert.equal((await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult, 'OK');
});

test('a failing function: the batch is nacked and redelivered (redelivered: true), never acknowledged', { skip: missing }, async () => {
  await consumer('rmq-fail');
  await withChannel(async (ch) => { await ch.assertQueue('poison', { durable: true }); ch.sendToQueue('poison', Buffer.from('throw please')); });
  const uuid = await mapping('poison', 'rmq-fail', { BatchSize: 1 });
  await until(() => messages('rmq-fail', 'poison::/').some((m) => m.redelivered), 20_000);
  await h.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled');
  // Still in the queue once the consumer is gone.
  await until(async () => (await withChannel((ch) => ch.checkQueue('poison'))).messageCount === 1, 10_000);
  assert.match((await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult ?? '', /PROBLEM/);
});

test('the broker goes away and comes back: the consumer reconnects; nothing unacknowledged is lost', { skip: missing }, async () => {
  await consumer('rmq-restart');
  await withChannel(async (ch) => { await ch.assertQueue('durable-q', { durable: true }); });
  const uuid = await mapping('durable-q', 'rmq-restart', { BatchSize: 5 });
  await withChannel(async (ch) => { ch.sendToQueue('durable-q', Buffer.from('before'), { persistent: true }); });
  await until(() => decoded('rmq-restart', 'durable-q::/').includes('before'), 20_000);
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 20_000);
  await broker.stop();
  await until(async () => /PROBLEM: Connection error/.test((await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult ?? ''), 20_000);
  await broker.start();
  await withChannel(async (ch) => { ch.sendToQueue('durable-q', Buffer.from('after'), { persistent: true }); });
  await until(() => decoded('rmq-restart', 'durable-q::/').includes('after'), 30_000);
  // At least once: 'before' may come again only if its ack had not reached the broker when it
  // stopped — and then the broker marks it redelivered. Nothing is lost: 'after' arrives.
  const befores = messages('rmq-restart', 'durable-q::/').filter((m) => Buffer.from(m.data, 'base64').toString() === 'before');
  assert.equal(befores[0]!.redelivered, false);
  assert.ok(befores.slice(1).every((m) => m.redelivered), 'a repeated delivery is marked redelivered');
});

test('control plane: an unknown broker and a missing queue list are refused', { skip: missing }, async () => {
  await consumer('rmq-bad');
  const base = { FunctionName: 'rmq-bad', SourceAccessConfigurations: [{ Type: 'BASIC_AUTH' as const, URI: SECRET }] };
  await expectError(h.client.send(new CreateEventSourceMappingCommand({ ...base, EventSourceArn: 'arn:aws:mq:us-east-1:000000000000:broker:other:b-1', Queues: ['q'] })), 'InvalidParameterValueException', 400,
    'The broker arn:aws:mq:us-east-1:000000000000:broker:other:b-1 is not configured: Flint maps broker names to AMQP URLs through FLINT_MQ_BROKERS.');
  await expectError(h.client.send(new CreateEventSourceMappingCommand({ ...base, EventSourceArn: BROKER_ARN })), 'InvalidParameterValueException', 400, 'Queues must contain exactly one queue name.');
});
