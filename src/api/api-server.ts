import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions, TLSSocket, TlsOptions } from 'node:tls';
import type { Operation } from './service-model.js';
import { AwsService, type AwsServiceDefinition } from './aws-service.js';
import { clientGone, mustClose, readBody } from './read-body.js';
import { isAsyncIterable, type EncodedResponse, type OperationMatch, type Protocol, type ProtocolRequest } from './protocols/protocol.js';
import { writeStream } from './write-stream.js';
import { internalFailure } from './protocols/internal-failure.js';
import { credentialScope, type SigV4Verifier } from './sigv4-verifier.js';
import type { RequestContext } from './request-context.js';
import type { ControlPlaneCall } from '../ports/audit-log.js';
import type { Credential, Principal } from '../domain/principal.js';
import {
  AwsError,
  RequestEntityTooLargeException,
  UnknownOperationException,
  UnsupportedOperationException,
} from '../domain/errors.js';

export type { RequestContext, OperationHandler, OperationHandlers, OperationOutput } from './request-context.js';
export type { ValidationSkips, AwsServiceDefinition } from './aws-service.js';

/** An unsigned route served beside the API (health, presigned code downloads). */
/**
 * A route chosen before AWS API routing by what the request addresses (a function URL's Host or
 * path form): it answers the request itself, signed or not.
 */
export interface FrontRoute<C = unknown> {
  claims(req: IncomingMessage, rawPath: string): C | undefined;
  handle(req: IncomingMessage, res: ServerResponse, claim: C): Promise<void>;
}

export interface PlainRoute {
  method: string;
  /** Matches when the path starts with this. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

/**
 * Sends a service's requests to another node instead of serving them here (cluster mode: the SQS
 * queues are served by the leader). The request goes on as the client signed it, Host included,
 * so the node that serves it verifies and authorizes it; failures to reach it throw an AwsError,
 * answered in the request's protocol.
 */
export interface RequestForwarder {
  /** The node to send this request to, or undefined to serve it here. */
  targetFor(service: string, headers: IncomingHttpHeaders): string | undefined;
  forward(target: string, req: { method: string; rawUrl: string; headers: IncomingHttpHeaders; body: Buffer } & RequestOrigin): Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }>;
  /** For a request another node forwarded: where its client really was, when that node vouched for it. */
  vouched?(headers: IncomingHttpHeaders): RequestOrigin | undefined;
}

/** Where a request came from, as policies' aws:SourceIp and aws:SecureTransport see it. */
export interface RequestOrigin {
  sourceIp: string;
  secureTransport: boolean;
}

/** What the front door asks the authorizer about every request, after validation. */
export interface AuthorizationInput {
  principal: Principal;
  service: string;
  operation: string;
  input: Record<string, unknown>;
  sourceIp: string;
  secureTransport: boolean;
}

const DEFAULT_BODY_LIMIT = 1_048_576;
/** host[:port], a bracketed IPv6 literal included. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const EMPTY = Buffer.alloc(0);

/**
 * The front door: one port, many AWS services (../shared/DESIGN.md §10). For each request:
 * service from the SigV4 credential scope (or, unsigned, from X-Amz-Target / the form's Version /
 * the default service) → its protocol from what the client sent → bounded body → SigV4 →
 * operation → decode → validate → authorize → handler → encode, every failure in that protocol's
 * error shape, every response with `x-amzn-RequestId`.
 */
export class ApiServer {
  readonly #services: AwsService[];
  readonly #bySigningName = new Map<string, AwsService>();
  readonly #default: AwsService;
  readonly #verifier: SigV4Verifier;
  readonly #authorize: (req: AuthorizationInput) => void;
  readonly #onVerified: (credential: Credential, service: string, region: string) => void;
  readonly #beforeCall: ((service: string, operation: string | undefined) => Promise<void> | undefined) | undefined;
  readonly #checkAccess: (principal: Principal, action: string, resource: string, context?: Record<string, string>) => void;
  readonly #plain: PlainRoute[];
  readonly #front: FrontRoute[];
  readonly #forwarder: RequestForwarder | undefined;
  readonly #onCall: (rec: ControlPlaneCall) => void;
  readonly #logError: (err: unknown) => void;
  readonly #server: Server;
  /** With TLS: a plain HTTP listener for development, bound to the loopback only (`listenPlain`). */
  readonly #plainServer: Server | undefined;

