import { validation } from './schedule-errors.js';

/** NextToken is the offset, opaque to clients (base64). */
export function paginate<T>(all: T[], maxResults: number | undefined, token: string | undefined): { page: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    offset = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw validation('Invalid NextToken.');
  }
  const size = maxResults ?? 100;
  const page = all.slice(offset, offset + size);
  return offset + size < all.length ? { page, next: Buffer.from(String(offset + size)).toString('base64') } : { page };
}
