/**
 * The platform lines Lambda writes into a function's log stream around each invocation, in AWS's
 * exact text (tab-separated fields, each followed by a tab on REPORT, as CloudWatch shows them).
 */

/** `2026/11/28/[$LATEST]0123456789abcdef0123456789abcdef`: one stream per execution environment. */
export function logStreamName(epochMs: number, version: string, hex32: string): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/[${version}]${hex32}`;
}

export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportFields {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on the first invocation of an on-demand environment (a cold start). */
  initDurationMs?: number;
  /** `timeout` or `error` when the invocation did not end with a reply. */
  status?: 'timeout' | 'error';
  errorType?: string;
}

export function reportLine(r: ReportFields): string {
  let line =
    `REPORT RequestId: ${r.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedDurationMs} ms\t` +
    `Memory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB\t`;
  if (r.initDurationMs !== undefined) line += `Init Duration: ${r.initDurationMs.toFixed(2)} ms\t`;
  if (r.status !== undefined) line += `Status: ${r.status}\t`;
  if (r.errorType !== undefined) line += `Error Type: ${r.errorType}\t`;
  return line;
}

/** Lambda's line when the deadline passes: `<ISO time> <requestId> Task timed out after 3.00 seconds`. */
export function timeoutLine(epochMs: number, requestId: string, timeoutSeconds: number): string {
  return `${new Date(epochMs).toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** `INIT_REPORT` for an initialization that failed or timed out (Lambda writes it before START). */
export function initReportLine(initDurationMs: number, status: 'error' | 'timeout', errorType?: string): string {
  return `INIT_REPORT Init Duration: ${initDurationMs.toFixed(2)} ms\tPhase: init\tStatus: ${status}${errorType ? `\tError Type: ${errorType}` : ''}`;
}

/** The first line of every stream: which runtime the environment started with. */
export function initStartLine(runtime: string): string {
  return `INIT_START Runtime Version: flint:${runtime}`;
}
