import { readFileSync } from 'node:fs';
import type { SandboxPaths, SandboxSpec, UnboundSandbox } from '../ports/sandbox-driver.js';
import { SANDBOX_PATHS } from './bwrap-args.js';
import { BwrapSandbox, type SandboxParts } from './bwrap-sandbox.js';
import type { MountInto } from './mount-into.js';

/**
 * A bwrap sandbox started before its function is known (a pre-initialized runtime): /var/task
 * and /opt are empty directories on its read-only root until `bind` attaches the function's code
 * and layers there, read-only, from inside its own mount namespace (flint-mount-into). The paths
 * the function sees are then exactly a cold sandbox's, and the host's namespace never holds a
 * mount for it. A failed bind destroys the sandbox: the caller cold-starts instead.
 */
export class UnboundBwrapSandbox extends BwrapSandbox implements UnboundSandbox {
  readonly #parts: SandboxParts;
  readonly #mountInto: MountInto;
  #bound = false;

  constructor(id: string, runtimeApiAddress: string, parts: SandboxParts, mountInto: MountInto) {
    super(id, runtimeApiAddress, parts);
    this.#parts = parts;
    this.#mountInto = mountInto;
  }

  async bind(code: Pick<SandboxSpec, 'taskRoot' | 'layers'>): Promise<SandboxPaths> {
    // Once: a sandbox that served one function version never shows another's code.
    if (this.#bound) throw new Error(`sandbox ${this.id} is already bound`);
    this.#bound = true;
    const p = this.#parts;
    try {
      const pid = p.initPid ?? (await p.initPidKnown);
      if (pid === undefined || p.released) throw new Error('the sandbox has ended');
      await commandStarted(pid, () => p.released === true);
      const mounts: Array<[string, string]> = [[code.taskRoot, SANDBOX_PATHS.taskRoot]];
      const opt = optSource(code.layers);
      if (opt !== undefined) mounts.push([opt, SANDBOX_PATHS.opt]);
      await this.#mountInto.run(pid, mounts);
      p.startInitBoost?.();
      return { ...SANDBOX_PATHS };
    } catch (err) {
      await this.destroy().catch(() => {});
      throw new Error(`binding pre-initialized sandbox ${this.id} failed: ${(err as Error).message}`);
    }
  }
}

/** How long a bind waits for a sandbox that is still being built. */
const SETUP_WAIT_MS = 10_000;

/**
 * Resolves once bwrap has exec'd the sandbox's command: bwrap reports its pid as soon as it has
 * cloned, while it is still building the mount namespace (pivot_root, the binds, the read-only
 * root), and execs the command only when that is complete. A bind before then would race bwrap's
 * own mounts. A runtime already waiting for its function (the usual case) passes at once.
 */
async function commandStarted(initPid: number, ended: () => boolean): Promise<void> {
  const until = performance.now() + SETUP_WAIT_MS;
  for (;;) {
    if (ended()) throw new Error('the sandbox has ended');
    let started: boolean;
    try {
      // With the native init, bwrap's first process is the init itself (--as-pid-1): "bwrap"
      // until bwrap execs it. With bwrap's own reaper as pid 1, its child is the command.
      const comm = (pid: string) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').split(' ').filter((c) => c.trim() !== '');
      started = comm(String(initPid)) !== 'bwrap' || children.some((c) => { try { return comm(c) !== 'bwrap'; } catch { return false; } });
    } catch {
      throw new Error('the sandbox has ended');
    }
    if (started) return;
    if (performance.now() > until) throw new Error(`the sandbox did not start its command within ${SETUP_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * What flint-mount-into shows as /opt: nothing for no layer, the one layer's directory, or an
 * overlay of several built for this sandbox alone (Lambda extracts layers in order, a later
 * layer's file replacing an earlier one's: the last layer is the overlay's top). Unlike a cold
 * start's shared overlay (LayerViews), it is never mounted on the host and lives as long as the
 * sandbox's mount namespace.
 */
function optSource(layers: readonly string[]): string | undefined {
  if (layers.length === 0) return undefined;
  if (layers.length === 1) return layers[0];
  for (const l of layers) if (/[,:\n]/.test(l) || !l.startsWith('/')) throw new Error(`layer path not usable in an overlay: ${l}`);
  return `overlay=${[...layers].reverse().join(':')}`;
}
