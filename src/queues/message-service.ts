import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { StoredMessage, StoredMessageBody } from '../ports/queue-store.js';
import type { LiveQueue } from './live-queue.js';
import type { QueueService } from './queue-service.js';
import { md5OfAttributes, md5OfBody, type WireAttribute } from './message-md5.js';
import { sqsErrors } from './sqs-errors.js';

export interface SendInput {
  body: string;
  delaySeconds?: number;
  messageAttributes?: Record<string, WireAttribute>;
  systemAttributes?: Record<string, WireAttribute>;
  groupId?: string;
  deduplicationId?: string;
  senderId: string;
}

export interface SendResult {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  md5OfMessageSystemAttributes?: string;
  sequenceNumber?: string;
}

export interface ReceiveOptions {
  max: number;
  waitMs: number;
  visibilityTimeoutSeconds?: number;
  attemptId?: string;
  signal?: AbortSignal;
}

/** Five minutes: FIFO deduplication and receive-attempt windows. */
const DEDUP_MS = 5 * 60_000;
/** Valid message characters: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. */
const INVALID_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * SendMessage / ReceiveMessage / DeleteMessage / ChangeMessageVisibility on live queues, durable
 * through the QueueStore before any caller hears of a change.
 */
export class MessageService {
  readonly #queues: QueueService;
  readonly #clock: Clock;
  #sequence = 0n;

  constructor(opts: { queues: QueueService; clock: Clock }) {
    this.#queues = opts.queues;
    this.#clock = opts.clock;
  }

