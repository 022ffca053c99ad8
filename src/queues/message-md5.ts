import { createHash } from 'node:crypto';

/** A message attribute as the wire carries it (BinaryValue as bytes). */
export interface WireAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** MD5 of a message body, hex, over its UTF-8 bytes (SQS's MD5OfMessageBody). */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it (and SDKs verify it): attributes sorted by name; for
 * each, the name, the data type and the value, each as a 4-byte big-endian length and its bytes,
 * with a transport byte before the value — 1 for a string value, 2 for a binary one (SQS developer
 * guide, "Calculating the MD5 message digest for message attributes"). The same algorithm gives
 * MD5OfMessageSystemAttributes.
 */
export function md5OfAttributes(attrs: Record<string, WireAttribute>): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name]!;
    lengthPrefixed(hash, Buffer.from(name, 'utf8'));
    lengthPrefixed(hash, Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(hash, Buffer.from(a.BinaryValue));
    } else {
      hash.update(Buffer.from([1]));
      lengthPrefixed(hash, Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function lengthPrefixed(hash: ReturnType<typeof createHash>, bytes: Buffer): void {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  hash.update(len);
  hash.update(bytes);
}
