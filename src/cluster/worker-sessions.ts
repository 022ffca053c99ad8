import { connect, type ClientHttp2Session } from 'node:http2';

/** HTTP/2 flow-control windows of the internal channel: a 6 MB payload crosses without waiting on window updates. */
export const STREAM_WINDOW = 8 * 1024 * 1024;
export const SESSION_WINDOW = 64 * 1024 * 1024;
/** Session memory nghttp2 may use before refusing streams (MB): thousands of concurrent invocations per session. */
export const SESSION_MEMORY_MB = 256;

/** How often a session is checked for life, and how long its peer may take to answer before it counts as gone. */
export interface SessionLiveness {
  pingEveryMs: number;
  deadAfterMs: number;
}

/**
 * Generous: a worker's event loop may be held by a burst of work, and declaring it gone fails the
 * invocations it runs. Short enough that an invocation on a host cut off mid-way fails within
 * seconds rather than hanging until TCP gives up (minutes).
 */
export const DEFAULT_LIVENESS: SessionLiveness = { pingEveryMs: 5_000, deadAfterMs: 15_000 };

export interface WorkerSession {
  readonly session: ClientHttp2Session;
  /** True once the TLS session is up (a failure after that may have reached the worker). */
  readonly connected: () => boolean;
}

/**
 * One mutual-TLS HTTP/2 session per worker, kept open and shared by every invocation to it: no
 * handshake on the warm path, and a thousand concurrent invocations are a thousand streams on one
 * connection rather than a thousand TLS handshakes at once. A session that fails or closes is
 * forgotten; the next invocation opens a new one.
 */
export class WorkerSessions {
  readonly #tls: { key: string; cert: string; ca: string };
  readonly #connectTimeoutMs: number;
  readonly #liveness: SessionLiveness;
  readonly #sessions = new Map<string, WorkerSession>();

  constructor(tls: { key: string; cert: string; ca: string }, connectTimeoutMs: number, liveness: SessionLiveness = DEFAULT_LIVENESS) {
    this.#tls = tls;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#liveness = liveness;
  }

  /** The session to a worker's `host:port`, opened if needed. */
  get(address: string): WorkerSession {
    const known = this.#sessions.get(address);
    if (known && !known.session.closed && !known.session.destroyed) return known;
    let up = false;
    const session = connect(`https://${address}`, {
      ...this.#tls,
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
      maxSessionMemory: SESSION_MEMORY_MB,
    });
    const entry: WorkerSession = { session, connected: () => up };
    this.#sessions.set(address, entry);
    const forget = () => {
      if (this.#sessions.get(address) === entry) this.#sessions.delete(address);
    };
    // A host that does not answer (blackholed, partitioned) fails its streams here, as unreachable.
    const timer = setTimeout(() => session.destroy(new Error(`connecting to worker ${address} timed out after ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs);
    let lastAck = Date.now();
    const pinger = setInterval(() => {
      if (!up || session.destroyed) return;
      // Silent past the limit (paused, partitioned, its host gone without a reset): its streams fail as lost.
      if (Date.now() - lastAck > this.#liveness.deadAfterMs) return session.destroy(new Error(`worker ${address} stopped answering (no HTTP/2 PING reply for ${this.#liveness.deadAfterMs} ms)`));
      session.ping((err) => {
        if (!err) lastAck = Date.now();
      });
    }, this.#liveness.pingEveryMs).unref();
    session.once('connect', () => {
      up = true;
      lastAck = Date.now();
      clearTimeout(timer);
      session.setLocalWindowSize(SESSION_WINDOW);
    });
    session.on('error', () => {});
    session.once('goaway', forget);
    session.once('close', () => {
      clearTimeout(timer);
      clearInterval(pinger);
      forget();
    });
    // Idle sessions must not keep the process alive; streams in flight ref it.
    session.unref();
    return entry;
  }

  /** Closes every session (node shutdown). */
  close(): void {
    for (const { session } of this.#sessions.values()) session.destroy();
    this.#sessions.clear();
  }
}
