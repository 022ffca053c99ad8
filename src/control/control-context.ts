import type { Clock } from '../ports/clock.js';
import type { CodeStore } from '../ports/code-store.js';
import type { FunctionEvents } from '../ports/function-events.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { Arns } from '../domain/function-name.js';

/** What every control-plane service is built from. */
export interface ControlContext {
  store: MetadataStore;
  code: CodeStore;
  clock: Clock;
  arns: Arns;
  events: FunctionEvents;
  /** Random UUIDs (RevisionId, request ids); injectable for tests. */
  uuid(): string;
}

/** Lambda's LastModified format: ISO-8601 with milliseconds and a +0000 offset. */
export function lastModified(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
