import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { clusterSqs } from '../../src/app/sqs-service.js';
import { PgQueueStore } from '../../src/store/pg/pg-queue-store.js';
import { ensureClusterSchema } from '../../src/cluster/cluster-schema.js';
import type { LeaderDirectory } from '../../src/cluster/leader-directory.js';
import type { RequestContext } from '../../src/api/request-context.js';
import { AwsError } from '../../src/domain/errors.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * The cluster's SQS service on one node, against a real PostgreSQL and a leader lease row the test
 * moves: it serves the queues only while it leads, a write after another node took the lease is
 * refused and drops its copy, and leading again reloads what was stored.
 */
const skip = postgresSkipReason;
let server: TestPostgres | undefined;
before(async () => { if (!skip) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

const ARN = 'arn:aws:sqs:us-east-1:000000000000:work';

test('cluster SQS: serves while leading, refuses after a takeover, reloads the stored queues when leading again', { skip }, async () => {
  const url = await server!.createDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await ensureClusterSchema(pool);
  const store = PgQueueStore.open(url, { pool });
  const lease = (holder: string, term: number) => pool.query(`INSERT INTO leader_leases (name, holder, term, expires_at) VALUES ('flint-leader', $1, $2, now() + interval '1 minute')
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = excluded.term`, [holder, term]);
  const lines: string[] = [];
  const sqs = clusterSqs({
    store,
    directory: { leader: undefined } as unknown as LeaderDirectory,
    nodeId: 'node-a',
    clock: { now: () => Date.now(), monotonic: () => performance.now() },
    region: 'us-east-1',
    accountId: '000000000000',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    log: (l) => lines.push(l),
  });
  const ctx = { endpoint: 'http://127.0.0.1:9000', principal: { userId: '000000000000' } } as unknown as RequestContext;
  try {
    // Not leading, no leader known: SQS calls are 503s the SDKs retry.
    await assert.rejects(async () => sqs.handlers['CreateQueue']!({ QueueName: 'work' }, ctx), (err: unknown) => err instanceof AwsError && err.type === 'ServiceUnavailable' && err.status === 503);

    await lease('node-a', 1);
    sqs.lead!(1);
    assert.deepEqual(await sqs.handlers['CreateQueue']!({ QueueName: 'work' }, ctx), { QueueUrl: 'http://127.0.0.1:9000/000000000000/work' });
    assert.equal(sqs.port.exists(ARN), true);
    const kept = await sqs.port.send(ARN, 'kept');

    // node-b takes the lease before node-a hears of it: node-a's next write is refused, nothing lands.
    await lease('node-b', 2);
    await assert.rejects(sqs.port.send(ARN, 'lost'), /moved to another node/);
    assert.deepEqual(store.loadMessages().map((m) => m.message.body), ['kept']);
    // It stops serving at once (its lease has not told it yet).
    await assert.rejects(async () => sqs.handlers['GetQueueUrl']!({ QueueName: 'work' }, ctx), (err: unknown) => err instanceof AwsError && err.type === 'ServiceUnavailable');

    // node-a hears it stopped leading, then leads again under term 3: the stored queue and message come back.
    sqs.lead!(undefined);
    await assert.rejects(async () => sqs.handlers['GetQueueUrl']!({ QueueName: 'work' }, ctx), (err: unknown) => err instanceof AwsError && err.type === 'ServiceUnavailable');
    await lease('node-a', 3);
    sqs.lead!(3);
    const got = await sqs.port.receive(ARN, { max: 10, waitMs: 0 });
    assert.deepEqual(got.map((m) => [m.messageId, m.body]), [[kept, 'kept']]);
    assert.deepEqual(lines, [
      'flint: cluster: serving the SQS queues (term 1)',
      'flint: cluster: a write of the SQS queues was refused (term 1 ended); serving them stops here',
      'flint: cluster: serving the SQS queues (term 3)',
    ]);
  } finally {
    sqs.close();
    store.close();
    await pool.end();
  }
});
