import type { SandboxExit } from '../ports/sandbox-driver.js';
import { MAX_RUNTIME_PAYLOAD_BYTES } from '../runtime-api/runtime-channel.js';

/**
 * The error bodies Lambda itself writes into an Invoke response when the function could not reply
 * (recorded from AWS: test_lambda.snapshot.json). Key order is AWS's: errorType first for the
 * platform's errors, errorMessage first for the response-size error.
 */
export interface PlatformError {
  errorType: string;
  payload: Buffer;
}

const json = (o: Record<string, string>) => Buffer.from(JSON.stringify(o));

/** `Sandbox.Timedout`, "RequestId: <id> Error: Task timed out after 1.00 seconds". */
export function timedOut(requestId: string, seconds: number): PlatformError {
  const errorType = 'Sandbox.Timedout';
  return { errorType, payload: json({ errorType, errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds` }) };
}

/**
 * The runtime process ended before replying: `Runtime.ExitError` with the exit described as Go's
 * os.ProcessState prints it ("exit status 127", "signal: killed"), or `Runtime.OutOfMemory` when
 * the memory limit killed it.
 */
export function runtimeExited(requestId: string, exit: SandboxExit): PlatformError {
  const errorType = exit.oomKilled ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
  return { errorType, payload: json({ errorType, errorMessage: `RequestId: ${requestId} Error: ${exitReason(exit)}` }) };
}

/**
 * An external extension that exits after Init (Lambda resets the environment): rapid's
 * `Extension.Crash` (it crashed unexpectedly) or `Extension.ExitError` (it posted exit/error
 * first), with the exit as Go words it.
 */
export function extensionCrashed(requestId: string, name: string, code: number, errorType: 'Extension.Crash' | 'Extension.ExitError' = 'Extension.Crash'): PlatformError {
  return { errorType, payload: json({ errorType, errorMessage: `RequestId: ${requestId} Error: extension ${name} exited: exit status ${code}` }) };
}

export function exitReason(exit: SandboxExit): string {
  return exit.signal === null && exit.code === 0 && !exit.oomKilled ? 'Runtime exited without providing a reason' : `Runtime exited with error: ${describeExit(exit)}`;
}

export function describeExit(exit: SandboxExit): string {
  if (exit.oomKilled) return 'signal: killed';
  if (exit.signal) return `signal: ${SIGNAL_TEXT[exit.signal] ?? exit.signal}`;
  return `exit status ${exit.code ?? 0}`;
}

/** Go's names for the signals a runtime usually dies of. */
const SIGNAL_TEXT: Record<string, string> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted (core dumped)',
  SIGSEGV: 'segmentation fault (core dumped)',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGBUS: 'bus error (core dumped)',
  SIGILL: 'illegal instruction (core dumped)',
  SIGFPE: 'floating point exception (core dumped)',
  SIGPIPE: 'broken pipe',
};

/** The runtime posted a response over 6 MB (+100 bytes). */
export function responseTooLarge(): PlatformError {
  const errorType = 'Function.ResponseSizeTooLarge';
  return { errorType, payload: json({ errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RUNTIME_PAYLOAD_BYTES} bytes).`, errorType }) };
}

/** A `provided` function without a bootstrap, or one that cannot be executed. */
export function invalidEntrypoint(requestId: string, message: string): PlatformError {
  const errorType = 'Runtime.InvalidEntrypoint';
  return { errorType, payload: json({ errorType, errorMessage: `RequestId: ${requestId} Error: ${message}` }) };
}

/** The errorType of a runtime-posted error body (`{errorType, ...}`), when it has one. */
export function errorTypeOf(payload: Buffer, header?: string): string | undefined {
  if (header) return header;
  try {
    const v = JSON.parse(payload.toString('utf8')) as { errorType?: unknown };
    return typeof v?.errorType === 'string' ? v.errorType : undefined;
  } catch {
    return undefined;
  }
}
