import { spawn, type ChildProcess } from 'node:child_process';
import { SlirpEgress, SLIRP_STDIO, slirpArgs } from './slirp-egress.js';
import { sharedSpawnHelper, type SpawnHelper } from './spawner/spawn-helper.js';

const REFILL_DELAY_MS = 150;

/** A network namespace ready for one sandbox (never reused), with egress attached in `default` mode. */
export interface PreparedNetns {
  /** Path to open and setns() into. */
  readonly path: string;
  /** Ends the holder once a sandbox is inside (the namespace lives on while anything is in it). */
  dropHolder(): void;
  /** Ends the holder and the egress helper. */
  release(): void;
}

/**
 * Network namespaces made ahead of time. Creating one (and, for outbound access, attaching
 * slirp4netns to it) measured 10–35 ms on these hosts: the pool keeps `target` of each mode
 * ready so a cold start finds one instead of waiting, and refills in the background. A mode is
 * pooled only once it has been asked for. Holders and egress helpers are tied to this process by
 * pipes: if the server dies, they exit by themselves.
 */
export class NetnsPool {
  readonly #initPath: string;
  readonly #slirp: string | undefined;
  readonly #target: number;
  readonly #ready: Record<'default' | 'isolated', Promise<PreparedNetns>[]> = { default: [], isolated: [] };

  constructor(opts: { initPath: string; slirp4netns?: string; target: number }) {
    this.#initPath = opts.initPath;
    this.#slirp = opts.slirp4netns;
    this.#target = opts.target;
  }

  /** Takes a prepared namespace (or makes one now when the pool is empty) and refills behind it. */
  async take(mode: 'default' | 'isolated', opts: { refill?: boolean } = {}): Promise<PreparedNetns> {
    if (opts.refill === false && this.#ready[mode].length === 0) return this.#create(mode);
    const pooled = this.#ready[mode].shift();
    // Refill a moment later, not while the sandbox just handed out is starting on the same CPUs.
    setTimeout(() => this.#refill(mode), REFILL_DELAY_MS).unref();
    if (pooled) {
      try {
        return await pooled;
      } catch {
        // A pooled one failed (e.g. the helper died): make a fresh one below.
      }
    }
    return this.#create(mode);
  }

  #refill(mode: 'default' | 'isolated'): void {
    while (this.#ready[mode].length < this.#target) {
      const p = this.#create(mode);
      p.catch(() => {});
      this.#ready[mode].push(p);
    }
  }

  async #create(mode: 'default' | 'isolated'): Promise<PreparedNetns> {
    const spawner = await sharedSpawnHelper();
    if (spawner) return this.#createThrough(spawner, mode);
    const holder = spawn(this.#initPath, ['--hold-netns'], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    const kill = () => { holder.stdin?.destroy(); if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL'); };
    try {
      await waitReady(holder);
      detach(holder);
      const path = `/proc/${holder.pid}/ns/net`;
      let egress: SlirpEgress | undefined;
      if (mode === 'default' && this.#slirp) {
        egress = await SlirpEgress.start(this.#slirp, holder.pid!);
        egress.detach();
      }
      return { path, dropHolder: kill, release: () => { egress?.stop(); kill(); } };
    } catch (err) {
      kill();
      throw err;
    }
  }

  /**
   * The same through the spawner helper (src/sandbox/spawner): the two forks per namespace happen
   * in that small process, not in the server's event loop. The server keeps them by pid.
   */
  async #createThrough(spawner: SpawnHelper, mode: 'default' | 'isolated'): Promise<PreparedNetns> {
    const holder = await spawner.spawnReady(this.#initPath, ['--hold-netns'], HOLDER_STDIO, 1);
    const kill = () => spawner.stop(holder, [0]);
    try {
      let egress: number | undefined;
      if (mode === 'default' && this.#slirp) {
        egress = await spawner.spawnReady(this.#slirp, slirpArgs(holder), SLIRP_STDIO, 3);
      }
      return { path: `/proc/${holder}/ns/net`, dropHolder: kill, release: () => { if (egress !== undefined) spawner.stop(egress, [4]); kill(); } };
    } catch (err) {
      kill();
      throw err;
    }
  }
}

/** Holder stdio: stdin (its end tells it to exit), stdout (its "ready" line), stderr. */
const HOLDER_STDIO: Array<'pipe'> = ['pipe', 'pipe', 'pipe'];

function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdout!.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`network namespace holder exited (${code}): ${err.trim()}`)));
  });
}

/** Lets the server exit while holders wait in the pool (their stdin pipe still ties them to it). */
function detach(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.on('error', () => {});
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr] as ({ unref?: () => void } | null)[]) s?.unref?.();
}
