/**
 * A folder that cannot or must not be packaged. The message is for the person deploying: what was
 * found, where, and what to do; the CLI prints it as is (no stack trace).
 */
export class PackagingError extends Error {
  override readonly name = 'PackagingError';
}
