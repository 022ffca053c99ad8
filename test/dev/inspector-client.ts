import { WebSocket } from 'ws';

/** A minimal Chrome DevTools Protocol client over `ws`: commands with ids, events by name. */
export class InspectorClient {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  readonly #events: Array<{ method: string; params: Record<string, unknown> }> = [];
  #waiters: Array<{ method: string; ok: (p: Record<string, unknown>) => void }> = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.fail(new Error(msg.error.message));
        else p?.ok(msg.result);
      } else if (msg.method) {
        const w = this.#waiters.find((x) => x.method === msg.method);
        if (w) {
          this.#waiters = this.#waiters.filter((x) => x !== w);
          w.ok(msg.params ?? {});
        } else this.#events.push({ method: msg.method, params: msg.params ?? {} });
      }
    });
  }

  /** Discovers the target through `/json/list` on 127.0.0.1:port (retrying until it is up) and opens its WebSocket. */
  static async attach(port: number, timeoutMs = 20_000): Promise<InspectorClient> {
    const until = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/json/list`);
        if (r.ok) url = ((await r.json()) as Array<{ webSocketDebuggerUrl: string }>)[0]?.webSocketDebuggerUrl;
      } catch {
        // not listening yet
      }
      if (!url) {
        if (Date.now() > until) throw new Error(`no inspector target on 127.0.0.1:${port}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const ws = new WebSocket(url);
    await new Promise<void>((ok, fail) => { ws.once('open', () => ok()); ws.once('error', fail); });
    return new InspectorClient(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((ok, fail) => {
      this.#pending.set(id, { ok, fail });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The next (or an already received) event of this name. */
  next(method: string): Promise<Record<string, unknown>> {
    const i = this.#events.findIndex((e) => e.method === method);
    if (i >= 0) return Promise.resolve(this.#events.splice(i, 1)[0]!.params);
    return new Promise((ok) => this.#waiters.push({ method, ok }));
  }

  /** Drops the connection (no closing handshake: a paused debuggee may never answer one). */
  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((ok) => {
      this.#ws.once('close', () => ok());
      this.#ws.terminate();
    });
  }
}
