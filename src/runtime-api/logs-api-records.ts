import type { TelemetryEvent } from './telemetry-api.js';

/** The Logs API's schema versions: 2021-03-18 adds `platform.runtimeDone` (Logs API reference). */
export const LOGS_SCHEMA_VERSIONS = ['2020-08-15', '2021-03-18'] as const;

/**
 * One Telemetry API record as the older Logs API (2020-08-15) delivers it, or undefined when the
 * Logs API has no such record. The Logs API reference lists `platform.start` and `platform.end`
 * (`{requestId}`, with the version on start as Lambda sends it), `platform.report` (requestId and
 * metrics, no status), `platform.fault`, `platform.extension`, `platform.logsSubscription`,
 * `platform.logsDropped`, and — only with schemaVersion 2021-03-18 — `platform.runtimeDone`
 * (`{requestId, status}`, status success, failure or timeout). It has no init records
 * (`platform.initStart`, `platform.initRuntimeDone`, `platform.initReport`), no spans and no
 * `platform.telemetrySubscription`. Function and extension lines are the same strings.
 */
export function asLogsApiRecord(ev: TelemetryEvent, schemaVersion: string): TelemetryEvent | undefined {
  const r = (ev.record ?? {}) as Record<string, unknown>;
  switch (ev.type) {
    case 'function':
    case 'extension':
    case 'platform.end':
    case 'platform.fault':
    case 'platform.extension':
    case 'platform.logsSubscription':
    case 'platform.logsDropped':
      return ev;
    case 'platform.start':
      return { time: ev.time, type: ev.type, record: { requestId: r['requestId'], ...(r['version'] !== undefined ? { version: r['version'] } : {}) } };
    case 'platform.runtimeDone':
      if (schemaVersion !== '2021-03-18') return undefined;
      // The Telemetry API's `error` (the function returned an error) is the Logs API's `failure`.
      return { time: ev.time, type: ev.type, record: { requestId: r['requestId'], status: r['status'] === 'error' ? 'failure' : r['status'] } };
    case 'platform.report': {
      const m = (r['metrics'] ?? {}) as Record<string, unknown>;
      const metrics: Record<string, unknown> = { durationMs: m['durationMs'], billedDurationMs: m['billedDurationMs'], memorySizeMB: m['memorySizeMB'], maxMemoryUsedMB: m['maxMemoryUsedMB'] };
      if (m['initDurationMs'] !== undefined) metrics['initDurationMs'] = m['initDurationMs'];
      return { time: ev.time, type: ev.type, record: { requestId: r['requestId'], metrics } };
    }
    default:
      return undefined;
  }
}

/** Records only the Logs API has: the Telemetry API's subscribers never get them. */
export function logsApiOnly(type: string): boolean {
  return type === 'platform.end' || type === 'platform.fault' || type === 'platform.logsSubscription';
}
