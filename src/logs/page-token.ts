import { invalidParameter } from './logs-errors.js';

/** An opaque page token: the base64url of the last key a page returned. */
export function pageToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key a page token carries; anything that is not one of ours is InvalidParameterException. */
export function readPageToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidParameter('The specified nextToken is invalid.');
  return Buffer.from(token, 'base64url').toString('utf8');
}
