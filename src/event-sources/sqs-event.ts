import type { ReceivedQueueMessage } from '../ports/message-queues.js';

/** One record of Lambda's SQS event, in AWS's member order. */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, { stringValue?: string; binaryValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }>;
  md5OfMessageAttributes: string | null;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

/**
 * The system attributes Lambda passes, in the order AWS's events list them (standard queues:
 * ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp; FIFO adds
 * SequenceNumber, MessageGroupId, MessageDeduplicationId; AWSTraceHeader first when present).
 */
const ATTRIBUTE_ORDER = ['AWSTraceHeader', 'ApproximateReceiveCount', 'SentTimestamp', 'SequenceNumber', 'MessageGroupId', 'SenderId', 'MessageDeduplicationId', 'ApproximateFirstReceiveTimestamp'];

/** A received message as Lambda's SQS event record (recorded from AWS: md5OfMessageAttributes is null without attributes). */
export function sqsEventRecord(m: ReceivedQueueMessage, queueArn: string, region: string): SqsEventRecord {
  const attributes: Record<string, string> = {};
  for (const name of ATTRIBUTE_ORDER) if (m.attributes[name] !== undefined) attributes[name] = m.attributes[name]!;
  const messageAttributes: SqsEventRecord['messageAttributes'] = {};
  for (const [name, a] of Object.entries(m.messageAttributes)) {
    messageAttributes[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: a.DataType,
    };
  }
  return {
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes,
    messageAttributes,
    md5OfMessageAttributes: m.md5OfMessageAttributes ?? null,
    md5OfBody: m.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The record as FilterCriteria sees it: a JSON body is matched as an object, any other as a string. */
export function filterView(r: SqsEventRecord): Record<string, unknown> {
  let body: unknown = r.body;
  try {
    const parsed: unknown = JSON.parse(r.body);
    if (typeof parsed === 'object' && parsed !== null) body = parsed;
  } catch {
    // a plain-text body stays a string
  }
  return { ...r, body };
}

/**
 * ReportBatchItemFailures: the message ids to keep in the queue, or 'all' when the response is
 * malformed (Lambda then treats the whole batch as failed). An empty or null response, `{}` and an
 * empty or null `batchItemFailures` mean success.
 */
export function batchItemFailures(payload: Buffer, batchIds: ReadonlySet<string>): Set<string> | 'all' {
  const text = payload.toString('utf8').trim();
  if (text === '' || text === 'null') return new Set();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'all';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'all';
  const list = (parsed as Record<string, unknown>)['batchItemFailures'];
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return 'all';
  const failed = new Set<string>();
  for (const item of list) {
    const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['itemIdentifier'] : undefined;
    if (typeof id !== 'string' || id === '' || !batchIds.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}
