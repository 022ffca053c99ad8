import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { InvokeRequest, InvokeResult, Invoker, ResponseStream } from '../ports/invoker.js';
import { AwsError } from '../domain/errors.js';
import { admit } from './worker-admission.js';
import { SESSION_MEMORY_MB, SESSION_WINDOW, STREAM_WINDOW } from './worker-sessions.js';
import { encodeError, H, INVOKE_PATH, requestOf, resultHeaders, type Refusal, type ResultMeta } from './invoke-wire.js';

export interface WorkerRpcServerOptions {
  /** This node's private key and certificate (issued by the cluster CA), and the CA: PEMs. */
  key: string;
  cert: string;
  ca: string;
  /** The worker's own data plane: runs each admitted invocation. */
  invoker: Invoker;
  /** Concurrent invocations (environments) this worker runs: its admission limit. */
  capacity: number;
  /** ε of the per-function share bound, (1+ε) × fair share (default 0.25). */
  epsilon?: number;
  /** This worker's epoch as registered now: requests routed with another are refused. */
  epoch(): number;
  /** True once the worker could not renew its lease (self-fencing): every request is refused. */
  fenced(): boolean;
  /**
   * Idle (ready, unclaimed) environments of a version, from the environment pool: admission is
   * then exact about warm starts. Absent: every invocation counts as needing an environment of its
   * own, so a worker at capacity refuses even one it could have served warm (in-flight approximation).
   */
  idleEnvironments?(functionName: string, version: string): number;
  /** Where unexpected failures are reported (their causes never cross the wire). */
  log?(message: string): void;
}

/**
 * A worker node's internal listener: HTTPS with mutual TLS (only nodes holding a certificate of
 * the cluster CA connect) that takes invocations for the worker's local Invoker, in the compact
 * wire format of invoke-wire.ts, over HTTP/2 (one session per api node, one stream per invocation). The worker is authoritative about its own load: it admits an
 * invocation only when it can serve it warm or start it cold within its capacity and the
 * function's bounded share, and otherwise answers WorkerFull at once, without running anything.
 * A request routed with a stale epoch, or arriving after the worker fenced itself, is refused
 * with a reason of its own, so the api never mistakes it for load.
 */
export class WorkerRpcServer {
  readonly #o: WorkerRpcServerOptions;
  readonly #server: Http2SecureServer;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #shareFactor: number;
  #busy = 0;
  readonly #busyByKey = new Map<string, number>();

