import type { EnvironmentState } from '../../src/invoke/environment-state.js';
import type { EnvironmentBinding, ExecutionEnvironment, InvocationInput, InvocationOutcome } from '../../src/invoke/environment-contract.js';
import type { Clock } from '../../src/ports/clock.js';

let counter = 0;

/**
 * An ExecutionEnvironment with no sandbox behind it, for the pool's and the invoke service's unit
 * tests: it starts when told (`initDone`), answers an invocation when told (`reply`) and goes back
 * to Ready only once its runtime "is back in /next" (`backInNext`, automatic unless `holdNext`).
 */
export class FakeEnvironment implements ExecutionEnvironment {
  readonly id = `fake-${++counter}`;
  readonly binding: EnvironmentBinding;
  readonly createdAt: number;
  readonly logStreamName = 'stream';
  readonly preInitialized = false;
  #state: EnvironmentState = 'Starting';
  #lastUsedAt: number;
  #invocations = 0;
  #init: Promise<{ ok: boolean }>;
  #initDone!: (ok: boolean) => void;
  #reply: ((payload: string) => void) | undefined;
  readonly #clock: Clock;
  readonly #listeners = new Set<(env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void>();
  /** Keep it Invoking after a reply until `backInNext()`. */
  holdNext = false;
  readonly inputs: InvocationInput[] = [];
  /** What `runQueueWaitMs` answers: a test moves it to stand for time its runtime waited for a CPU. */
  runQueueWait: number | undefined = 0;

  constructor(binding: EnvironmentBinding, clock: Clock, opts: { autoInit?: boolean } = {}) {
    this.binding = binding;
    this.#clock = clock;
    this.createdAt = clock.now();
    this.#lastUsedAt = this.createdAt;
    this.#init = new Promise((resolve) => (this.#initDone = (ok) => resolve({ ok })));
    if (opts.autoInit !== false) this.initDone(true);
  }

  get state(): EnvironmentState { return this.#state; }
  get lastUsedAt(): number { return this.#lastUsedAt; }
  get invocations(): number { return this.#invocations; }
  runQueueWaitMs(): number | undefined { return this.runQueueWait; }
  /** An invocation waits for `reply`. */
  get pending(): boolean { return this.#reply !== undefined; }

  onStateChange(listener: (env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  initDone(ok: boolean): void {
    this.#initDone(ok);
  }

  start(): Promise<{ ok: boolean }> {
    return this.#init.then((r) => {
      if (this.#state === 'Starting') this.#to(r.ok ? 'Ready' : 'Failed');
      return r;
    });
  }

  async invoke(input: InvocationInput): Promise<InvocationOutcome> {
    await this.start();
    this.inputs.push(input);
    this.#invocations++;
    this.#to('Invoking');
    const payload = await new Promise<string>((resolve) => (this.#reply = resolve));
    this.#reply = undefined;
    this.#lastUsedAt = this.#clock.now();
    if (!this.holdNext) this.backInNext();
    return { payload: Buffer.from(payload), log: '', durationMs: 1, billedDurationMs: 1, startType: this.#invocations === 1 ? 'cold' : 'warm' };
  }

  reply(payload = '"ok"'): void {
    if (!this.#reply) throw new Error(`${this.id} has no invocation waiting`);
    this.#reply(payload);
  }

  backInNext(): void {
    if (this.#state === 'Invoking') this.#to('Ready');
  }

  async stop(): Promise<void> {
    if (this.#state === 'Stopped') return;
    this.#to('Stopping');
    this.#to('Stopped');
  }

  #to(to: EnvironmentState): void {
    const from = this.#state;
    this.#state = to;
    for (const l of this.#listeners) l(this, from, to);
  }
}
