import type { Collection } from '../ports/metadata-store.js';
import { InvalidParameterValueException } from '../domain/errors.js';

/** Page size of Lambda's List* operations when MaxItems is not given. */
export const DEFAULT_PAGE_SIZE = 50;

/**
 * One page of a key-ordered listing. Markers are opaque to clients (base64url of the last key
 * returned), as Lambda's are; a marker that does not decode is refused rather than silently restarting.
 */
export function page<T>(
  collection: Collection<T>,
  prefix: string,
  opts: { marker?: string; maxItems?: number; filter?: (value: T, key: string) => boolean },
): { items: Array<{ key: string; value: T }>; nextMarker?: string } {
  const limit = opts.maxItems ?? DEFAULT_PAGE_SIZE;
  let after = opts.marker !== undefined ? decodeMarker(opts.marker, prefix) : undefined;
  const items: Array<{ key: string; value: T }> = [];
  // Read in batches so a filter that rejects many documents still fills the page.
  for (;;) {
    const batch = collection.list(prefix, { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    for (const e of batch) {
      if (opts.filter && !opts.filter(e.value, e.key)) continue;
      if (items.length === limit) return { items, nextMarker: encodeMarker(items[items.length - 1]!.key) };
      items.push(e);
    }
    if (batch.length < limit + 1) return { items };
    after = batch[batch.length - 1]!.key;
  }
}

function encodeMarker(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeMarker(marker: string, prefix: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  if (!key.startsWith(prefix) || key === prefix) throw new InvalidParameterValueException(`Invalid marker: ${marker}`);
  return key;
}
