import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RuntimeApiEndpoint } from '../ports/sandbox-driver.js';
import { isStreamingResponse, StreamingUpload } from './streaming-upload.js';
import { MAX_RUNTIME_PAYLOAD_BYTES, RuntimeApiRefusal, type InvocationEvent, type RuntimeChannel } from './runtime-channel.js';

const PREFIX = '/2018-06-01/runtime/';
/** Flint's own call for pre-initialized runtimes (not part of Lambda's Runtime API). */
const BIND_PATH = '/2018-06-01/flint/bind';
/** A round trip a pre-initialized runtime makes before binding, to have its HTTP client compiled by then. */
const PING_PATH = '/2018-06-01/flint/ping';
const INVOCATION_REPLY = /^invocation\/([^/]+)\/(response|error)$/;

/**
 * The Runtime API's HTTP face for one execution environment: a listener of its own on 127.0.0.1,
 * port 0 (measured: creating and binding one costs well under a millisecond, and it needs no
 * routing by environment — the runtime's address alone says which environment is calling).
 */
export class RuntimeApiServer {
  readonly #server: Server;
  readonly #channel: RuntimeChannel;
  /** Connections handed in by a driver that wants to hear of their first /next (see `accept`). */
  readonly #firstNext = new Map<Duplex, () => void>();
  /** The environment's Extensions API (2020-01-01), served on the same address as in Lambda. */
  extensions: { handle(req: IncomingMessage, res: ServerResponse): boolean } | undefined;

  constructor(channel: RuntimeChannel) {
    this.#channel = channel;
    this.#server = createServer((req, res) => this.#handle(req, res));
    // /next is a long poll and runtimes keep one connection for their whole life: no idle limits.
    this.#server.keepAliveTimeout = 0;
    this.#server.requestTimeout = 0;
    this.#server.headersTimeout = 0;
  }

