import { createHmac } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { QueueStore } from '../ports/queue-store.js';
import type { ResourcePolicySource } from '../ports/access-policies.js';
import type { OperationHandlers } from '../api/request-context.js';
import type { QueueService } from '../queues/queue-service.js';
import type { MessageService } from '../queues/message-service.js';
import { QueueStoreFencedError, type PgQueueStore } from '../store/pg/pg-queue-store.js';
import type { LeaderDirectory } from '../cluster/leader-directory.js';
import { AwsError } from '../domain/errors.js';
import { createSqsQueues } from '../queues/sqs-queues.js';
import { sqsErrors } from '../queues/sqs-errors.js';
import { sqsHandlers } from '../api/handlers/sqs-handlers.js';
import { LeaderForwarder } from '../cluster/leader-forwarder.js';
import { RemoteMessageQueues } from '../cluster/remote-message-queues.js';

/** The SQS-compatible queues as the composition root wires them: the API's handlers, the port, the queues' policies. */
export interface SqsService {
  readonly handlers: OperationHandlers;
  readonly port: MessageQueues;
  readonly policies: ResourcePolicySource;
  /** Cluster mode: sends SQS requests to the leader when this node does not lead. */
  readonly forwarder?: LeaderForwarder;
  /** Cluster mode: this node became leader under `term` (undefined: it stopped leading). */
  lead?(term: number | undefined): void;
  close(): void;
}

/** One node's queues, in memory over its store. */
export function localSqs(o: { store: QueueStore; clock: Clock; region: string; accountId: string }): SqsService {
  const sqs = createSqsQueues(o);
  return { handlers: sqsHandlers(sqs.queues, sqs.messages), port: sqs.port, policies: sqs.queues.policies, close: () => undefined };
}

interface Engine {
  term: number;
  store: PgQueueStore;
  queues: QueueService;
  port: MessageQueues;
  handlers: OperationHandlers;
}

/**
 * A cluster's queues (docs/cluster.md, "SQS-compatible queues"): the leader serves them, in
 * memory over the PostgreSQL store with every write fenced by its term; it loads them when
 * elected and drops them when deposed. Every other node forwards SQS requests to the leader's
 * front door and reaches the queues (pollers, destinations) through the SQS API; the control
 * plane's questions about a queue are answered from the store on any node.
 *
 * The leader rebuilds its queues from the store after any failure that is not an SQS error (a
 * store write that failed leaves memory ahead of the database): the next request reloads them.
 */
