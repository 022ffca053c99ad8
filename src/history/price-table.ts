/**
 * What Lambda charges, per unit: requests and GB-seconds of billed duration by architecture.
 * Defaults are Lambda's public on-demand prices (us-east-1, first tier): $0.20 per 1M requests,
 * $0.0000166667 per GB-second on x86_64 and $0.0000133334 on arm64. Volume tiers, ephemeral
 * storage above 512 MB and the free tier are not modelled.
 */
export interface PriceTable {
  requestsPerMillion: number;
  gbSecond: Record<string, number>;
}

export const DEFAULT_PRICES: PriceTable = {
  requestsPerMillion: 0.2,
  gbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
};

/** A price table from JSON text (FLINT_PRICE_TABLE's file); members left out keep the defaults. */
export function parsePriceTable(text: string): PriceTable {
  const raw = JSON.parse(text) as { requestsPerMillion?: unknown; gbSecond?: unknown };
  const table: PriceTable = { requestsPerMillion: DEFAULT_PRICES.requestsPerMillion, gbSecond: { ...DEFAULT_PRICES.gbSecond } };
  if (raw.requestsPerMillion !== undefined) table.requestsPerMillion = price(raw.requestsPerMillion, 'requestsPerMillion');
  if (raw.gbSecond !== undefined) {
    if (raw.gbSecond === null || typeof raw.gbSecond !== 'object') throw new Error('price table: gbSecond must be an object of architecture → USD per GB-second');
    for (const [arch, v] of Object.entries(raw.gbSecond)) table.gbSecond[arch] = price(v, `gbSecond.${arch}`);
  }
  return table;
}

function price(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`price table: ${name} must be a non-negative number of USD`);
  return v;
}

/** Usage in Lambda's billing units. */
export interface UsageAmount {
  requests: number;
  /** Sum of billed duration (ms) × memory (MB): exact integers, converted to GB-seconds on read. */
  mbMs: number;
}

export const gbSecondsOf = (u: UsageAmount) => u.mbMs / 1024 / 1000;

export function costOf(u: UsageAmount, architecture: string, table: PriceTable): number {
  const rate = table.gbSecond[architecture] ?? table.gbSecond['x86_64'] ?? 0;
  return (u.requests / 1_000_000) * table.requestsPerMillion + gbSecondsOf(u) * rate;
}

/** The table in `file` (FLINT_PRICE_TABLE), else the defaults; a bad file stops the start, not billing. */
export function loadPriceTable(file: string | undefined, read: (file: string) => string): PriceTable {
  if (!file) return DEFAULT_PRICES;
  try {
    return parsePriceTable(read(file));
  } catch (err) {
    throw new Error(`FLINT_PRICE_TABLE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
