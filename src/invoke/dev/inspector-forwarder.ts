import { createServer, type Server, type Socket } from 'node:net';
import type { Sandbox } from '../../ports/sandbox-driver.js';
import type { EnvironmentDebug } from './environment-debug.js';

interface Target {
  sandbox: Sandbox;
  port: number;
  /** A debugger connected at least once (the inspector then stopped waiting for one). */
  attachedOnce: boolean;
}

/**
 * The host end of a function's debug session: a TCP listener on the host's loopback only (never
 * another interface: an inspector runs any code it is sent) that pipes each connection to the
 * inspector of the function's newest debugged environment, wherever its sandbox keeps it
 * (`Sandbox.connect`: the host's loopback for the process driver, the sandbox's own network
 * namespace for bwrap). Open connections are what "a debugger is attached" means for the timeouts.
 */
export class InspectorForwarder {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #target: Target | undefined;
  #connections = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1:`port` (0: any free port). */
  static async listen(port: number): Promise<InspectorForwarder> {
    let fwd: InspectorForwarder | undefined;
    const server = createServer((s) => fwd!.#pipe(s));
    fwd = new InspectorForwarder(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    return fwd;
  }

  get port(): number {
    return (this.#server.address() as { port: number }).port;
  }

  /** True while a debugger has a connection open. */
  get attached(): boolean {
    return this.#connections > 0;
  }

  /** The hooks of one new environment; the inspector listens on a free port of its own inside. */
  async forEnvironment(): Promise<EnvironmentDebug> {
    const inner = await freePort();
    let mine: Target | undefined;
    /** Whether this runtime got an inspector at all (only then does anything wait for a debugger). */
    let inspected = false;
    return {
      variables: (family, current): Record<string, string> => {
        // Node.js: the inspector waits for a debugger before the runtime's bootstrap runs, so a
        // breakpoint in the handler's module scope or first invocation is hit. Python would need
        // debugpy (not part of Flint's runtime); provided runtimes bring their own.
        if (family !== 'nodejs') return {};
        inspected = true;
        const own = current['NODE_OPTIONS'];
        return { NODE_OPTIONS: `--inspect-wait=127.0.0.1:${inner}${own ? ` ${own}` : ''}` };
      },
      started: (sandbox) => {
        mine = { sandbox, port: inner, attachedOnce: false };
        this.#target = mine;
      },
      holding: () => inspected && mine !== undefined && this.#target === mine && (this.#connections > 0 || !mine.attachedOnce),
      stopped: () => {
        if (this.#target === mine) this.#target = undefined;
      },
    };
  }

  #pipe(inbound: Socket): void {
    // Every connection is tracked: close() ends them all (a keep-alive client would hold the listener open).
    this.#sockets.add(inbound);
    inbound.once('close', () => this.#sockets.delete(inbound));
    const t = this.#target;
    const out = t?.sandbox.connect?.(t.port);
    if (!t || !out) {
      const why = t ? 'this sandbox driver cannot forward the inspector' : 'no debugged environment runs yet: invoke the function';
      inbound.on('error', () => {});
      inbound.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(why) + 1}\r\n\r\n${why}\n`, () => inbound.destroy());
      return;
    }
    // A debugger is attached while its WebSocket is open; the HTTP discovery requests around it
    // (/json/list, polled by chrome://inspect) are not an attachment.
    let debugger_ = false;
    inbound.once('data', (first: Buffer) => {
      if (!/^upgrade:\s*websocket/im.test(first.toString('latin1'))) return;
      debugger_ = true;
      t.attachedOnce = true;
      this.#connections++;
    });
    let closed = false;
    const done = (): void => {
      if (closed) return;
      closed = true;
      if (debugger_) this.#connections--;
      inbound.destroy();
      out.destroy();
    };
    inbound.on('error', done).on('close', done);
    out.on('error', done).on('close', done);
    inbound.pipe(out);
    out.pipe(inbound);
  }

  async close(): Promise<void> {
    this.#target = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A port nothing listens on now (the kernel's choice), for an inspector inside. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
