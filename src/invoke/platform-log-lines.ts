import { endLine, initReportLine, initStartLine, reportLine, startLine, timeoutLine, type ReportFields } from '../observe/log-lines.js';

/** The part of a function's LoggingConfig that decides what its log stream receives. */
export interface LogFormatSetting {
  LogFormat: string;
  ApplicationLogLevel?: string;
  SystemLogLevel?: string;
}

/** Lambda's application levels, most detailed first (TRACE … FATAL). */
const APPLICATION_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
/** Level names runtimes write that stand for one of Lambda's (Python's logging names). */
const LEVEL_ALIASES: Record<string, string> = { WARNING: 'WARN', CRITICAL: 'FATAL' };
/** Lambda's system levels, most detailed first. */
const SYSTEM_LEVELS = ['DEBUG', 'INFO', 'WARN'] as const;

type SystemLevel = (typeof SYSTEM_LEVELS)[number];

/**
 * The platform's lines in a function's log stream, in the function's log format, and the
 * application-level filter Lambda applies to the function's own output.
 *
 * Text (the default) is Lambda's START / END / REPORT / INIT_START / INIT_REPORT text, unchanged.
 * JSON is what Lambda writes to CloudWatch for a JSON-format function: one object per event,
 * `{"time", "type", "record"}`, with the Telemetry API's event types and record fields
 * (`platform.initStart`, `platform.start`, `platform.runtimeDone`, `platform.report`,
 * `platform.initReport`), each sent only when its level is at or above the function's
 * SystemLogLevel — runtimeDone is DEBUG, the others INFO, so WARN hides them all (Lambda's
 * "event mapping for system log levels"). Application output is filtered by ApplicationLogLevel:
 * a JSON object line is at its `level` (Python's names mapped: WARNING → WARN, CRITICAL → FATAL),
 * anything else at INFO, as Lambda's log-level filtering documents.
 */
export class PlatformLogLines {
  readonly #json: boolean;
  readonly #system: number;
  readonly #application: number;

  constructor(setting: LogFormatSetting | undefined) {
    this.#json = setting?.LogFormat === 'JSON';
    this.#system = Math.max(0, SYSTEM_LEVELS.indexOf((setting?.SystemLogLevel ?? 'INFO') as SystemLevel));
    this.#application = Math.max(0, APPLICATION_LEVELS.indexOf((setting?.ApplicationLogLevel ?? 'INFO') as (typeof APPLICATION_LEVELS)[number]));
  }

  get json(): boolean {
    return this.#json;
  }

