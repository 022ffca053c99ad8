/**
 * A failure the user can act on: printed as `error: <message>` without a stack trace (unless
 * --debug), with the exit code given (1: the command failed; 2: the command line was wrong).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
