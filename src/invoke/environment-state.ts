/**
 * The lifecycle of an execution environment as an explicit state machine. Every transition not
 * listed is illegal and throws (AWS's runtime emulator and OpenWhisk's container proxy do the same:
 * disallowed by default, allowed only where a state says so).
 *
 *   Starting ──► Ready ⇄ Invoking
 *      │           │        │
 *      ├──► Failed ◄────────┤        (init error, crash, out of memory)
 *      ▼           ▼        ▼
 *   Stopping ◄─────┴────────┘ ◄── Failed
 *      ▼
 *   Stopped
 */
export type EnvironmentState = 'Starting' | 'Ready' | 'Invoking' | 'Stopping' | 'Stopped' | 'Failed';

const ALLOWED: Readonly<Record<EnvironmentState, readonly EnvironmentState[]>> = {
  Starting: ['Ready', 'Failed', 'Stopping'],
  Ready: ['Invoking', 'Failed', 'Stopping'],
  Invoking: ['Ready', 'Failed', 'Stopping'],
  Failed: ['Stopping'],
  Stopping: ['Stopped'],
  Stopped: [],
};

export class IllegalTransitionError extends Error {
  constructor(readonly from: EnvironmentState, readonly to: EnvironmentState, id: string) {
    super(`execution environment ${id}: illegal transition ${from} → ${to}`);
  }
}

export class EnvironmentStateMachine {
  #state: EnvironmentState = 'Starting';
  readonly #id: string;
  readonly #onChange: (from: EnvironmentState, to: EnvironmentState) => void;

  constructor(id: string, onChange: (from: EnvironmentState, to: EnvironmentState) => void = () => {}) {
    this.#id = id;
    this.#onChange = onChange;
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  can(to: EnvironmentState): boolean {
    return ALLOWED[this.#state].includes(to);
  }

  to(next: EnvironmentState): void {
    const from = this.#state;
    if (!ALLOWED[from].includes(next)) throw new IllegalTransitionError(from, next, this.#id);
    this.#state = next;
    this.#onChange(from, next);
  }

  /** Whether the environment is on its way out (no further invocations). */
  get ending(): boolean {
    return this.#state === 'Stopping' || this.#state === 'Stopped' || this.#state === 'Failed';
  }
}
