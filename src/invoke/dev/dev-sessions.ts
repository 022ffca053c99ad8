import type { EnvironmentDebug } from './environment-debug.js';
import { InspectorForwarder } from './inspector-forwarder.js';

/**
 * Flint's developer loop on the server side (Flint extensions, not Lambda's API; see
 * docs/developer-loop.md): a function's `$LATEST` can run straight from a folder on the server's
 * host (hot reload: environments see the folder read-only at /var/task instead of an extracted
 * copy of the uploaded zip, as LocalStack's "hot-reload" code location does), and a function can be
 * debugged (new environments start their runtime with the inspector, forwarded to the host's
 * loopback). Both live in memory only: a restarted server runs the uploaded code again, undebugged.
 */
export class DevSessions {
  readonly #folders = new Map<string, string>();
  readonly #debug = new Map<string, InspectorForwarder>();
  readonly #retire: (functionName: string, version?: string) => void;

  /** `retire`: ends the environments of a function (a version, or all) so the next invocation starts fresh. */
  constructor(opts: { retire(functionName: string, version?: string): void }) {
    this.#retire = opts.retire;
  }

  /**
   * `$LATEST` of the function runs from `folder` from now on; environments of the code before
   * (the uploaded zip, or the folder as it was) are retired, so the next invocation loads it anew.
   * Calling it again with the same folder is the reload.
   */
  attachFolder(functionName: string, folder: string): void {
    this.#folders.set(functionName, folder);
    this.#retire(functionName, '$LATEST');
  }

  /** Back to the uploaded code; false when no folder was attached. */
  detachFolder(functionName: string): boolean {
    const had = this.#folders.delete(functionName);
    if (had) this.#retire(functionName, '$LATEST');
    return had;
  }

  /** The folder an environment of this version runs, if any (published versions never do: they are immutable). */
  codeFolder(functionName: string, version: string): string | undefined {
    return version === '$LATEST' ? this.#folders.get(functionName) : undefined;
  }

  /**
   * Debugs every version of the function: its environments end, and new ones start with the
   * inspector; it is reached on the host's 127.0.0.1:`port` (0: a free one). Resolves with the port.
   */
  async enableDebug(functionName: string, port: number): Promise<number> {
    const current = this.#debug.get(functionName);
    if (current && (port === 0 || current.port === port)) {
      this.#retire(functionName);
      return current.port;
    }
    const fwd = await InspectorForwarder.listen(port);
    if (current) await current.close();
    this.#debug.set(functionName, fwd);
    this.#retire(functionName);
    return fwd.port;
  }

  async disableDebug(functionName: string): Promise<boolean> {
    const fwd = this.#debug.get(functionName);
    if (!fwd) return false;
    this.#debug.delete(functionName);
    this.#retire(functionName);
    await fwd.close();
    return true;
  }

  debugPort(functionName: string): number | undefined {
    return this.#debug.get(functionName)?.port;
  }

  /** The hooks of one new environment of a debugged function. */
  async debugFor(functionName: string): Promise<EnvironmentDebug | undefined> {
    return this.#debug.get(functionName)?.forEnvironment();
  }

  /** The function was deleted: nothing of it stays. */
  async forget(functionName: string): Promise<void> {
    this.#folders.delete(functionName);
    await this.disableDebug(functionName);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#debug.values()].map((f) => f.close()));
    this.#debug.clear();
    this.#folders.clear();
  }
}
