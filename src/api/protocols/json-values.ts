/**
 * JSON text for the JSON-based protocols: `Date` values (how services hand back timestamps) become
 * epoch seconds, the JSON protocols' default timestamp format; `Buffer`s (blobs: KMS ciphertexts
 * and plaintexts) become base64 strings, the JSON protocols' blob encoding; everything else as
 * JSON.stringify.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, jsonProtocolValue);
}

function jsonProtocolValue(this: Record<string, unknown>, key: string, v: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return raw.getTime() / 1000;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  return v;
}

/** A JSON/CBOR timestamp input (epoch seconds, or an ISO 8601 string some clients send) as a Date. */
export function timestampInput(v: unknown): Date | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v * 1000);
  if (v instanceof Date) return v;
  if (typeof v === 'string') {
    const t = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  return undefined;
}
