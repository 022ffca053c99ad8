import { CommanderError } from 'commander';
import { currentTarget } from './cli-client.js';
import { CliError } from './cli-error.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/** Error types meaning the server does not know the signer (AWS: the access key id is not in its account). */
const UNKNOWN_SIGNER = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'InvalidClientTokenId', 'IncompleteSignature']);

/**
 * Turns any failure into one or two plain lines on stderr and an exit code: 2 when the command line
 * was wrong, 1 otherwise. Stack traces only with --debug: the SDK's are 25 lines of its internals
 * and say nothing a user can act on.
 */
export function reportError(err: unknown, debug: boolean, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  if (err instanceof CommanderError) {
    // Commander printed its message already (help, version, or the usage error).
    return err.exitCode === 0 ? 0 : 2;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  write(`error: ${describe(e)}\n`);
  if (debug) write(`${e.stack ?? ''}\n`);
  // A TypeError and kin is Flint's bug, not the user's: point at the details worth reporting.
  else if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError) write('(this looks like a bug in flint: run again with --debug and report the trace)\n');
  return e instanceof CliError ? e.exitCode : (e as { exitCode?: number }).exitCode ?? 1;
}

function describe(e: Error): string {
  const target = currentTarget();
  const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code ?? (e as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;
  if (code && UNREACHABLE.has(code)) {
    return `cannot reach Flint at ${target?.endpoint ?? 'the endpoint'} (${code}): start it with \`flint server\`, or point --endpoint / AWS_ENDPOINT_URL at a running one`;
  }
  const metadata = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (metadata && UNKNOWN_SIGNER.has(e.name) && target) {
    return `the server at ${target.endpoint} does not accept access key ${target.credentials.accessKeyId} (from ${target.credentialSource}).\nUse that server's credentials: \`flint env\` on its host prints them, or point FLINT_DATA_DIR at its data directory`;
  }
  if (metadata && e.name === 'ResourceNotFoundException' && target) return `${e.message} (at ${target.endpoint}; \`flint functions list\` shows what is there)`;
  if (metadata && e.name === 'AccessDeniedException') return `access denied: ${e.message}`;
  if (metadata) return `${e.name}: ${e.message}`;
  if (e.name === 'TimeoutError') return `the server at ${target?.endpoint ?? 'the endpoint'} did not answer in time: ${e.message}`;
  return e.message;
}
