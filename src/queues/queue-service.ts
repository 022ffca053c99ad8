import type { Clock } from '../ports/clock.js';
import type { QueueStore, StoredQueue } from '../ports/queue-store.js';
import type { ResourcePolicySource } from '../ports/access-policies.js';
import { AwsError } from '../domain/errors.js';
import { LiveQueue } from './live-queue.js';
import { initialAttributes, isKnownAttribute, validated, READ_ONLY_ATTRIBUTES } from './queue-attributes.js';
import { sqsErrors } from './sqs-errors.js';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** FIFO deduplication interval. */
const DEDUP_MS = 5 * 60_000;

/**
 * The queues of Flint's one account: create, find, list, delete, attributes, tags, purge. Queues
 * live in memory over the durable QueueStore; message operations are in MessageService.
 */
export class QueueService {
  readonly #store: QueueStore;
  readonly #clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly #queues = new Map<string, LiveQueue>();
  /** Names deleted in the last 60 seconds (epoch ms of the deletion). */
  readonly #recentlyDeleted = new Map<string, number>();

  constructor(opts: { store: QueueStore; clock: Clock; region: string; accountId: string }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.region = opts.region;
    this.accountId = opts.accountId;
    for (const q of this.#store.loadQueues()) this.#queues.set(q.name, new LiveQueue(q, this.arnOf(q.name)));
    const now = this.#clock.now();
    for (const m of this.#store.loadMessages()) {
      const q = this.#queues.get(m.queue);
      if (!q) continue;
      q.messages.set(m.seq, m);
      // FIFO deduplication survives a restart for the messages still stored (deleted ones' ids are
      // kept in memory only: after a restart a resend of a deleted message within 5 minutes is new).
      const d = m.message;
      if (q.fifo && d.deduplicationId && d.sequenceNumber && d.sentAt + DEDUP_MS > now) {
        const key = (q.stored.attributes['DeduplicationScope'] === 'messageGroup' ? d.groupId + '\n' : '') + d.deduplicationId;
        q.dedup.set(key, { messageId: d.id, sequenceNumber: d.sequenceNumber, expiresAt: d.sentAt + DEDUP_MS });
      }
    }
  }

  get store(): QueueStore {
    return this.#store;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  /** SQS's queue URL on a custom endpoint: `<endpoint>/<account>/<name>`. */
  urlOf(endpoint: string, name: string): string {
    return `${endpoint.replace(/\/$/, '')}/${this.accountId}/${name}`;
  }

  /** The queue a QueueUrl names (any host: clients send it to the endpoint they were given). */
  byUrl(url: string | undefined): LiveQueue {
    if (!url) throw sqsErrors.missingParameter('QueueUrl');
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      path = url;
    }
    const parts = path.split('/').filter((p) => p !== '');
    const name = parts[parts.length - 1];
    const account = parts[parts.length - 2];
    if (!name || (account !== undefined && account !== this.accountId) || parts.length > 2) {
      if (parts.length > 2 || !name) throw new AwsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
      throw sqsErrors.queueDoesNotExist();
    }
    const q = this.#queues.get(name);
    if (!q) throw sqsErrors.queueDoesNotExist();
    return q;
  }

  byArn(arn: string): LiveQueue | undefined {
    const prefix = `arn:aws:sqs:${this.region}:${this.accountId}:`;
    return arn.startsWith(prefix) ? this.#queues.get(arn.slice(prefix.length)) : undefined;
  }

  byName(name: string): LiveQueue | undefined {
    return this.#queues.get(name);
  }

  /** CreateQueue: idempotent for the same attributes; QueueNameExists when one differs. */
  create(name: string, attributes: Record<string, string> = {}, tags: Record<string, string> = {}): LiveQueue {
    const fifo = name.endsWith('.fifo');
    const base = fifo ? name.slice(0, -5) : name;
    if (!NAME.test(base) || name.length > 80) {
      throw sqsErrors.invalidParameterValue(fifo
        ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
        : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const attrs = initialAttributes(name, attributes);
    this.#checkRedriveTarget(attrs, fifo, this.arnOf(name));
    const existing = this.#queues.get(name);
    if (existing) {
      // "If you provide the name of an existing queue along with the exact names and values of all
      // the queue's attributes, CreateQueue returns the queue URL for the existing queue."
      for (const [k, v] of Object.entries(attributes)) {
        if (k === 'FifoQueue') continue;
        if ((existing.stored.attributes[k] ?? '') !== attrs[k]) throw sqsErrors.queueNameExists(k);
      }
      return existing;
    }
    // "You must wait 60 seconds after deleting a queue before you can create another queue with the
    // same name" (CreateQueue API reference).
    const deletedAt = this.#recentlyDeleted.get(name);
    if (deletedAt !== undefined && this.#clock.now() - deletedAt < 60_000) {
      throw new AwsError('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
    }
    this.#recentlyDeleted.delete(name);
    const now = Math.floor(this.#clock.now() / 1000);
    const stored: StoredQueue = { name, attributes: attrs, tags: { ...tags }, createdAt: now, lastModifiedAt: now };
    this.#store.putQueue(stored);
    const q = new LiveQueue(stored, this.arnOf(name));
    this.#queues.set(name, q);
    return q;
  }

  delete(q: LiveQueue): void {
    this.#store.deleteQueue(q.name);
    this.#queues.delete(q.name);
    this.#recentlyDeleted.set(q.name, this.#clock.now());
    q.deleted = true;
    q.wake();
  }

  /** ListQueues: names in order, from a prefix, paged by MaxResults (1–1000) and NextToken. */
  list(prefix: string | undefined, maxResults: number | undefined, nextToken: string | undefined): { names: string[]; nextToken?: string } {
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 1000)) {
      throw sqsErrors.invalidParameterValue('Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.');
    }
    if (nextToken !== undefined && maxResults === undefined) {
      throw sqsErrors.invalidParameterValue('MaxResults is a mandatory parameter when you provide a value for NextToken.');
    }
    let after = '';
    if (nextToken) {
      try {
        after = Buffer.from(nextToken, 'base64url').toString('utf8');
      } catch {
        throw sqsErrors.invalidParameterValue('Invalid NextToken value.');
      }
    }
    const names = [...this.#queues.keys()].filter((n) => (!prefix || n.startsWith(prefix)) && n > after).sort();
    // Without MaxResults SQS returns at most 1000 queues and no token.
    const limit = maxResults ?? 1000;
    const page = names.slice(0, limit);
    return maxResults !== undefined && names.length > limit ? { names: page, nextToken: Buffer.from(page[page.length - 1]!).toString('base64url') } : { names: page };
  }

  /** Names of queues whose RedrivePolicy targets this queue (ListDeadLetterSourceQueues). */
  deadLetterSources(q: LiveQueue): string[] {
    return [...this.#queues.values()].filter((s) => s.redrive?.deadLetterTargetArn === q.arn).map((s) => s.name).sort();
  }

  /** GetQueueAttributes: `All` or the names asked for; unknown names are InvalidAttributeName. */
  attributes(q: LiveQueue, names: string[] | undefined): Record<string, string> {
    const wanted = new Set(names ?? []);
    for (const n of wanted) if (n !== 'All' && !isKnownAttribute(n)) throw sqsErrors.invalidAttributeName(n);
    const all = wanted.has('All');
    const c = q.counts(this.#clock.now());
    const values: Record<string, string> = {
      QueueArn: q.arn,
      ApproximateNumberOfMessages: String(c.visible),
      ApproximateNumberOfMessagesNotVisible: String(c.notVisible),
      ApproximateNumberOfMessagesDelayed: String(c.delayed),
      CreatedTimestamp: String(q.stored.createdAt),
      LastModifiedTimestamp: String(q.stored.lastModifiedAt),
      ...Object.fromEntries(Object.entries(q.stored.attributes).filter(([, v]) => v !== '')),
    };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (all || wanted.has(k)) out[k] = v;
    return out;
  }

  setAttributes(q: LiveQueue, attributes: Record<string, string>): void {
    const attrs = validated(attributes, q.fifo);
    this.#checkRedriveTarget(attrs, q.fifo, q.arn);
    const next = { ...q.stored.attributes, ...attrs };
    for (const [k, v] of Object.entries(attrs)) if (v === '' && (k === 'Policy' || k === 'RedrivePolicy' || k === 'RedriveAllowPolicy')) delete next[k];
    this.#save(q, { attributes: next, lastModifiedAt: Math.floor(this.#clock.now() / 1000) });
  }

  tag(q: LiveQueue, tags: Record<string, string>): void {
    const next = { ...q.stored.tags, ...tags };
    if (Object.keys(next).length > 50) throw sqsErrors.invalidParameterValue('Too many tags added for queue ' + q.name + '.');
    this.#save(q, { tags: next });
  }

  untag(q: LiveQueue, keys: string[]): void {
    const next = { ...q.stored.tags };
    for (const k of keys) delete next[k];
    this.#save(q, { tags: next });
  }

  /** PurgeQueue: deletes every message; a second purge within 60 seconds is PurgeQueueInProgress. */
  purge(q: LiveQueue): void {
    const now = this.#clock.now();
    if (q.lastPurgeAt && now - q.lastPurgeAt < 60_000) throw sqsErrors.purgeQueueInProgress(q.arn);
    q.lastPurgeAt = now;
    this.#store.purge(q.name);
    q.messages.clear();
  }

  /** Ends every long poll now (cluster mode: the queues moved to another node, which answers from now on). */
  wakeAll(): void {
    for (const q of this.#queues.values()) q.wake();
  }

  /** Queue policies (the Policy attribute) as resource policies, for the authorizer. */
  readonly policies: ResourcePolicySource = {
    resourcePolicy: (_action, arn) => {
      const policy = this.byArn(arn)?.stored.attributes['Policy'];
      return policy ? { id: `queue:${arn.slice(arn.lastIndexOf(':') + 1)}`, document: policy, revision: policy } : undefined;
    },
  };

  #save(q: LiveQueue, change: Partial<StoredQueue>): void {
    const next = { ...q.stored, ...change };
    this.#store.putQueue(next);
    q.stored = next;
  }

  /** A dead-letter target must exist and be of the same type (FIFO to FIFO). */
  #checkRedriveTarget(attrs: Record<string, string>, fifo: boolean, sourceArn?: string): void {
    const p = attrs['RedrivePolicy'];
    if (!p) return;
    const target = JSON.parse(p) as { deadLetterTargetArn: string };
    const dlq = this.byArn(target.deadLetterTargetArn);
    if (!dlq) throw sqsErrors.invalidParameterValue(`Value ${p} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
    if (dlq.fifo !== fifo) throw sqsErrors.invalidParameterValue(`Value ${p} for parameter RedrivePolicy is invalid. Reason: Dead-letter target must be of same type as the source.`);
    if (sourceArn && !redriveAllowed(dlq.stored.attributes['RedriveAllowPolicy'], sourceArn)) {
      throw sqsErrors.invalidParameterValue(`Value ${p} for parameter RedrivePolicy is invalid. Reason: Queue ${sourceArn} is not allowed to use ${dlq.arn} as its dead-letter queue.`);
    }
  }

  /** AddPermission: a statement (Sid = Label) granting the accounts the actions on this queue. */
  addPermission(q: LiveQueue, label: string, accounts: string[], actions: string[]): void {
    const policy = this.#policyOf(q);
    if (policy.Statement.some((st) => st.Sid === label)) {
      throw sqsErrors.invalidParameterValue(`Value ${label} for parameter Label is invalid. Reason: Already exists.`);
    }
    policy.Statement.push({
      Sid: label,
      Effect: 'Allow',
      Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
      Action: actions.map((a) => (a === '*' ? 'SQS:*' : `SQS:${a}`)),
      Resource: q.arn,
    });
    this.setAttributes(q, { Policy: JSON.stringify(policy) });
  }

  /** RemovePermission: removes the statement AddPermission added under the label. */
  removePermission(q: LiveQueue, label: string): void {
    const policy = this.#policyOf(q);
    const kept = policy.Statement.filter((st) => st.Sid !== label);
    if (kept.length === policy.Statement.length) {
      throw sqsErrors.invalidParameterValue(`Value ${label} for parameter Label is invalid. Reason: can't find label on existing policy.`);
    }
    this.setAttributes(q, { Policy: kept.length > 0 ? JSON.stringify({ ...policy, Statement: kept }) : '' });
  }

  #policyOf(q: LiveQueue): { Version: string; Id?: string; Statement: Array<Record<string, unknown>> } {
    const text = q.stored.attributes['Policy'];
    if (!text) return { Version: '2012-10-17', Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
    const p = JSON.parse(text) as { Version: string; Statement?: unknown };
    const statements = Array.isArray(p.Statement) ? p.Statement : p.Statement ? [p.Statement] : [];
    return { ...p, Statement: statements as Array<Record<string, unknown>> };
  }
}

/**
 * A dead-letter queue's RedriveAllowPolicy: `allowAll` (the default), `denyAll`, or `byQueue` with
 * up to 10 `sourceQueueArns` (SQS developer guide, "Configuring queue permissions for dead-letter
 * queue redrive").
 */
function redriveAllowed(policy: string | undefined, sourceArn: string): boolean {
  if (!policy) return true;
  try {
    const p = JSON.parse(policy) as { redrivePermission?: string; sourceQueueArns?: unknown };
    if (p.redrivePermission === 'denyAll') return false;
    if (p.redrivePermission === 'byQueue') return Array.isArray(p.sourceQueueArns) && p.sourceQueueArns.includes(sourceArn);
    return true;
  } catch {
    return true;
  }
}