  async listen(host = '127.0.0.1'): Promise<RuntimeApiEndpoint> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, host, () => resolve());
    });
    const addr = this.#server.address() as AddressInfo;
    return { host: addr.address, port: addr.port, accept: (socket, onFirstNext) => this.accept(socket, onFirstNext) };
  }

  /**
   * Serves a connection that reached this process another way (a sandbox relay's unix socket): no
   * second socket, no bytes copied between the two — measured, that relay hop was a fifth of the
   * server's CPU per warm invocation.
   */
  accept(socket: Duplex, onFirstNext?: () => void): void {
    if (onFirstNext) {
      this.#firstNext.set(socket, onFirstNext);
      socket.once('close', () => this.#firstNext.delete(socket));
    }
    this.#server.emit('connection', socket);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.startsWith(PREFIX) ? url.slice(PREFIX.length).split('?')[0]! : undefined;
    try {
      if (path === undefined && this.extensions?.handle(req, res)) return;
      if (path === 'invocation/next' && req.method === 'GET') return this.#next(req, res);
      if (url === BIND_PATH && req.method === 'GET') return this.#bind(req, res);
      if (url === PING_PATH) return void readBounded(req).then(() => sendJson(res, 200, { status: 'OK' }), () => res.destroy());
      if (path === 'init/error' && req.method === 'POST') {
        return void readBounded(req).then(({ body }) => this.#answer(res, () => this.#channel.initError(body, errorTypeHeader(req))), () => res.destroy());
      }
      const m = path !== undefined && req.method === 'POST' ? INVOCATION_REPLY.exec(path) : null;
      if (m) {
        const requestId = decodeURIComponent(m[1]!);
        if (m[2] === 'response' && isStreamingResponse(req)) return this.#stream(req, res, requestId);
        return void readBounded(req).then(({ body, tooLarge }) => {
          if (m[2] === 'error') return this.#answer(res, () => this.#channel.error(requestId, body, errorTypeHeader(req)));
          if (!tooLarge) return this.#answer(res, () => this.#channel.response(requestId, body));
          // rapid: the invocation fails with Function.ResponseSizeTooLarge and the runtime gets 413.
          this.#answer(res, () => this.#channel.response(requestId, undefined), {
            status: 413,
            body: { errorMessage: `Exceeded maximum allowed payload size (${MAX_RUNTIME_PAYLOAD_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' },
          });
        }, () => res.destroy());
      }
      req.resume();
      sendJson(res, 404, { errorMessage: `Flint's Runtime API does not serve ${req.method} ${url}`, errorType: 'NotFound' });
    } catch (err) {
      this.#fail(res, err);
    }
  }

  #next(req: IncomingMessage, res: ServerResponse): void {
    if (this.#firstNext.size > 0) {
      const first = this.#firstNext.get(req.socket);
      if (first) {
        this.#firstNext.delete(req.socket);
        first();
      }
    }
    this.#channel.next(longPoll(req, res, (event: InvocationEvent) => {
      // A flat [name, value, ...] list: Node writes it as given, without its per-header bookkeeping.
      const headers: string[] = [
        'content-type', 'application/json',
        'lambda-runtime-aws-request-id', event.requestId,
        'lambda-runtime-deadline-ms', String(event.deadlineMs),
        'lambda-runtime-invoked-function-arn', event.invokedFunctionArn,
        'lambda-runtime-trace-id', event.traceId,
        'content-length', String(event.payload.length),
      ];
      if (event.clientContext !== undefined) headers.push('lambda-runtime-client-context', event.clientContext);
      if (event.cognitoIdentity !== undefined) headers.push('lambda-runtime-cognito-identity', event.cognitoIdentity);
      res.writeHead(200, headers);
      res.end(event.payload);
    }));
  }

  /** A streamed response: handed over at once, answered 202 once the runtime's upload ended. */
  #stream(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    const upload = new StreamingUpload(req);
    try {
      this.#channel.streamResponse(requestId, upload);
    } catch (err) {
      upload.discard();
      return this.#fail(res, err);
    }
    void upload.finished.then(() => sendAccepted(res));
  }

  #bind(req: IncomingMessage, res: ServerResponse): void {
    this.#channel.awaitBind(longPoll(req, res, (doc: Buffer) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': doc.length });
      res.end(doc);
    }));
  }

  /** Runs `action`, then answers 202 `{"status":"OK"}`, or `reply` when given; a refusal answers its error. */
  #answer(res: ServerResponse, action: () => void, reply?: { status: number; body: unknown }): void {
    try {
      action();
      if (reply === undefined) sendAccepted(res);
      else sendJson(res, reply.status, reply.body);
    } catch (err) {
      this.#fail(res, err);
    }
  }

  #fail(res: ServerResponse, err: unknown): void {
    if (err instanceof RuntimeApiRefusal) return sendJson(res, err.status, { errorMessage: err.message, errorType: err.errorType });
    sendJson(res, 500, { errorMessage: 'Internal Server Error', errorType: 'InternalServerError' });
  }
}

function errorTypeHeader(req: IncomingMessage): string | undefined {
  const v = req.headers['lambda-runtime-function-error-type'];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A waiting long poll (/next, /flint/bind): `closed` once the runtime hung up before anything was
 * delivered, so the channel does not hand anything to a socket nobody reads.
 */
function longPoll<T>(req: IncomingMessage, res: ServerResponse, write: (value: T) => void): { readonly closed: boolean; deliver(value: T): void } {
  req.resume();
  let delivered = false;
  let closed = false;
  res.on('close', () => { if (!delivered) closed = true; });
  return {
    get closed() { return closed; },
    deliver(value: T) {
      delivered = true;
      write(value);
    },
  };
}

/** The 202 `{"status":"OK"}` every accepted reply gets, its bytes and headers built once. */
const ACCEPTED_BODY = Buffer.from(JSON.stringify({ status: 'OK' }) + '\n');
const ACCEPTED_HEADERS = ['content-type', 'application/json', 'content-length', String(ACCEPTED_BODY.length)];

function sendAccepted(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(202, ACCEPTED_HEADERS);
  res.end(ACCEPTED_BODY);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a body up to the Runtime API's payload limit; the rest is drained and reported as too large. */
function readBounded(req: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > MAX_RUNTIME_PAYLOAD_BYTES;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_RUNTIME_PAYLOAD_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(c);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}