  /** Checks one message as SendMessage does (before any message of a batch is stored). */
  validate(q: LiveQueue, m: SendInput): void {
    if (m.body === undefined || m.body === '') throw sqsErrors.missingParameter('MessageBody');
    const size = messageSize(m);
    const limit = q.num('MaximumMessageSize');
    if (size > limit) throw sqsErrors.invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`);
    const bad = INVALID_CHAR.exec(m.body);
    if (bad) {
      throw sqsErrors.invalidMessageContents(`Invalid binary character '#x${bad[0].codePointAt(0)!.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is available at http://www.w3.org/TR/REC-xml/#charsets`);
    }
    for (const [name, a] of Object.entries(m.messageAttributes ?? {})) validateAttribute(name, a);
    if (m.delaySeconds !== undefined && (m.delaySeconds < 0 || m.delaySeconds > 900)) {
      throw sqsErrors.invalidParameterValue(`Value ${m.delaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
    }
    if (q.fifo) {
      if (!m.groupId) throw sqsErrors.missingParameter('MessageGroupId');
      if (m.delaySeconds) throw sqsErrors.invalidParameterValue(`Value ${m.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      if (!m.deduplicationId && q.stored.attributes['ContentBasedDeduplication'] !== 'true') {
        throw sqsErrors.invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
      }
    } else {
      if (m.deduplicationId) throw sqsErrors.invalidParameterValue('The request include parameter that is not valid for this queue type');
    }
  }

  /** Stores validated messages in one durable transaction, then wakes long pollers. */
  sendAll(q: LiveQueue, inputs: SendInput[]): SendResult[] {
    const now = this.#clock.now();
    const results: SendResult[] = [];
    const rows: Array<Omit<StoredMessage, 'seq'>> = [];
    const rowIndex: number[] = [];
    for (const m of inputs) {
      const md5 = md5OfBody(m.body);
      const attrs = m.messageAttributes && Object.keys(m.messageAttributes).length > 0 ? m.messageAttributes : undefined;
      const sys = m.systemAttributes && Object.keys(m.systemAttributes).length > 0 ? m.systemAttributes : undefined;
      const result: SendResult = {
        messageId: randomUUID(),
        md5OfBody: md5,
        ...(attrs ? { md5OfMessageAttributes: md5OfAttributes(attrs) } : {}),
        ...(sys ? { md5OfMessageSystemAttributes: md5OfAttributes(sys) } : {}),
      };
      if (q.fifo) {
        // Deduplication: a second send of the same id (or body, with content-based deduplication)
        // within 5 minutes is accepted and not delivered; it answers the first message's id.
        const dedupId = m.deduplicationId ?? createHash('sha256').update(m.body, 'utf8').digest('hex');
        const key = (q.stored.attributes['DeduplicationScope'] === 'messageGroup' ? m.groupId + '\n' : '') + dedupId;
        const seen = q.dedup.get(key);
        if (seen && seen.expiresAt > now) {
          results.push({ ...result, messageId: seen.messageId, sequenceNumber: seen.sequenceNumber });
          continue;
        }
        result.sequenceNumber = this.#nextSequence(now);
        q.dedup.set(key, { messageId: result.messageId, sequenceNumber: result.sequenceNumber, expiresAt: now + DEDUP_MS });
        m.deduplicationId = dedupId;
      }
      const body: StoredMessageBody = {
        id: result.messageId,
        body: m.body,
        md5OfBody: md5,
        ...(attrs ? { messageAttributes: encodeAttributes(attrs), md5OfMessageAttributes: result.md5OfMessageAttributes } : {}),
        ...(sys ? { systemAttributes: encodeAttributes(sys), md5OfMessageSystemAttributes: result.md5OfMessageSystemAttributes } : {}),
        sentAt: now,
        senderId: m.senderId,
        ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
        ...(q.fifo ? { deduplicationId: m.deduplicationId, sequenceNumber: result.sequenceNumber } : {}),
      };
      const delay = m.delaySeconds ?? q.num('DelaySeconds');
      rows.push({ queue: q.name, message: body, visibleAt: now + delay * 1000, receiveCount: 0, firstReceiveAt: 0, receipt: '' });
      rowIndex.push(results.length);
      results.push(result);
    }
    const seqs = this.#queues.store.insertMessages(rows);
    seqs.forEach((seq, i) => q.messages.set(seq, { ...rows[i]!, seq }));
    if (rows.length > 0) q.wake();
    return results;
  }

  /**
   * ReceiveMessage: up to `max` visible messages, each made invisible for the visibility timeout;
   * with `waitMs`, waits (without polling) until a send wakes it, a delayed or invisible message
   * becomes visible, or the time is up. Messages over the redrive policy's maxReceiveCount move to
   * the dead-letter queue instead of being returned.
   */
  async receive(q: LiveQueue, opts: ReceiveOptions): Promise<StoredMessage[]> {
    const deadline = this.#clock.now() + opts.waitMs;
    for (;;) {
      const got = this.#take(q, opts);
      if (got.length > 0 || q.deleted || opts.signal?.aborted) return got;
      const now = this.#clock.now();
      if (now >= deadline) return got;
      const next = nextVisibleAt(q, now);
      await this.#wait(q, Math.min(deadline, next) - now, opts.signal);
    }
  }

  /** DeleteMessage: removes the message the handle names; a stale handle of a gone message is no error. */
  delete(q: LiveQueue, handle: string): void {
    const { seq } = parseHandle(handle);
    if (q.messages.delete(seq)) this.#queues.store.deleteMessages([seq]);
  }

  /** ChangeMessageVisibility on a received message (0–43200 s from now). */
  changeVisibility(q: LiveQueue, handle: string, seconds: number): void {
    const { seq, token } = parseHandle(handle);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43200) {
      throw sqsErrors.invalidParameterValue(`Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
    }
    const m = q.messages.get(seq);
    if (!m || m.receipt !== token) {
      throw sqsErrors.invalidParameterValue(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    const now = this.#clock.now();
    if (m.visibleAt <= now) throw sqsErrors.messageNotInflight();
    m.visibleAt = now + seconds * 1000;
    this.#queues.store.updateMessages([m]);
    if (seconds === 0) q.wake();
  }

  #take(q: LiveQueue, opts: ReceiveOptions): StoredMessage[] {
    const now = this.#clock.now();
    if (q.fifo && opts.attemptId) {
      // A retried FIFO receive with the same attempt id gets the same messages while they are still in flight.
      const prev = q.attempts.get(opts.attemptId);
      if (prev && prev.expiresAt > now) {
        const same = prev.seqs.map((s) => q.messages.get(s)).filter((m): m is StoredMessage => m !== undefined && m.visibleAt > now);
        if (same.length === prev.seqs.length && same.length > 0) return same;
      }
    }
    const retentionMs = q.num('MessageRetentionPeriod') * 1000;
    const visibilityMs = (opts.visibilityTimeoutSeconds ?? q.num('VisibilityTimeout')) * 1000;
    const redrive = q.redrive;
    const dlq = redrive ? this.#queues.byArn(redrive.deadLetterTargetArn) : undefined;
    const taken: StoredMessage[] = [];
    const expired: number[] = [];
    const blockedGroups = new Set<string>();
    for (const m of q.messages.values()) {
      if (taken.length >= opts.max) break;
      if (m.message.sentAt + retentionMs <= now) {
        expired.push(m.seq);
        continue;
      }
      const group = q.fifo ? m.message.groupId ?? '' : undefined;
      if (group !== undefined && blockedGroups.has(group)) continue;
      if (m.visibleAt > now) {
        // FIFO: a message in flight (or delayed) holds back the rest of its group, keeping order.
        if (group !== undefined) blockedGroups.add(group);
        continue;
      }
      if (redrive && dlq && m.receiveCount >= redrive.maxReceiveCount) {
        this.#moveToDeadLetter(q, dlq, m, now);
        continue;
      }
      m.receiveCount++;
      if (m.firstReceiveAt === 0) m.firstReceiveAt = now;
      m.visibleAt = now + visibilityMs;
      m.receipt = randomBytes(12).toString('base64url');
      taken.push(m);
    }
    if (expired.length > 0) {
      for (const s of expired) q.messages.delete(s);
      this.#queues.store.deleteMessages(expired);
    }
    this.#queues.store.updateMessages(taken);
    if (q.fifo && opts.attemptId && taken.length > 0) q.attempts.set(opts.attemptId, { seqs: taken.map((m) => m.seq), expiresAt: now + DEDUP_MS });
    return taken;
  }

  #moveToDeadLetter(from: LiveQueue, to: LiveQueue, m: StoredMessage, now: number): void {
    // The message keeps its id, body, attributes and SentTimestamp; its receive count starts over.
    const message: StoredMessageBody = { ...m.message, deadLetterQueueSourceArn: from.arn };
    this.#queues.store.moveMessage(m.seq, to.name, message, now);
    from.messages.delete(m.seq);
    to.messages.set(m.seq, { seq: m.seq, queue: to.name, message, visibleAt: now, receiveCount: 0, firstReceiveAt: 0, receipt: '' });
    to.wake();
  }

  #wait(q: LiveQueue, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        q.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      q.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** FIFO sequence numbers: 20 digits, increasing. */
  #nextSequence(now: number): string {
    const base = BigInt(now) * 1_000_000n;
    this.#sequence = this.#sequence < base ? base : this.#sequence + 1n;
    return this.#sequence.toString().padStart(20, '1');
  }
}

/** A receipt handle: the message's sequence number and the receive's token. */
export function receiptHandle(m: StoredMessage): string {
  return Buffer.from(`${m.queue}\n${m.seq}\n${m.receipt}`, 'utf8').toString('base64');
}

export function parseHandle(handle: string): { queue: string; seq: number; token: string } {
  const parts = Buffer.from(handle ?? '', 'base64').toString('utf8').split('\n');
  const seq = Number(parts[1]);
  if (parts.length !== 3 || !Number.isSafeInteger(seq) || !parts[2]) throw sqsErrors.receiptHandleIsInvalid(handle);
  return { queue: parts[0]!, seq, token: parts[2] };
}

function nextVisibleAt(q: LiveQueue, now: number): number {
  let next = Infinity;
  for (const m of q.messages.values()) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
  return next;
}

/** Message size as SQS counts it: body plus each attribute's name, type and value. */
export function messageSize(m: { body: string; messageAttributes?: Record<string, WireAttribute> }): number {
  let size = Buffer.byteLength(m.body ?? '', 'utf8');
  for (const [name, a] of Object.entries(m.messageAttributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '');
    size += a.BinaryValue ? a.BinaryValue.length : Buffer.byteLength(a.StringValue ?? '');
  }
  return size;
}

function validateAttribute(name: string, a: WireAttribute): void {
  if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws|amazon)\./i.test(name)) {
    throw sqsErrors.invalidParameterValue(`Message (user) attribute '${name}' is invalid: the name must contain only alphanumeric characters, hyphens, underscores and periods, must not start or end with a period, and must not contain consecutive periods or an AWS-reserved prefix.`);
  }
  const type = a.DataType ?? '';
  const base = type.split('.')[0];
  if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
    throw sqsErrors.invalidParameterValue(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
  }
  const hasString = a.StringValue !== undefined;
  const hasBinary = a.BinaryValue !== undefined;
  if ((base === 'Binary') !== hasBinary || (base !== 'Binary' && !hasString)) {
    throw sqsErrors.invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type '${base}'.`);
  }
  if (base === 'Number' && !/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(a.StringValue!)) {
    throw sqsErrors.invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
  }
}

function encodeAttributes(attrs: Record<string, WireAttribute>): Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> {
  const out: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [k, a] of Object.entries(attrs)) {
    out[k] = { DataType: a.DataType, ...(a.BinaryValue !== undefined ? { BinaryValue: Buffer.from(a.BinaryValue).toString('base64') } : { StringValue: a.StringValue ?? '' }) };
  }
  return out;
}
