import { InvalidParameterValueException } from '../domain/errors.js';

/**
 * Opaque pagination markers (`Marker` / `NextMarker`): the position to continue after, base64url so
 * clients treat it as a token rather than something to edit.
 */
export function encodeMarker(position: string): string {
  return Buffer.from(`m1:${position}`, 'utf8').toString('base64url');
}

export function decodeMarker(marker: string): string {
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  if (!text.startsWith('m1:')) throw new InvalidParameterValueException('The pagination marker is invalid.');
  return text.slice(3);
}
