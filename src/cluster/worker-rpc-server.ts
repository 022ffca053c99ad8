import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { InvokeRequest, InvokeResult, Invoker, ResponseStream } from '../ports/invoker.js';
import { AwsError } from '../domain/errors.js';
import { admit } from './worker-admission.js';
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

/** Responses Node sends to keep a connection open: longer than the api's agent keeps idle sockets. */
const KEEP_ALIVE_MS = 60_000;

/**
 * A worker node's internal listener: HTTPS with mutual TLS (only nodes holding a certificate of
 * the cluster CA connect) that takes invocations for the worker's local Invoker, in the compact
 * wire format of invoke-wire.ts. The worker is authoritative about its own load: it admits an
 * invocation only when it can serve it warm or start it cold within its capacity and the
 * function's bounded share, and otherwise answers WorkerFull at once, without running anything.
 * A request routed with a stale epoch, or arriving after the worker fenced itself, is refused
 * with a reason of its own, so the api never mistakes it for load.
 */
export class WorkerRpcServer {
  readonly #o: WorkerRpcServerOptions;
  readonly #server: Server;
  readonly #shareFactor: number;
  #busy = 0;
  readonly #busyByKey = new Map<string, number>();

  constructor(opts: WorkerRpcServerOptions) {
    this.#o = opts;
    this.#shareFactor = 1 + (opts.epsilon ?? 0.25);
    this.#server = createServer({ key: opts.key, cert: opts.cert, ca: opts.ca, requestCert: true, rejectUnauthorized: true, keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => this.#handle(req, res));
    // A node without a cluster certificate fails the handshake; nothing to answer, nothing to log.
    this.#server.on('tlsClientError', () => {});
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    this.#server.listen(port, host);
    await once(this.#server, 'listening');
    return this.#server.address() as AddressInfo;
  }

  /** Stops listening and ends idle connections; running invocations finish (a drain waits for `busy` to reach 0). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    await closed;
  }

  /** Invocations running now (for `flint cluster status` and draining). */
  get busy(): number {
    return this.#busy;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
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

  #decide(req: IncomingMessage, res: ServerResponse, payload: Buffer): void {
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
    void this.#run(req, res, requestOf(req.headers, payload)).finally(() => {
      this.#busy--;
      const left = (this.#busyByKey.get(key) ?? 1) - 1;
      if (left > 0) this.#busyByKey.set(key, left);
      else this.#busyByKey.delete(key);
    });
  }

  async #run(req: IncomingMessage, res: ServerResponse, ir: InvokeRequest): Promise<void> {
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
    try {
      const result = await invoking;
      if (piping) return await piping;
      res.writeHead(200, { ...resultHeaders(result), 'content-length': result.payload.length });
      res.end(result.payload);
    } catch (err) {
      if (piping) return await piping;
      this.#report(err);
      const body = encodeError(err);
      res.writeHead(200, { [H.error]: '1', 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    }
  }

  #report(err: unknown): void {
    if (err instanceof AwsError) return;
    this.#o.log?.(`worker rpc: invocation failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

function refuse(res: ServerResponse, reason: Refusal): void {
  res.writeHead(reason === 'StaleEpoch' ? 409 : reason === 'Fenced' ? 503 : 429, { [H.refused]: reason, 'content-length': 0 });
  res.end();
}

/**
 * A streamed result: the head goes out at once (the api answers its caller as soon as the stream
 * starts), then each chunk as it comes, paced by the connection (a slow reader pauses the function's
 * stream, as it would locally), then the result's fields and the stream's error as trailers.
 */
async function pipeStream(res: ServerResponse, stream: ResponseStream, executedVersion: string, invoking: () => Promise<InvokeResult>): Promise<void> {
  res.writeHead(200, {
    [H.stream]: '1',
    [H.streamContentType]: encodeURIComponent(stream.contentType),
    [H.executedVersion]: executedVersion,
    trailer: `${H.result}, ${H.streamError}, ${H.error}`,
  });
  res.flushHeaders();
  let gone = false;
  res.once('close', () => (gone = !res.writableFinished));
  for await (const chunk of stream.chunks()) {
    // The api went away: the rest is read and dropped so the function is not held up.
    if (gone || res.destroyed) continue;
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
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
  if (res.destroyed) return;
  res.addTrailers(trailers);
  res.end();
}