  constructor(opts: WorkerRpcServerOptions) {
    this.#o = opts;
    this.#shareFactor = 1 + (opts.epsilon ?? 0.25);
    this.#server = createSecureServer(
      { key: opts.key, cert: opts.cert, ca: opts.ca, requestCert: true, rejectUnauthorized: true, settings: { initialWindowSize: STREAM_WINDOW }, maxSessionMemory: SESSION_MEMORY_MB },
      (req, res) => this.#handle(req, res),
    );
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      session.on('error', () => {});
      session.once('connect', () => session.setLocalWindowSize(SESSION_WINDOW));
    });    // A node without a cluster certificate fails the handshake; nothing to answer, nothing to log.
    this.#server.on('tlsClientError', () => {});
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    this.#server.listen(port, host);
    await once(this.#server, 'listening');
    return this.#server.address() as AddressInfo;
  }

  /**
   * Stops listening and tells each api node (GOAWAY) to send nothing more on its session; streams
   * already running finish (a drain waits for `busy` to reach 0), and those the api sent after the
   * GOAWAY are refused unprocessed, so the api tries another worker.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    await closed;
  }

  /** Invocations running now (for `flint cluster status` and draining). */
  get busy(): number {
    return this.#busy;
  }

  #handle(req: Http2ServerRequest, res: Http2ServerResponse): void {
    if (req.method !== 'POST' || req.url !== INVOKE_PATH) {
      res.writeHead(404, { 'content-length': 0 }).end();
      req.resume();
      return;
    }
    // The whole body first: the decision and the invocation's start then happen in one turn of the
    // event loop (nothing else can take the slot in between), and a refused request's body is
    // already read, so the connection stays usable.
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => this.#decide(req, res, parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
  }

  #decide(req: Http2ServerRequest, res: Http2ServerResponse, payload: Buffer): void {
    const o = this.#o;
    if (o.fenced()) return refuse(res, 'Fenced');
    if (req.headers[H.epoch] !== String(o.epoch())) return refuse(res, 'StaleEpoch');
    const key = decodeURIComponent(String(req.headers[H.route] ?? ''));
    const busyForKey = this.#busyByKey.get(key) ?? 0;
    const cut = key.lastIndexOf(':');
    const decision = admit({
      capacity: o.capacity,
      shareFactor: this.#shareFactor,
      busy: this.#busy,
      busyForKey,
      activeKeys: this.#busyByKey.size,
      idle: o.idleEnvironments && cut > 0 ? o.idleEnvironments(key.slice(0, cut), key.slice(cut + 1)) : undefined,
    });
    if (decision === 'full') return refuse(res, 'WorkerFull');
    this.#busy++;
    this.#busyByKey.set(key, busyForKey + 1);
    void this.#run(req, res, requestOf(req.headers, payload)).catch((err: unknown) => this.#report(err)).finally(() => {
      this.#busy--;
      const left = (this.#busyByKey.get(key) ?? 1) - 1;
      if (left > 0) this.#busyByKey.set(key, left);
      else this.#busyByKey.delete(key);
    });
  }

  async #run(req: Http2ServerRequest, res: Http2ServerResponse, ir: InvokeRequest): Promise<void> {
    let piping: Promise<void> | undefined;
    let invoking!: Promise<InvokeResult>;
    if (req.headers[H.wantsStream] === '1') {
      ir.onStream = (stream, meta) => {
        piping = pipeStream(res, stream, meta.executedVersion, () => invoking);
      };
    }
    try {
      invoking = this.#o.invoker.invoke(ir);
    } catch (err) {
      invoking = Promise.reject(err);
    }
    let answer: { headers: Record<string, string | number>; body: Buffer };
    try {
      const result = await invoking;
      if (piping) return await piping;
      answer = { headers: { ...(resultHeaders(result) as Record<string, string>), 'content-length': result.payload.length }, body: result.payload };
    } catch (err) {
      if (piping) return await piping;
      this.#report(err);
      const body = encodeError(err);
      answer = { headers: { [H.error]: '1', 'content-type': 'application/json', 'content-length': body.length }, body };
    }
    // The api may have gone (its session closed, the stream reset): the outcome has nowhere to go.
    if (res.stream.destroyed || res.stream.closed) return;
    res.writeHead(200, answer.headers);
    res.end(answer.body);
  }

  #report(err: unknown): void {
    if (err instanceof AwsError) return;
    this.#o.log?.(`worker rpc: invocation failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

function refuse(res: Http2ServerResponse, reason: Refusal): void {
  res.writeHead(reason === 'StaleEpoch' ? 409 : reason === 'Fenced' ? 503 : 429, { [H.refused]: reason, 'content-length': 0 });
  res.end();
}

/**
 * A streamed result: the head goes out at once (the api answers its caller as soon as the stream
 * starts), then each chunk as it comes, paced by the connection (a slow reader pauses the function's
 * stream, as it would locally), then the result's fields and the stream's error as trailers.
 */
async function pipeStream(res: Http2ServerResponse, stream: ResponseStream, executedVersion: string, invoking: () => Promise<InvokeResult>): Promise<void> {
  res.writeHead(200, {
    [H.stream]: '1',
    [H.streamContentType]: encodeURIComponent(stream.contentType),
    [H.executedVersion]: executedVersion,
  });
  const gone = () => res.stream.destroyed || res.stream.closed;
  for await (const chunk of stream.chunks()) {
    // The api went away: the rest is read and dropped so the function is not held up.
    if (gone()) continue;
    if (!res.write(chunk)) await Promise.race([once(res.stream, 'drain'), once(res.stream, 'close')]).catch(() => {});
  }
  const trailers: Record<string, string> = {};
  try {
    const result = await invoking();
    const { payload: _payload, ...meta } = result;
    trailers[H.result] = encodeURIComponent(JSON.stringify(meta satisfies ResultMeta));
  } catch (err) {
    trailers[H.error] = encodeURIComponent(encodeError(err).toString('utf8'));
  }
  if (stream.error) trailers[H.streamError] = encodeURIComponent(JSON.stringify(stream.error));
  if (gone()) return;
  res.addTrailers(trailers);
  res.end();
}
