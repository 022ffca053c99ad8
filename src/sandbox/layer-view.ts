import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface View { path: string; refs: number; ready: Promise<void> }

/**
 * The merged `/opt` of a sandbox. Lambda extracts a function's layers into /opt in order, a later
 * layer's file replacing an earlier one's. Two or more layers become one read-only overlayfs
 * (lowerdir = last layer first), mounted once per distinct layer list and shared by every sandbox
 * using that list; one layer is bound directly; none gives an empty /opt.
 */
export class LayerViews {
  readonly #dir: () => string;
  readonly #views = new Map<string, View>();

  /** `dir` gives the (per server instance) directory to mount merged views under. */
  constructor(dir: () => string) {
    this.#dir = dir;
  }

  /** Host path to bind at /opt, or undefined for an empty /opt; pair every call with `release`. */
  async acquire(layers: readonly string[]): Promise<string | undefined> {
    if (layers.length === 0) return undefined;
    if (layers.length === 1) return layers[0];
    for (const l of layers) if (/[,:\n]/.test(l)) throw new Error(`layer path not usable in an overlay: ${l}`);
    const key = createHash('sha256').update(layers.join('\0')).digest('hex').slice(0, 16);
    let view = this.#views.get(key);
    if (!view) {
      const path = join(this.#dir(), `opt-${key}`);
      mkdirSync(path, { recursive: true, mode: 0o755 });
      const lower = [...layers].reverse().join(':');
      const ready = run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lower}`, path]).then(() => undefined);
      view = { path, refs: 0, ready };
      this.#views.set(key, view);
      ready.catch(() => { if (this.#views.get(key) === view) this.#views.delete(key); });
    }
    view.refs++;
    try {
      await view.ready;
    } catch (err) {
      view.refs--;
      throw new Error(`cannot merge layers into /opt: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
    }
    return view.path;
  }

  async release(layers: readonly string[]): Promise<void> {
    if (layers.length < 2) return;
    const key = createHash('sha256').update(layers.join('\0')).digest('hex').slice(0, 16);
    const view = this.#views.get(key);
    if (!view || --view.refs > 0) return;
    this.#views.delete(key);
    // Lazy unmount: a sandbox still tearing down may hold it for a moment.
    await run('umount', ['-l', view.path]).catch(() => {});
    try { rmdirSync(view.path); } catch { /* best effort */ }
  }
}
