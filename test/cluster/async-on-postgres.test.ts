import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { createClusterCa } from '../../src/cluster/cluster-ca.js';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { makeZip } from '../helpers/zip.js';

/**
 * The async path of a single node in cluster mode on PostgreSQL (`--role all` with a database):
 * Event invokes go through PgEventQueue, the node's poller holds every bucket, and a destination
 * record (a follow-up written in the ack's transaction) is delivered too.
 */
let server: TestPostgres;
let h: Harness;
let dir: string;
let url: string;
const ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const RECORDER = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ fn: context.functionName, requestId: context.awsRequestId, event }) + '\\n');
  return { ok: true };
};`;

before(async () => {
  if (postgresSkipReason) return;
  server = await startPostgres();
  url = await server.createDatabase();
  dir = mkdtempSync(join(tmpdir(), 'flint-async-pg-'));
  await createClusterCa(join(dir, 'cluster'), Date.now());
  h = await startHarness({ databaseUrl: url, clusterDir: join(dir, 'cluster'), role: 'all', sandbox: 'process' }, { dataDir: join(dir, 'data'), log: (l) => { if (process.env.SMOKE_LOG) console.error(l); } });
  const zip = await makeZip({ 'index.js': RECORDER });
  for (const name of ['worker', 'on-success']) {
    await h.client.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip },
      Environment: { Variables: { MARK_FILE: join(dir, 'marks.jsonl') } },
    }));
    for (let i = 0; i < 200 && (await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).State !== 'Active'; i++) await sleep(25);
  }
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'worker', DestinationConfig: { OnSuccess: { Destination: ARN('on-success') } } }));
}, { timeout: 120_000 });
after(async () => {
  // Also checks that a cluster node stops: the stores sharing its pool close before the pool ends.
  await h?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('async on PostgreSQL: Event invokes are queued in PostgreSQL, run once each, and their OnSuccess records follow', { skip: postgresSkipReason, timeout: 120_000 }, async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await h.client.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ i })) }));
    assert.equal(r.StatusCode, 202);
    ids.push(r.$metadata.requestId!);
  }
  const marks = join(dir, 'marks.jsonl');
  const read = () => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { fn: string; requestId: string; event: any }) : []);
  // An upper bound for the deliveries on a loaded host, not a speed assertion.
  for (let i = 0; i < 1200 && read().filter((m) => m.fn === 'on-success').length < ids.length; i++) await sleep(50);
  const m = read();
  assert.deepEqual(m.filter((x) => x.fn === 'worker').map((x) => x.requestId).sort(), [...ids].sort(), 'each event ran once, with its request id');
  assert.deepEqual(m.filter((x) => x.fn === 'on-success').map((x) => x.event.requestContext.requestId).sort(), [...ids].sort());
  // Everything is acknowledged: the queue table empties, and one node (this one) held the buckets.
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    // The destination's own ack follows its run (which wrote the mark): wait for it, bounded.
    const queued = async () => Number((await db.query('SELECT count(*) AS n FROM async_events')).rows[0].n);
    for (let i = 0; i < 600 && (await queued()) > 0; i++) await sleep(50);
    assert.equal(await queued(), 0);
    assert.equal(Number((await db.query('SELECT count(DISTINCT owner) AS n FROM queue_bucket_leases WHERE owner IS NOT NULL')).rows[0].n), 1);
  } finally {
    await db.end();
  }
});
