import type { Clock } from '../ports/clock.js';
import type { CodeStore } from '../ports/code-store.js';
import type { FunctionEvents } from '../ports/function-events.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { KeyService } from '../ports/key-service.js';
import type { Arns } from '../domain/function-name.js';

/** What every control-plane service is built from. */
export interface ControlContext {
  store: MetadataStore;
  code: CodeStore;
  clock: Clock;
  arns: Arns;
  events: FunctionEvents;
  /**
   * The KMS key service: functions' environment variables and code bindings are sealed under their
   * keys. Absent only where a test exercises other parts; records then stay as given.
   */
  keys?: KeyService;
  /** Random UUIDs (RevisionId, request ids); injectable for tests. */
  uuid(): string;
}

/** Lambda's LastModified format: ISO-8601 with milliseconds and a +0000 offset. */
export function lastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
