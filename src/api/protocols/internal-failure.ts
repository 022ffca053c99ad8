import { AwsError } from '../../domain/errors.js';

/** The error type every protocol receives for a failure that is not an AwsError (its cause is logged, never sent). */
export const INTERNAL_FAILURE = 'InternalFailure';

/** What a client sees of an internal failure: a 500 with no detail. */
export function internalFailure(): AwsError {
  return new AwsError(INTERNAL_FAILURE, 'An internal error occurred in Flint; the cause was logged on the server.', { status: 500 });
}