  constructor(opts: {
    /** The first is the default service for requests that name none (Lambda). */
    services: AwsServiceDefinition[];
    verifier: SigV4Verifier;
    authorize?: (req: AuthorizationInput) => void;
    /** Told of each verified request (GetAccessKeyLastUsed bookkeeping). */
    onVerified?: (credential: Credential, service: string, region: string) => void;
    /** In-operation checks (iam:PassRole): throws AccessDeniedException unless allowed. */
    checkAccess?: (principal: Principal, action: string, resource: string, context?: Record<string, string>) => void;
    plainRoutes?: PlainRoute[];
    /** Routes by host or path form (function URLs), tried before everything else. */
    frontRoutes?: FrontRoute<any>[];
    onCall?: (rec: ControlPlaneCall) => void;
    /**
     * Awaited before a request is verified, when it returns a promise: cluster mode catches the
     * node's store caches up with other nodes' commits (read-your-writes across api nodes).
     */
    beforeCall?: (service: string, operation: string | undefined) => Promise<void> | undefined;
    /** Services served by another node (cluster mode's SQS on the leader). */
    forwarder?: RequestForwarder;
    logError: (err: unknown) => void;
    /** Serve HTTPS with these options (src/api/tls/tls-server-options.ts); plain HTTP otherwise. */
    tls?: TlsOptions;
    /** With `tls`: also make a plain HTTP server for `listenPlain` (loopback development access). */
    plainLoopback?: boolean;
  }) {
    this.#services = opts.services.map((d) => new AwsService(d));
    this.#default = this.#services[0]!;
    for (const s of this.#services) this.#bySigningName.set(s.signingName, s);
    this.#verifier = opts.verifier;
    this.#authorize = opts.authorize ?? (() => {});
    this.#checkAccess = opts.checkAccess ?? (() => {});
    this.#onVerified = opts.onVerified ?? (() => {});
    this.#plain = opts.plainRoutes ?? [];
    this.#front = opts.frontRoutes ?? [];
    this.#onCall = opts.onCall ?? (() => {});
    this.#beforeCall = opts.beforeCall;
    this.#forwarder = opts.forwarder;
    this.#logError = opts.logError;
    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res).catch((err) => {
        opts.logError(err);
        if (!res.headersSent) this.#send(res, randomUUID(), { status: 500, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' }, body: '{"__type":"InternalFailure","message":"An internal error occurred in Flint."}' });
      });
    };
    // https.Server is an http.Server over TLS sockets: the same request and clientError events, so
    // the malformed-HTTP guard attaches to either.
    this.#server = opts.tls ? createHttpsServer({ ...opts.tls, keepAliveTimeout: 65_000 }, handle) : createServer({ keepAliveTimeout: 65_000 }, handle);
    this.#plainServer = opts.tls && opts.plainLoopback ? createServer({ keepAliveTimeout: 65_000 }, handle) : undefined;
  }

  /** The HTTP(S) server, for guards that attach to it (malformed HTTP). */
  get server(): Server {
    return this.#server;
  }

  /** Every server of this front door (the main one, and the loopback plain one when made). */
  get servers(): Server[] {
    return this.#plainServer ? [this.#server, this.#plainServer] : [this.#server];
  }

  /**
   * Swaps the certificate and key (SIGHUP): new handshakes use them, connections already open keep
   * theirs, nothing is dropped.
   */
  setSecureContext(options: SecureContextOptions): void {
    if (!('setSecureContext' in this.#server)) throw new Error('the API server does not serve TLS');
    (this.#server as unknown as HttpsServer).setSecureContext(options);
  }

  /** Signing names of the services served, in registration order. */
  get signingNames(): string[] {
    return this.#services.map((s) => s.signingName);
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return this.#server.address() as AddressInfo;
  }

  /**
   * The plain HTTP listener beside a TLS one, on the loopback only: development tools that cannot
   * be told a CA still reach Flint, and nothing off the host can.
   */
  async listenPlain(port: number): Promise<AddressInfo> {
    const server = this.#plainServer;
    if (!server) throw new Error('the API server was made without a plain loopback listener');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    })));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const rawQuery = q >= 0 ? rawUrl.slice(q + 1) : '';
    const method = req.method ?? 'GET';
    // The client's Host is echoed into links (Code.Location) only when it is a plain authority.
    const host = req.headers.host !== undefined && SAFE_HOST.test(req.headers.host) ? req.headers.host : 'localhost';

    for (const route of this.#front) {
      const claim = route.claims(req, rawPath);
      if (claim !== undefined) return route.handle(req, res, claim);
    }
    for (const route of this.#plain) {
      if (route.method === method && rawPath.startsWith(route.prefix)) {
        res.setHeader('x-amzn-RequestId', requestId);
        return route.handle(req, res, new URL(rawUrl, 'http://localhost'));
      }
    }

    const query = new URLSearchParams(rawQuery);
    const scope = credentialScope(req.headers, rawQuery);
    const preq: ProtocolRequest = { method, rawPath, query, headers: req.headers, body: EMPTY };
    // An unsigned form post names its service only in the body (Version): read it first.
    let early: Buffer | undefined;
    if (!scope && method === 'POST' && isForm(req.headers['content-type'])) {
      early = await readBody(req, DEFAULT_BODY_LIMIT);
      preq.body = early ?? EMPTY;
    }
    const service = scope ? this.#bySigningName.get(scope.service) : this.#guessService(preq);
    if (!service) {
      req.resume();
      this.#send(res, requestId, unknownService(scope!.service, this.signingNames));
      return;
    }
    const protocol = service.protocolFor(preq);
    // Every protocol but query names its operation before the body (path, target header): its own
    // body limit applies while reading.
    let match: OperationMatch | undefined = protocol.name === 'query' ? undefined : protocol.match(preq);
    let operation: Operation | undefined = match?.operation;
    let input: Record<string, unknown> = {};
    let credential: Credential | undefined;
    try {
      const limit = service.definition.bodyLimits?.[operation?.name ?? ''];
      const max = limit?.bytes ?? service.definition.defaultBodyLimit ?? DEFAULT_BODY_LIMIT;
      const body = early ?? (await readBody(req, max));
      if (body === undefined) {
        // Drained: the 413 is read on a connection that stays open; cut short: it closes after the answer.
        if (mustClose(req)) res.setHeader('connection', 'close');
        throw limit ? limit.error(operation!.name, max) : new RequestEntityTooLargeException(`Request must be smaller than ${max} bytes for the ${operation?.name ?? 'requested'} operation`);
      }
      const target = this.#forwarder?.targetFor(service.signingName, req.headers);
      if (target !== undefined) {
        const r = await this.#forwarder!.forward(target, { method, rawUrl, headers: req.headers, body, ...this.#origin(req) });
        res.writeHead(r.status, r.headers);
        res.end(r.body);
        return;
      }
      const before = this.#beforeCall?.(service.signingName, operation?.name);
      if (before) await before;
      const verified = this.#verifier.verify({ method, rawPath, rawQuery, headers: req.headers, body });
      credential = verified.credential;
      this.#onVerified(credential, verified.service, verified.region);
      // Request compression (CloudWatch PutMetricData: `requestcompression` gzip in the model): the
      // signature covers the compressed bytes; the operation reads them inflated, within the same limit.
      preq.body = req.headers['content-encoding'] === 'gzip' ? inflate(body, max) : body;
      if (protocol.name === 'query') {
        match = protocol.match(preq);
        operation = match?.operation;
      }
      if (!match || !operation) throw this.#unknownOperation(service, protocol, preq);
      const handler = service.definition.handlers[operation.name];
      if (!handler) throw new UnsupportedOperationException(`The ${operation.name} operation${service === this.#default ? '' : ` of ${service.model.metadata.serviceId}`} is not supported by Flint.`);
      input = protocol.decode(match, preq);
      if (operation.input) validateAs(service.definition.validationErrorType, () => service.validator.validate(operation!.input!.shape, input, service.definition.validationSkips?.[operation!.name]));
      const principal = credential.principal;
      const { sourceIp, secureTransport } = this.#origin(req);
      this.#authorize({ principal: credential.principal, service: service.signingName, operation: operation.name, input, sourceIp, secureTransport });
      const ctx: RequestContext = {
        requestId,
        service: service.signingName,
        operation: operation.name,
        principal: credential.principal,
        credential,
        sourceIp,
        secureTransport,
        endpoint: `${secureTransport ? 'https' : 'http'}://${host}`,
        headers: req.headers,
        bodySize: preq.body.length,
        checkAccess: (action, resource, context) => this.#checkAccess(principal, action, resource, context),
      };
      const output = await handler(input, ctx);
      const encoded = protocol.encode(operation, output ?? undefined, requestId);
      this.#send(res, requestId, encoded);
      this.#record(requestId, service, operation, credential, input, encoded.status, undefined, { req, ...(output ? { output } : {}) });
    } catch (thrown) {
      let err: AwsError;
      if (thrown instanceof AwsError) err = thrown;
      else if (clientGone(req, res) && !res.headersSent) {
        // The client went away mid-request (reset, aborted upload): nobody to answer, nothing to log.
        return;
      } else {
        this.#logError(thrown);
        err = internalFailure();
      }
      const encoded = protocol.encodeError(err, requestId);
      this.#send(res, requestId, encoded);
      if (operation && credential) this.#record(requestId, service, operation, credential, input, encoded.status, err.type, { req, errorMessage: err.message });
    }
  }

  /** Unsigned requests name no service: find the one whose target prefix, CBOR path or query Version they carry; else the default. */
  #guessService(req: ProtocolRequest): AwsService {
    const form = req.method === 'GET' && req.query.has('Action') ? req.query : req.body.length > 0 && isForm(req.headers['content-type']) ? new URLSearchParams(req.body.toString('utf8')) : undefined;
    if (req.headers['x-amz-target'] === undefined && !req.rawPath.startsWith('/service/') && !form) return this.#default;
    return this.#services.find((s) => s.claims(req, form)) ?? this.#default;
  }

  #unknownOperation(service: AwsService, protocol: Protocol, req: ProtocolRequest): AwsError {
    const asked = protocol.requestedName(req);
    switch (protocol.name) {
      case 'rest-json':
        return new UnknownOperationException(`Flint does not serve ${req.method} ${req.rawPath}: no ${service.model.metadata.serviceId} API operation has this method and path.`);
      case 'query':
        return new UnknownOperationException(asked ? `The action ${asked} is not valid for this web service.` : 'Missing Action parameter: the request names no operation.');
      default:
        return new UnknownOperationException(asked ? `${service.model.metadata.serviceId} has no operation ${asked}.` : `The request names no ${service.model.metadata.serviceId} operation.`);
    }
  }

  #record(requestId: string, service: AwsService, op: Operation, credential: Credential, input: Record<string, unknown>, status: number, errorType: string | undefined, seen: { req: IncomingMessage; output?: Record<string, unknown>; errorMessage?: string }): void {
    this.#onCall({
      requestId, service: service.signingName, operation: op.name, principal: credential.principal.arn, input, status, ...(errorType ? { errorType } : {}),
      // What CloudTrail records beside the call: who (key, identity), from where, with what, and the answer.
      caller: credential.principal,
      accessKeyId: credential.accessKeyId,
      sourceIp: this.#origin(seen.req).sourceIp,
      userAgent: String(seen.req.headers['user-agent'] ?? ''),
      ...(seen.output ? { output: seen.output } : {}),
      ...(seen.errorMessage !== undefined ? { errorMessage: seen.errorMessage } : {}),
    });
  }

  /** The client's address and transport: this connection's, or those a forwarding node vouched for. */
  #origin(req: IncomingMessage): RequestOrigin {
    return this.#forwarder?.vouched?.(req.headers) ?? { sourceIp: req.socket.remoteAddress ?? '', secureTransport: (req.socket as TLSSocket).encrypted === true };
  }

  #send(res: ServerResponse, requestId: string, r: EncodedResponse): void {
    // r.headers is built afresh for each response (encoders, error encoders): completed in place.
    const headers = r.headers;
    headers['x-amzn-requestid'] = requestId;
    if (isAsyncIterable(r.body)) return void writeStream(res, r.status, headers, r.body, this.#logError);
    if (typeof r.body === 'string' ? r.body.length === 0 : r.body.length === 0) {
      // Empty bodies (Event's 202, DryRun's 204): headers alone, one socket write.
      headers['content-length'] = '0';
      res.writeHead(r.status, headers);
      res.end();
      return;
    }
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    headers['content-length'] = String(body.length);
    res.writeHead(r.status, headers);
    res.end(body);
  }
}

/** A credential scope naming a service Flint does not serve: said plainly, with what it does serve. */
function unknownService(name: string, served: string[]): EncodedResponse {
  const message = `Flint does not serve the AWS service '${name}' named in the request's credential scope. It serves: ${served.join(', ')}.`;
  return {
    status: 400,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownServiceException' },
    body: JSON.stringify({ __type: 'UnknownServiceException', message }),
  };
}

function isForm(type: string | string[] | undefined): boolean {
  return typeof type === 'string' && type.startsWith('application/x-www-form-urlencoded');
}

function inflate(body: Buffer, max: number): Buffer {
  try {
    return gunzipSync(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new RequestEntityTooLargeException(`Request must be smaller than ${max} bytes once decompressed`);
    throw new AwsError('SerializationException', 'The request body is not valid gzip data (Content-Encoding: gzip).', { status: 400 });
  }
}


/** Runs a model validation, re-typing its ValidationException for services that name it otherwise. */
function validateAs(type: string | undefined, validate: () => void): void {
  try {
    validate();
  } catch (err) {
    if (type && err instanceof AwsError && err.type === 'ValidationException') throw new AwsError(type, err.message, { status: 400 });
    throw err;
  }
}
