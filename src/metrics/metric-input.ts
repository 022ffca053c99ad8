import { AwsError } from '../domain/errors.js';
import { timestampMemberMs } from '../domain/timestamp-member.js';
import type { MetricDimension } from '../ports/metric-store.js';

/** CloudWatch's error shapes (query codes InvalidParameterValue, InvalidParameterCombination, MissingParameter). */
export const invalidValue = (message: string) => new AwsError('InvalidParameterValueException', message, { status: 400 });
export const invalidCombination = (message: string) => new AwsError('InvalidParameterCombinationException', message, { status: 400 });
export const missingParameter = (name: string) => new AwsError('MissingRequiredParameterException', `The parameter ${name} is required.`, { status: 400 });

export const timeOf = timestampMemberMs;

export function requiredTime(v: unknown, name: string): number {
  if (v === undefined || v === null) throw missingParameter(name);
  const t = timeOf(v);
  if (t === undefined) throw invalidValue(`The parameter ${name} is not a valid timestamp.`);
  return t;
}

/** Dimensions sorted by name: CloudWatch identifies a metric by its dimension set, not their order. */
export function sortedDimensions(dims: unknown): MetricDimension[] {
  const list = Array.isArray(dims) ? (dims as Array<{ Name: string; Value: string }>) : [];
  return list.map((d) => ({ Name: String(d.Name), Value: String(d.Value) })).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** Page tokens: base64 of the offset; anything else is CloudWatch's InvalidNextToken. */
export function offsetOf(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  const n = Number(Buffer.from(String(token), 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0 || tokenFor(n) !== String(token)) throw new AwsError('InvalidNextToken', 'The service returned an error: Invalid NextToken.', { status: 400 });
  return n;
}
export const tokenFor = (n: number) => Buffer.from(String(n), 'utf8').toString('base64url');
