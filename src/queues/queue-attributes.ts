import { sqsErrors } from './sqs-errors.js';

/** Settable attributes with their defaults and ranges (SQS API reference, CreateQueue). */
const NUMERIC: Record<string, { min: number; max: number; def: number }> = {
  DelaySeconds: { min: 0, max: 900, def: 0 },
  MaximumMessageSize: { min: 1024, max: 262144, def: 262144 },
  MessageRetentionPeriod: { min: 60, max: 1209600, def: 345600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: 20, def: 0 },
  VisibilityTimeout: { min: 0, max: 43200, def: 30 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86400, def: 300 },
};

const STANDARD_OTHER = new Set(['Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'SqsManagedSseEnabled']);
const FIFO_ONLY = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

/** Attributes GetQueueAttributes may name besides the settable ones. */
export const READ_ONLY_ATTRIBUTES = [
  'QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp', 'LastModifiedTimestamp',
] as const;

export function isKnownAttribute(name: string): boolean {
  return name in NUMERIC || STANDARD_OTHER.has(name) || FIFO_ONLY.has(name) || name === 'FifoQueue' || (READ_ONLY_ATTRIBUTES as readonly string[]).includes(name);
}

/** The attributes a new queue starts with: defaults, then the given ones (validated). */
export function initialAttributes(name: string, given: Record<string, string>): Record<string, string> {
  const fifoGiven = given['FifoQueue'];
  if (fifoGiven !== undefined && fifoGiven !== 'true' && fifoGiven !== 'false') throw sqsErrors.invalidAttributeValue('FifoQueue');
  const fifo = fifoGiven === 'true';
  if (fifo !== name.endsWith('.fifo')) {
    throw sqsErrors.invalidParameterValue(fifo
      ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
      : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
  }
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(NUMERIC)) attrs[k] = String(v.def);
  attrs['SqsManagedSseEnabled'] = 'true';
  if (fifo) {
    attrs['FifoQueue'] = 'true';
    attrs['ContentBasedDeduplication'] = 'false';
    attrs['DeduplicationScope'] = 'queue';
    attrs['FifoThroughputLimit'] = 'perQueue';
  }
  const rest = { ...given };
  delete rest['FifoQueue'];
  return { ...attrs, ...validated(rest, fifo) };
}

/** Validates attributes for CreateQueue / SetQueueAttributes; returns them normalized. */
export function validated(given: Record<string, string>, fifo: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const range = NUMERIC[name];
    if (range) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < range.min || n > range.max) throw sqsErrors.invalidAttributeValue(name);
      out[name] = String(n);
      continue;
    }
    if (name === 'FifoQueue') throw sqsErrors.invalidAttributeName(name);
    if (FIFO_ONLY.has(name)) {
      if (!fifo) throw sqsErrors.invalidAttributeName(name);
      const allowed = name === 'ContentBasedDeduplication' ? ['true', 'false'] : name === 'DeduplicationScope' ? ['messageGroup', 'queue'] : ['perQueue', 'perMessageGroupId'];
      if (!allowed.includes(value)) throw sqsErrors.invalidAttributeValue(name);
      out[name] = value;
      continue;
    }
    if (!STANDARD_OTHER.has(name)) throw sqsErrors.invalidAttributeName(name);
    if (name === 'RedrivePolicy' && value !== '') {
      const p = parseRedrivePolicy(value);
      if (!p) throw sqsErrors.invalidParameterValue('Value ' + value + ' for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.');
      out[name] = JSON.stringify({ deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: p.maxReceiveCount });
      continue;
    }
    if ((name === 'Policy' || name === 'RedriveAllowPolicy') && value !== '') {
      try {
        if (typeof JSON.parse(value) !== 'object') throw new Error();
      } catch {
        throw sqsErrors.invalidAttributeValue(name);
      }
    }
    if (name === 'SqsManagedSseEnabled' && value !== 'true' && value !== 'false') throw sqsErrors.invalidAttributeValue(name);
    out[name] = value;
  }
  return out;
}

/** A RedrivePolicy's parts, or undefined when malformed (maxReceiveCount 1–1000). */
export function parseRedrivePolicy(value: string): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  try {
    const p = JSON.parse(value) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    const count = Number(p.maxReceiveCount);
    if (typeof p.deadLetterTargetArn !== 'string' || !Number.isInteger(count) || count < 1 || count > 1000) return undefined;
    return { deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: count };
  } catch {
    return undefined;
  }
}
