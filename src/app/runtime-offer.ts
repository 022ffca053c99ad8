import { SUPPORTED_RUNTIMES } from '../control/function-validation.js';

/**
 * The runtimes Lambda accepts (CreateFunction's list) and which of them Flint can run, for tools
 * outside the server (the CLI validates `--runtime` before it calls the API).
 */
export const LAMBDA_RUNTIMES: readonly string[] = SUPPORTED_RUNTIMES;

/** Flint runs nodejs*.x on the host's Node.js, python3.* on the host's python3, provided* by the function's bootstrap. */
export function flintRuns(runtime: string): boolean {
  return /^nodejs\d+\.x$/.test(runtime) || /^python3\.\d+$/.test(runtime) || /^provided(\.al2|\.al2023)?$/.test(runtime);
}