export function clusterSqs(o: {
  store: PgQueueStore;
  directory: LeaderDirectory;
  nodeId: string;
  clock: Clock;
  region: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  ca?: string;
  log(line: string): void;
}): SqsService {
  let term: number | undefined;
  let engine: Engine | undefined;
  const build = (t: number): Engine => {
    const store = o.store.fenced({ lease: 'flint-leader', holder: o.nodeId, term: t });
    const sqs = createSqsQueues({ store, clock: o.clock, region: o.region, accountId: o.accountId });
    return { term: t, store, queues: sqs.queues, port: sqs.port, handlers: sqsHandlers(sqs.queues, sqs.messages) };
  };
  /** This node's queues while it leads (loaded on first use in a term); undefined otherwise. */
  const current = (): Engine | undefined => {
    if (term === undefined) return undefined;
    if (engine?.term !== term) engine = build(term);
    return engine;
  };
  const drop = (e: Engine) => {
    if (engine !== e) return;
    engine = undefined;
    // Its long polls end, and nothing more is written through it (the next call reloads).
    e.store.retire();
    e.queues.wakeAll();
  };
  /**
   * A failure other than an SQS error drops the queues for a reload. A write the fence refused
   * means another node leads: this one stops serving at once (requests are forwarded from then
   * on) rather than reloading for every request until its lease says so.
   */
  const failed = (e: Engine, err: unknown) => {
    if (err instanceof AwsError) return;
    drop(e);
    if (err instanceof QueueStoreFencedError && term === e.term) {
      o.log(`flint: cluster: a write of the SQS queues was refused (term ${e.term} ended); serving them stops here`);
      term = undefined;
    }
  };
  /** Runs `fn` on this node's queues. */
  const guarded = <T>(e: Engine, fn: () => T): T => {
    try {
      const r = fn();
      if (r instanceof Promise) return r.catch((err: unknown) => { failed(e, err); throw err; }) as T;
      return r;
    } catch (err) {
      failed(e, err);
      throw err;
    }
  };
  const leaderUrl = () => {
    const l = o.directory.leader;
    return l && l.holder !== o.nodeId ? l.apiUrl : undefined;
  };
  const remote = new RemoteMessageQueues({
    endpoint: leaderUrl,
    catalog: (name) => o.store.queue(name),
    region: o.region,
    accountId: o.accountId,
    credentials: o.credentials,
    ...(o.ca ? { ca: o.ca } : {}),
  });
  const forwarder = new LeaderForwarder({
    services: ['sqs'],
    target: () => (term === undefined ? leaderUrl() : undefined),
    // Every node holds the cluster's root secret: the vouching key derives from it.
    secret: createHmac('sha256', o.credentials.secretAccessKey).update('flint forwarded requests').digest(),
    ...(o.ca ? { ca: o.ca } : {}),
  });
  // The operation names: handlers only close over their arguments until called.
  const names = Object.keys(sqsHandlers({} as QueueService, {} as MessageService));
  const handlers: OperationHandlers = Object.fromEntries(names.map((name) => [name, (input: Record<string, unknown>, ctx: Parameters<NonNullable<OperationHandlers[string]>>[1]) => {
    const e = current();
    if (!e) throw sqsErrors.serviceUnavailable('the SQS queues are moving to the cluster\'s new leader');
    return guarded(e, () => e.handlers[name]!(input, ctx));
  }]));
  const port: MessageQueues = {
    exists: (arn) => { const e = current(); return e ? guarded(e, () => e.port.exists(arn)) : remote.exists(arn); },
    visibilityTimeoutSeconds: (arn) => { const e = current(); return e ? guarded(e, () => e.port.visibilityTimeoutSeconds(arn)) : remote.visibilityTimeoutSeconds(arn); },
    receive: (arn, opts) => { const e = current(); return e ? guarded(e, () => e.port.receive(arn, opts)) : remote.receive(arn, opts); },
    delete: (arn, handles) => { const e = current(); return e ? guarded(e, () => e.port.delete(arn, handles)) : remote.delete(arn, handles); },
    changeVisibility: (arn, handle, s) => { const e = current(); return e ? guarded(e, () => e.port.changeVisibility(arn, handle, s)) : remote.changeVisibility(arn, handle, s); },
    send: (arn, body, opts) => { const e = current(); return e ? guarded(e, () => e.port.send(arn, body, opts)) : remote.send(arn, body, opts); },
  };
  const policies: ResourcePolicySource = {
    resourcePolicy: (action, arn) => {
      const e = current();
      if (e) return e.queues.policies.resourcePolicy(action, arn);
      const prefix = `arn:aws:sqs:${o.region}:${o.accountId}:`;
      const policy = arn.startsWith(prefix) ? o.store.queue(arn.slice(prefix.length))?.attributes['Policy'] : undefined;
      return policy ? { id: `queue:${arn.slice(prefix.length)}`, document: policy, revision: policy } : undefined;
    },
  };
  return {
    handlers,
    port,
    policies,
    forwarder,
    lead(t) {
      if (t === term) return;
      o.log(t === undefined ? 'flint: cluster: the SQS queues are no longer served here (leadership ended)' : `flint: cluster: serving the SQS queues (term ${t})`);
      term = t;
      if (engine) drop(engine);
    },
    close() {
      forwarder.close();
      remote.close();
    },
  };
}
