import type { Sandbox } from '../../ports/sandbox-driver.js';
import type { Timer, TimerClock } from '../../ports/clock.js';
import type { RuntimeFamily } from '../runtime-catalog.js';

/**
 * What a debug session asks of one execution environment (a Flint extension; Lambda has no
 * debugger). The environment calls these at fixed points of its life and knows nothing else of
 * debugging: the inspector flags come in through its variables, the port is forwarded once its
 * sandbox exists, and its timers ask whether a debugger holds them.
 */
export interface EnvironmentDebug {
  /** Variables the runtime process gets on top of its own (e.g. NODE_OPTIONS with the inspector); none for runtimes without a debugger. */
  variables(family: RuntimeFamily, current: Readonly<Record<string, string>>): Record<string, string>;
  /** The environment's sandbox runs: its inspector port may be forwarded to the host now. */
  started(sandbox: Sandbox): void;
  /**
   * True while the init or invocation timeout must wait: a debugger is attached, or the runtime
   * still waits for the first one (the inspector holds its start until a debugger comes).
   */
  holding(): boolean;
  /** The environment stopped: the forward to it ends. */
  stopped(): void;
}

/** How often a held timeout checks again whether the debugger has gone. */
const HOLD_CHECK_MS = 250;

/**
 * A timer for `ms` that, with a debugger holding the environment, fires only once nothing holds it
 * any more (checked every quarter second after the deadline). Returns the cancel function.
 */
export function debugAwareTimer(clock: TimerClock, debug: EnvironmentDebug | undefined, ms: number, fire: () => void): () => void {
  if (!debug) {
    const plain = clock.setTimeout(fire, ms);
    return () => clock.clearTimer(plain);
  }
  let timer: Timer;
  const check = (): void => {
    if (debug.holding()) timer = clock.setTimeout(check, HOLD_CHECK_MS);
    else fire();
  };
  timer = clock.setTimeout(check, ms);
  return () => clock.clearTimer(timer);
}
