import type { StoredMessage } from '../ports/queue-store.js';
import { md5OfAttributes } from './message-md5.js';

/**
 * A received message as ReceiveMessage answers it: system attributes named by
 * AttributeNames / MessageSystemAttributeNames (or `All`), message attributes named by
 * MessageAttributeNames (`All`, `.*`, a prefix `foo.*`, or exact names); MD5OfMessageAttributes is
 * over the attributes returned, as SQS computes it.
 */
export function receivedMessage(m: StoredMessage, handle: string, systemNames: string[], attributeNames: string[]): Record<string, unknown> {
  const system = systemAttributes(m);
  const allSystem = systemNames.includes('All');
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(system)) if (allSystem || systemNames.includes(k)) attributes[k] = v;
  const chosen: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }> = {};
  for (const [name, a] of Object.entries(m.message.messageAttributes ?? {})) {
    if (!attributeNames.some((p) => p === 'All' || p === '.*' || p === name || (p.endsWith('.*') && name.startsWith(p.slice(0, -1))))) continue;
    chosen[name] = { DataType: a.DataType, ...(a.BinaryValue !== undefined ? { BinaryValue: Buffer.from(a.BinaryValue, 'base64') } : { StringValue: a.StringValue ?? '' }) };
  }
  const hasAttrs = Object.keys(chosen).length > 0;
  return {
    MessageId: m.message.id,
    ReceiptHandle: handle,
    MD5OfBody: m.message.md5OfBody,
    Body: m.message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(hasAttrs ? { MD5OfMessageAttributes: md5OfAttributes(chosen), MessageAttributes: chosen } : {}),
  };
}

/** Every system attribute the message has. */
export function systemAttributes(m: StoredMessage): Record<string, string> {
  const out: Record<string, string> = {
    SenderId: m.message.senderId,
    SentTimestamp: String(m.message.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
  };
  if (m.message.sequenceNumber) out['SequenceNumber'] = m.message.sequenceNumber;
  if (m.message.deduplicationId) out['MessageDeduplicationId'] = m.message.deduplicationId;
  if (m.message.groupId) out['MessageGroupId'] = m.message.groupId;
  if (m.message.deadLetterQueueSourceArn) out['DeadLetterQueueSourceArn'] = m.message.deadLetterQueueSourceArn;
  const trace = m.message.systemAttributes?.['AWSTraceHeader']?.StringValue;
  if (trace) out['AWSTraceHeader'] = trace;
  return out;
}
