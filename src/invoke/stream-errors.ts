import type { PlatformError } from './function-errors.js';
import type { StreamError } from './streamed-response.js';

/** A platform error (timeout, runtime exit) as a stream's ending: InvokeComplete's ErrorCode and ErrorDetails. */
export function asStreamError(e: PlatformError): StreamError {
  let errorMessage = e.errorType;
  try {
    const doc = JSON.parse(e.payload.toString('utf8')) as { errorMessage?: unknown };
    if (typeof doc.errorMessage === 'string') errorMessage = doc.errorMessage;
  } catch {
    // The type alone then.
  }
  return { errorType: e.errorType, errorMessage };
}
