import { chmodSync, chownSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { RuntimeApiEndpoint } from '../ports/sandbox-driver.js';

const NEXT_REQUEST = Buffer.from('GET /2018-06-01/runtime/invocation/next');

/** Where a bridge's connections go: fixed, or looked up per connection (undefined: refused). */
export type BridgeTarget = RuntimeApiEndpoint | (() => RuntimeApiEndpoint | undefined);

/**
 * Host end of a sandbox's way to one host TCP address: a unix socket (bind-mounted into the
 * sandbox, where the in-sandbox relay connects to it) whose connections are piped to exactly that
 * address on the host's loopback — the environment's Runtime API, or Flint's own front door. These
 * are the only ways out of an `isolated` sandbox, and the only host addresses a `default` one can
 * reach through its loopback.
 *
 * A target served in this process (`accept`) gets the unix socket itself: nothing is copied.
 *
 * The Runtime API's bridge also notices the runtime's first `GET .../invocation/next`: that request ends the init phase
 * (Lambda's definition), which is when the driver applies the function's CPU share.
 */
export class RuntimeApiBridge {
  readonly #server: Server;
  readonly #path: string;
  readonly #sockets = new Set<Socket>();
  #sawNext = false;
  #onFirstNext: (() => void) | undefined;

  private constructor(server: Server, path: string, onFirstNext?: () => void) {
    this.#server = server;
    this.#path = path;
    this.#onFirstNext = onFirstNext;
  }

  /** Listens on `path`, reachable only by `uid` (and root). */
  static async listen(path: string, target: BridgeTarget, uid: number, gid: number, onFirstNext?: () => void): Promise<RuntimeApiBridge> {
    let bridge: RuntimeApiBridge | undefined;
    const server = createServer({ pauseOnConnect: false }, (inbound) => bridge!.#pipe(inbound, target));
    bridge = new RuntimeApiBridge(server, path, onFirstNext);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
    chownSync(path, uid, gid);
    chmodSync(path, 0o600);
    return bridge;
  }

  #pipe(inbound: Socket, target: BridgeTarget): void {
    const to = typeof target === 'function' ? target() : target;
    if (!to) {
      inbound.destroy();
      return;
    }
    if (to.accept) {
      // Served in this process: the connection goes straight into its HTTP server.
      this.#sockets.add(inbound);
      inbound.on('close', () => this.#sockets.delete(inbound));
      inbound.setNoDelay(true);
      let first: (() => void) | undefined;
      if (!this.#sawNext && this.#onFirstNext) {
        first = () => {
          if (this.#sawNext) return;
          this.#sawNext = true;
          const fn = this.#onFirstNext;
          this.#onFirstNext = undefined;
          fn?.();
        };
      }
      to.accept(inbound, first);
      return;
    }
    const outbound = connect(to.port, to.host);
    this.#sockets.add(inbound).add(outbound);
    const done = () => { inbound.destroy(); outbound.destroy(); this.#sockets.delete(inbound); this.#sockets.delete(outbound); };
    inbound.on('error', done).on('close', done);
    outbound.on('error', done).on('close', done);
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    if (!this.#sawNext && this.#onFirstNext) {
      inbound.on('data', (chunk: Buffer) => {
        if (!this.#sawNext && chunk.subarray(0, NEXT_REQUEST.length).equals(NEXT_REQUEST)) {
          this.#sawNext = true;
          const fn = this.#onFirstNext;
          this.#onFirstNext = undefined;
          fn?.();
        }
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#path, { force: true });
  }
}
