/**
 * A timestamp member as the protocols decode it → epoch ms: a Date (rest-json, query, CBOR), epoch
 * seconds as a number or numeric text (json 1.0/1.1's default timestampFormat), or ISO-8601 text.
 * Undefined when absent or unreadable; each service words its own error for that.
 */
export function timestampMemberMs(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v * 1000;
  const s = String(v);
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}
