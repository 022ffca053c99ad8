import type { FunctionEvent, FunctionEvents } from '../ports/function-events.js';

/** FunctionEvents within one process (a cluster would carry them over PostgreSQL NOTIFY). */
export class InProcessEvents implements FunctionEvents {
  readonly #listeners = new Set<(e: FunctionEvent) => void>();

  emit(event: FunctionEvent): void {
    for (const l of this.#listeners) l(event);
  }

  subscribe(listener: (e: FunctionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
