import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { SandboxDriver, SandboxExit, UnboundSandbox } from '../ports/sandbox-driver.js';
import type { FunctionConfiguration } from '../domain/records.js';
import { RuntimeChannel, type RuntimeChannelListener } from '../runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../runtime-api/runtime-api-server.js';
import type { RuntimeCatalog } from './runtime-catalog.js';
import { stemKeyString, type StemKey } from './prewarm-sizing.js';

type OutputSink = (chunk: Buffer, stream: 'stdout' | 'stderr') => void;

/** Output a runtime writes before its function is bound (a warning at start): kept for its environment's log, bounded. */
const EARLY_OUTPUT_LIMIT = 64 * 1024;

/**
 * A pre-initialized runtime ("stem cell"): a sandbox whose runtime process has started and waits
 * in Flint's GET /2018-06-01/flint/bind for the function it will run, with its own Runtime API
 * endpoint. An execution environment adopts it at most once; it never serves anything else.
 *
 * It is started with as little as the runtime needs to get going (PATH, LANG, TZ, the runtime's
 * own variables with placeholder paths, AWS_LAMBDA_RUNTIME_API); FLINT_STEM_KEYS names them so the
 * runtime can replace exactly these with the function's environment at bind.
 */
export class StemCell {
  readonly id = `env-${randomBytes(8).toString('hex')}`;
  readonly key: StemKey;
  readonly keyString: string;
  readonly channel: RuntimeChannel;
  readonly server: RuntimeApiServer;
  /** Monotonic ms when the start began. */
  readonly startedAt: number;
  /** Monotonic ms when the runtime reached /flint/bind. */
  readyAt: number | undefined;
  #sandbox: UnboundSandbox | undefined;
  #runtimeApi: string | undefined;
  #sink: OutputSink | undefined;
  #early: Array<{ chunk: Buffer; stream: 'stdout' | 'stderr' }> = [];
  #earlyBytes = 0;
  #adopted = false;
  #destroyed = false;
  #onReady: (() => void) | undefined;

  private constructor(key: StemKey, clock: Clock) {
    this.key = key;
    this.keyString = stemKeyString(key);
    this.startedAt = clock.monotonic();
    const listener: RuntimeChannelListener = {
      bindWaiting: () => {
        this.readyAt = clock.monotonic();
        this.#onReady?.();
      },
      // Nothing else can happen before an environment adopts it (the channel refuses every other call while Unbound).
      initDone: () => {},
      initError: () => {},
      reply: () => {},
      ready: () => {},
    };
    this.channel = new RuntimeChannel(listener, { unbound: true });
    this.server = new RuntimeApiServer(this.channel);
  }

  /**
   * Starts one for `key` with the driver's `startUnbound`. Resolves once the process runs (not when
   * it reached /flint/bind: `whenReady`).
   */
  static async start(deps: { driver: SandboxDriver; runtimes: RuntimeCatalog; clock: Clock; runtimeId: string }, key: StemKey): Promise<StemCell> {
    const { driver } = deps;
    if (!driver.startUnbound) throw new Error(`the ${driver.name} sandbox driver cannot start runtimes ahead of their function`);
    const cell = new StemCell(key, deps.clock);
    try {
      const api = await cell.server.listen('127.0.0.1');
      const runtimeDirBase = deps.runtimes.host.runtimeFilesDir;
      // A placeholder function: only the runtime family, memory and storage shape the start.
      const config = { FunctionName: 'stem', Runtime: deps.runtimeId, MemorySize: key.memoryMb, Handler: '' } as FunctionConfiguration;
      const choice = deps.runtimes.resolve(config, runtimeDirBase, []);
      const paths = driver.paths({ id: cell.id, taskRoot: choice.runtimeDir, runtimeDir: choice.runtimeDir, layers: [] });
      const launch = choice.launch(paths);
      if ('entrypointError' in launch) throw new Error(launch.entrypointError);
      cell.#runtimeApi = driver.runtimeApiAddress({ id: cell.id, runtimeApi: api, network: 'default' });
      const env: Record<string, string> = {
        PATH: deps.runtimes.pathVariable(paths),
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        ...launch.env,
        AWS_LAMBDA_RUNTIME_API: cell.#runtimeApi,
        LAMBDA_RUNTIME_DIR: paths.runtimeDir,
      };
      env['FLINT_STEM_KEYS'] = [...Object.keys(env), 'FLINT_STEM_KEYS'].join(',');
      cell.#sandbox = await driver.startUnbound({
        id: cell.id,
        runtimeDir: choice.runtimeDir,
        argv: launch.argv,
        env,
        memoryMb: key.memoryMb,
        ephemeralStorageMb: key.ephemeralStorageMb,
        runtimeApi: api,
        network: 'default',
        onOutput: (chunk, stream) => cell.#output(chunk, stream),
      });
      return cell;
    } catch (err) {
      await cell.destroy();
      throw err;
    }
  }

  get sandbox(): UnboundSandbox {
    if (!this.#sandbox) throw new Error(`stem cell ${this.id} has no sandbox`);
    return this.#sandbox;
  }

  /** AWS_LAMBDA_RUNTIME_API inside its sandbox. */
  get runtimeApiAddress(): string {
    return this.#runtimeApi!;
  }

  get exited(): Promise<SandboxExit> {
    return this.sandbox.exited;
  }

  /** Its runtime waits in /flint/bind: binding it starts loading the function at once. */
  get ready(): boolean {
    return this.channel.bindWaiting;
  }

  get adopted(): boolean {
    return this.#adopted;
  }

  /** Resolves when the runtime reaches /flint/bind (at once if it has). */
  whenReady(): Promise<void> {
    if (this.readyAt !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.#onReady;
      this.#onReady = () => {
        prev?.();
        resolve();
      };
    });
  }

  /** An environment takes it over: its channel events and output go there from now on (output so far first). */
  adopt(listener: RuntimeChannelListener, sink: OutputSink): void {
    if (this.#adopted) throw new Error(`stem cell ${this.id} was already adopted`);
    this.#adopted = true;
    this.channel.attach(listener);
    // The cell's own listener hears no /flint/bind after this: release whoever waits for it (the
    // pool counts a starting cell against maxStarting until then, and would otherwise stall).
    const waiting = this.#onReady;
    this.#onReady = undefined;
    waiting?.();
    this.#sink = sink;
    for (const o of this.#early) sink(o.chunk, o.stream);
    this.#early = [];
  }

  /** Stops an unadopted cell (an adopted one is its environment's to stop). */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.channel.close();
    await this.#sandbox?.destroy().catch(() => {});
    await this.server.close();
  }

  #output(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    if (this.#sink) return this.#sink(chunk, stream);
    if (this.#earlyBytes + chunk.length > EARLY_OUTPUT_LIMIT) return;
    this.#earlyBytes += chunk.length;
    this.#early.push({ chunk, stream });
  }
}