  /** The first line of a stream: the runtime the environment starts. */
  initStart(at: number, e: { runtime: string; runtimeVersionArn?: string; initializationType: string; functionName: string; version: string }): string | undefined {
    if (!this.#json) return initStartLine(e.runtime);
    return this.#event(at, 'platform.initStart', 'INFO', {
      initializationType: e.initializationType,
      phase: 'init',
      runtimeVersion: `flint:${e.runtime}`,
      ...(e.runtimeVersionArn ? { runtimeVersionArn: e.runtimeVersionArn } : {}),
      functionName: e.functionName,
      functionVersion: e.version,
    });
  }

  /** A failed or timed-out initialization (Lambda writes INIT_REPORT only then). */
  initReport(at: number, e: { initializationType: string; durationMs: number; status: 'error' | 'timeout'; errorType?: string }): string | undefined {
    if (!this.#json) return initReportLine(e.durationMs, e.status, e.errorType);
    return this.#event(at, 'platform.initReport', 'INFO', {
      initializationType: e.initializationType,
      phase: 'init',
      status: e.status,
      ...(e.errorType ? { errorType: e.errorType } : {}),
      metrics: { durationMs: ms(e.durationMs) },
    });
  }

  /**
   * An extension that completed its registration (first next): Text is rapid's
   * `EXTENSION\tName: <name>\tState: Ready\tEvents: [INVOKE,SHUTDOWN]`; JSON its platform.extension event.
   */
  extension(at: number, e: { name: string; state: string; events: readonly string[] }): string | undefined {
    if (!this.#json) return `EXTENSION\tName: ${e.name}\tState: ${e.state}\tEvents: [${e.events.join(',')}]`;
    return this.#event(at, 'platform.extension', 'INFO', { name: e.name, state: e.state, events: [...e.events] });
  }

  start(at: number, requestId: string, version: string): string | undefined {
    if (!this.#json) return startLine(requestId, version);
    return this.#event(at, 'platform.start', 'INFO', { requestId, version });
  }

  /** END in Text; in JSON the runtime's end of the invocation, a DEBUG event. */
  end(at: number, e: { requestId: string; durationMs: number; status: ReportStatus; errorType?: string; producedBytes?: number }): string | undefined {
    if (!this.#json) return endLine(e.requestId);
    return this.#event(at, 'platform.runtimeDone', 'DEBUG', {
      requestId: e.requestId,
      status: e.status,
      ...(e.status !== 'success' && e.errorType ? { errorType: e.errorType } : {}),
      metrics: { durationMs: ms(e.durationMs), ...(e.producedBytes !== undefined ? { producedBytes: e.producedBytes } : {}) },
    });
  }

  /**
   * REPORT, or platform.report. A function error (the runtime replied with an error) is a report
   * with status `error` and its errorType in JSON; Lambda's Text REPORT names Status and Error Type
   * only for timeouts and runtime failures.
   */
  report(at: number, r: ReportFields): string | undefined {
    if (!this.#json) {
      const { errorType, ...rest } = r;
      return reportLine(r.status !== undefined && errorType !== undefined ? { ...rest, errorType } : rest);
    }
    const status: ReportStatus = r.status ?? (r.errorType ? 'error' : 'success');
    return this.#event(at, 'platform.report', 'INFO', {
      requestId: r.requestId,
      metrics: {
        durationMs: ms(r.durationMs),
        billedDurationMs: r.billedDurationMs,
        memorySizeMB: r.memorySizeMb,
        maxMemoryUsedMB: r.maxMemoryUsedMb,
        ...(r.initDurationMs !== undefined ? { initDurationMs: ms(r.initDurationMs) } : {}),
      },
      status,
      ...(status !== 'success' && r.errorType ? { errorType: r.errorType } : {}),
    });
  }

  /**
   * Lambda's Text line when the deadline passes. In JSON the report's `timeout` status says it
   * (no text line is mixed into a JSON stream).
   */
  timeout(at: number, requestId: string, timeoutSeconds: number): string | undefined {
    return this.#json ? undefined : timeoutLine(at, requestId, timeoutSeconds);
  }

  /** Lambda's Text lines for a runtime that died mid-invocation; JSON carries them in the report's status and errorType. */
  runtimeExited(requestId: string, reason: string, errorType: string): string[] {
    return this.#json ? [] : [`RequestId: ${requestId} Error: ${reason}`, errorType];
  }

  /** Whether a line of the function's own output reaches the log (ApplicationLogLevel, JSON only). */
  keeps(line: string): boolean {
    if (!this.#json || this.#application === 0) return true;
    return applicationLevel(line) >= this.#application;
  }

  #event(at: number, type: string, level: SystemLevel, record: Record<string, unknown>): string | undefined {
    if (SYSTEM_LEVELS.indexOf(level) < this.#system) return undefined;
    return JSON.stringify({ time: new Date(at).toISOString(), type, record });
  }
}

export type ReportStatus = 'success' | 'error' | 'timeout';

/** Durations as Lambda's records carry them: milliseconds with at most three decimals. */
function ms(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** The level of one line of application output: a JSON object's `level` (or Python's `log_level`), else INFO. */
function applicationLevel(line: string): number {
  const info = APPLICATION_LEVELS.indexOf('INFO');
  if (line.charCodeAt(0) !== 0x7b /* { */) return info;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return info;
  }
  if (!parsed || typeof parsed !== 'object') return info;
  const raw = (parsed as Record<string, unknown>)['level'] ?? (parsed as Record<string, unknown>)['log_level'];
  if (typeof raw !== 'string') return info;
  const name = raw.toUpperCase();
  const i = APPLICATION_LEVELS.indexOf((LEVEL_ALIASES[name] ?? name) as (typeof APPLICATION_LEVELS)[number]);
  return i < 0 ? info : i;
}
