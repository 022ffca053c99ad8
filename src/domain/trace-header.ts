/**
 * The X-Ray trace header (`X-Amzn-Trace-Id`, `_X_AMZN_TRACE_ID`, `Lambda-Runtime-Trace-Id`):
 * `Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0|1` with optional `Lineage`
 * and any other `key=value` fields. Parsed as X-Ray's SDKs do: fields split on `;`, surrounding
 * whitespace ignored, keys matched without regard to case, unknown fields kept in order. A header
 * without a valid Root is malformed; Lambda then acts as if none came (it neither fails the call
 * nor traces under the bad id).
 */
export interface TraceHeader {
  /** `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`. */
  root: string;
  /** The caller's segment id (16 hex), absent when the caller started the trace without one. */
  parent?: string;
  /** `true` Sampled=1, `false` Sampled=0, undefined: absent or `?` (the receiver decides). */
  sampled?: boolean;
  /** Lambda's recursion-loop counter (`Lineage=<8 hex>:<count>`), passed on as received. */
  lineage?: string;
  /** Other fields, passed on unchanged (X-Ray's SDKs keep them too). */
  extra: Array<[string, string]>;
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/** The header's fields, or undefined when it carries no valid Root (Lambda ignores such a header). */
export function parseTraceHeader(raw: string | undefined): TraceHeader | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > 2048) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: boolean | undefined;
  let lineage: string | undefined;
  const extra: Array<[string, string]> = [];
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    switch (k.toLowerCase()) {
      case 'root':
        root = v.toLowerCase();
        break;
      case 'parent':
        if (SEGMENT_ID.test(v.toLowerCase())) parent = v.toLowerCase();
        break;
      case 'sampled':
        sampled = v === '1' ? true : v === '0' ? false : undefined;
        break;
      case 'lineage':
        lineage = v;
        break;
      case 'self':
        // Added by load balancers for their own segment; not passed downstream.
        break;
      default:
        if (k.length > 0) extra.push([k, v]);
    }
  }
  if (root === undefined || !ROOT.test(root)) return undefined;
  return { root, ...(parent !== undefined ? { parent } : {}), ...(sampled !== undefined ? { sampled } : {}), ...(lineage !== undefined ? { lineage } : {}), extra };
}

/** The header as Lambda writes it: Root, Parent, Sampled, then Lineage and other fields. */
export function formatTraceHeader(h: TraceHeader): string {
  let s = `Root=${h.root}`;
  if (h.parent !== undefined) s += `;Parent=${h.parent}`;
  if (h.sampled !== undefined) s += `;Sampled=${h.sampled ? 1 : 0}`;
  if (h.lineage !== undefined) s += `;Lineage=${h.lineage}`;
  for (const [k, v] of h.extra) s += `;${k}=${v}`;
  return s;
}

/** A new X-Ray trace id from the epoch time and 24 random hex digits. */
export function newTraceRoot(nowMs: number, random24Hex: string): string {
  return `1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${random24Hex}`;
}

/**
 * The OpenTelemetry trace id of an X-Ray trace: the 32 hex digits left when the `1-` version
 * prefix and the dash are dropped (the rule of the AWS X-Ray propagator for OpenTelemetry).
 */
export function otelTraceId(root: string): string {
  return root.slice(2, 10) + root.slice(11);
}

/** The X-Ray trace id of a 32-hex OpenTelemetry trace id (inverse of otelTraceId). */
export function xrayTraceId(otel: string): string {
  return `1-${otel.slice(0, 8)}-${otel.slice(8)}`;
}

/** Whether `id` has the form of an X-Ray trace id (`1-8hex-24hex`). */
export function isTraceRoot(id: string): boolean {
  return ROOT.test(id);
}
