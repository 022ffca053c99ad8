import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSourcePollers } from '../../src/event-sources/event-source-pollers.js';
import type { EventSourceMappingService } from '../../src/event-sources/event-source-mapping-service.js';
import type { EventSourceMappingRecord } from '../../src/domain/event-source-mapping.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../../src/ports/invoker.js';
import type { MessageBrokers } from '../../src/ports/message-brokers.js';
import { InMemoryQueues } from '../helpers/in-memory-queues.js';
import { until } from '../helpers/until.js';

/**
 * EventSourcePollers with an ownership hook (cluster mode): two "nodes" over one mapping store and
 * one set of queues, with ownership the test moves; what each node polls and invokes is observed.
 */
const arn = (q: string) => `arn:aws:sqs:us-east-1:000000000000:${q}`;
const clock = { now: () => Date.now(), monotonic: () => performance.now() };

function record(uuid: string, queue: string, extra: Partial<EventSourceMappingRecord> = {}): EventSourceMappingRecord {
  return {
    UUID: uuid, EventSourceArn: arn(queue), EventSourceMappingArn: `x:${uuid}`, FunctionArn: 'f', BatchSize: 10, MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: [], LastModified: 1, State: 'Creating', StateTransitionReason: 'USER_INITIATED',
    flint: { kind: 'sqs', functionName: 'f', enabled: true }, ...extra,
  };
}

/** The store side of the mapping service, shared by both nodes (the cluster's database). */
class Mappings {
  readonly rows = new Map<string, EventSourceMappingRecord>();
  all() { return [...this.rows.values()]; }
  record(uuid: string) { return this.rows.get(uuid); }
  settle(uuid: string) {
    const r = this.rows.get(uuid);
    if (r && r.State !== 'Deleting') r.State = r.flint.enabled ? 'Enabled' : 'Disabled';
  }
  remove(uuid: string) { this.rows.delete(uuid); }
  setLastProcessingResult() {}
}

/** Records which node invoked with which queue's messages; `hold` keeps invocations open. */
class NodeInvoker implements Invoker {
  readonly got: string[] = [];
  hold: Promise<void> | undefined;
  inFlight = 0;
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const records = JSON.parse(req.payload.toString()).Records as Array<{ body: string }>;
    this.got.push(...records.map((r) => r.body));
    this.inFlight++;
    try {
      await this.hold;
    } finally {
      this.inFlight--;
    }
    return { requestId: 'r', statusCode: 200, payload: Buffer.from('null'), executedVersion: '$LATEST', functionArn: 'f' };
  }
}

function node(mappings: Mappings, queues: InMemoryQueues, owner: Map<string, string>, id: string | undefined) {
  const invoker = new NodeInvoker();
  const pollers = new EventSourcePollers({
    mappings: () => mappings as unknown as EventSourceMappingService,
    queues,
    brokers: {} as MessageBrokers,
    invoker,
    clock,
    region: 'us-east-1',
    reservedConcurrency: () => undefined,
    log: () => {},
    sqsTuning: { waitMs: 20, initialPollers: 1, scaleUpPerMinute: 0 },
    ...(id !== undefined ? { ownership: { owns: (uuid: string) => owner.get(uuid) === id } } : {}),
  });
  return { pollers, invoker };
}

function setup() {
  const mappings = new Mappings();
  const queues = new InMemoryQueues();
  for (const q of ['q1', 'q2']) queues.create(arn(q));
  mappings.rows.set('u1', record('u1', 'q1'));
  mappings.rows.set('u2', record('u2', 'q2'));
  const owner = new Map<string, string>();
  return { mappings, queues, owner, a: node(mappings, queues, owner, 'a'), b: node(mappings, queues, owner, 'b') };
}

test('ownership: a mapping no node owns is neither polled nor settled; its owner starts and settles it', async () => {
  const { mappings, queues, owner, a, b } = setup();
  a.pollers.start();
  b.pollers.start();
  a.pollers.resync();
  b.pollers.resync();
  queues.send(arn('q1'), 'm1');
  await until(() => !a.pollers.busy('u1') && !b.pollers.busy('u1'));
  assert.deepEqual([a.pollers.running(), b.pollers.running()], [[], []]);
  assert.equal(mappings.rows.get('u1')!.State, 'Creating', 'only the owner settles');
  owner.set('u1', 'a');
  owner.set('u2', 'b');
  a.pollers.resync();
  b.pollers.resync();
  await until(() => mappings.rows.get('u1')!.State === 'Enabled' && mappings.rows.get('u2')!.State === 'Enabled');
  assert.deepEqual([a.pollers.running(), b.pollers.running()], [['u1'], ['u2']]);
  queues.send(arn('q2'), 'm2');
  await until(() => queues.size(arn('q1')) === 0 && queues.size(arn('q2')) === 0);
  assert.deepEqual([a.invoker.got, b.invoker.got], [['m1'], ['m2']], 'each queue polled by its owner only');
  await a.pollers.stop();
  await b.pollers.stop();
});

test('ownership: a move stops the mapping on the old node (its in-flight batch finishes) before the new node starts it', async () => {
  const { mappings, queues, owner, a, b } = setup();
  owner.set('u1', 'a');
  owner.set('u2', 'a');
  a.pollers.start();
  b.pollers.start();
  await until(() => a.pollers.running().length === 2);
  // A batch in flight on a when u1 moves to b.
  let release!: () => void;
  a.invoker.hold = new Promise<void>((r) => (release = r));
  queues.send(arn('q1'), 'in-flight');
  await until(() => a.invoker.inFlight === 1);
  owner.set('u1', 'b');
  a.pollers.resync();
  await until(() => a.pollers.running().length === 1);
  assert.deepEqual(a.pollers.running(), ['u2'], 'u1 stopped on a: no new receives');
  assert.ok(a.pollers.busy('u1'), 'a is busy with u1 until its batch ends (the lease is released only then)');
  release();
  await until(() => !a.pollers.busy('u1'));
  assert.equal(queues.size(arn('q1')), 0, 'the in-flight batch finished and was deleted: not delivered again');
  a.invoker.hold = undefined;
  b.pollers.resync();
  await until(() => b.pollers.running().includes('u1'));
  queues.send(arn('q1'), 'after-move');
  await until(() => queues.size(arn('q1')) === 0);
  assert.deepEqual(b.invoker.got, ['after-move']);
  assert.deepEqual(a.invoker.got, ['in-flight']);
  // A change made on another node (not heard through `changed`) restarts the owner's poller.
  mappings.rows.set('u1', { ...mappings.rows.get('u1')!, BatchSize: 5, LastModified: 2, State: 'Updating' });
  const before = b.pollers.poller('u1');
  b.pollers.resync();
  await until(() => mappings.rows.get('u1')!.State === 'Enabled');
  assert.notEqual(b.pollers.poller('u1'), before, 'restarted with the new configuration');
  // Deleted elsewhere: the owner stops it and removes the record.
  mappings.rows.set('u1', { ...mappings.rows.get('u1')!, LastModified: 3, State: 'Deleting' });
  b.pollers.resync();
  await until(() => !mappings.rows.has('u1'));
  assert.deepEqual(b.pollers.running(), []);
  await a.pollers.stop();
  await b.pollers.stop();
});

test('no ownership hook (a single node): every enabled mapping runs', async () => {
  const { mappings, queues } = setup();
  const single = node(mappings, queues, new Map(), undefined);
  single.pollers.start();
  await until(() => single.pollers.running().length === 2);
  assert.deepEqual(mappings.all().map((m) => m.State), ['Enabled', 'Enabled']);
  await single.pollers.stop();
});
