/**
 * Control plane → data plane notifications. The invoke side retires environments of a version when
 * its code or configuration changes or it is deleted, and adjusts provisioned concurrency.
 */
export type FunctionEvent =
  | { type: 'version-changed'; functionName: string; version: string }
  | { type: 'version-deleted'; functionName: string; version: string }
  | { type: 'function-deleted'; functionName: string }
  /** An alias was deleted: its policy, provisioned-concurrency and event-invoke configs go with it. */
  | { type: 'alias-deleted'; functionName: string; alias: string }
  | { type: 'provisioned-concurrency-changed'; functionName: string; qualifier: string };

export interface FunctionEvents {
  emit(event: FunctionEvent): void;
  subscribe(listener: (event: FunctionEvent) => void): () => void;
}
