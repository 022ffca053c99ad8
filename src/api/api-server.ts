import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { lambdaModel, type Operation } from './service-model.js';
import { OperationRouter } from './operation-router.js';
import { RequestDecoder } from './request-decoder.js';
import { ResponseEncoder, type EncodedResponse } from './response-encoder.js';
import { ErrorSerializer } from './error-serializer.js';
import { ShapeValidator } from './shape-validator.js';
import type { SigV4Verifier, SigningIdentity } from './sigv4-verifier.js';
import type { ControlPlaneCall } from '../ports/audit-log.js';
import {
  LambdaError,
  RequestEntityTooLargeException,
  RequestTooLargeException,
  UnknownOperationException,
  UnsupportedOperationException,
} from '../domain/errors.js';

export interface RequestContext {
  requestId: string;
  operation: string;
  identity: SigningIdentity;
  /** Base URL of this endpoint as the client reached it (for Code.Location links). */
  endpoint: string;
  /** Raw request headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Size of the raw body in bytes. */
  bodySize: number;
}

/** What an operation returns: its output members, keyed by model member name. */
export type OperationOutput = Record<string, unknown> | void;
export type OperationHandler = (input: any, ctx: RequestContext) => OperationOutput | Promise<OperationOutput>;
export type OperationHandlers = Partial<Record<string, OperationHandler>>;

/** An unsigned route served beside the API (health, presigned code downloads). */
export interface PlainRoute {
  method: string;
  /** Matches when the path starts with this. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

/**
 * Request-size ceilings per operation, as AWS enforces them before the operation runs.
 * CreateFunction and friends: 70,167,211 bytes (the 50 MB zip, base64-encoded, plus JSON).
 * Invoke: 6 MB synchronous payload.
 */
const BODY_LIMITS: Record<string, { bytes: number; error: (op: string, n: number) => LambdaError }> = {
  CreateFunction: { bytes: 70_167_211, error: codeTooLarge },
  UpdateFunctionCode: { bytes: 70_167_211, error: codeTooLarge },
  PublishLayerVersion: { bytes: 70_167_211, error: codeTooLarge },
  Invoke: { bytes: 6_291_456, error: (_op, n) => new RequestTooLargeException(`Request must be smaller than ${n} bytes for the InvokeFunction operation`) },
  InvokeAsync: { bytes: 262_144, error: (_op, n) => new RequestTooLargeException(`Request must be smaller than ${n} bytes for the InvokeFunction operation`) },
};
const DEFAULT_BODY_LIMIT = 1_048_576;

function codeTooLarge(op: string, n: number): LambdaError {
  return new RequestEntityTooLargeException(`Request must be smaller than ${n} bytes for the ${op} operation`);
}

/** Operations that skip the model's constraint check on some members (their service validates them with AWS's own wording). */
export type ValidationSkips = Partial<Record<string, ReadonlySet<string>>>;

/**
 * The front door: route → read body (bounded) → SigV4 → decode → validate → handler → encode.
 * Every response carries x-amzn-RequestId; every failure goes through the ErrorSerializer.
 */
export class ApiServer {
  readonly #router: OperationRouter;
  readonly #decoder: RequestDecoder;
  readonly #encoder: ResponseEncoder;
  readonly #errors: ErrorSerializer;
  readonly #validator: ShapeValidator;
  readonly #handlers: OperationHandlers;
  readonly #verifier: SigV4Verifier;
  readonly #plain: PlainRoute[];
  readonly #skips: ValidationSkips;
  readonly #onCall: (rec: ControlPlaneCall) => void;
  readonly #server: Server;

  constructor(opts: {
    handlers: OperationHandlers;
    verifier: SigV4Verifier;
    plainRoutes?: PlainRoute[];
    validationSkips?: ValidationSkips;
    onCall?: (rec: ControlPlaneCall) => void;
    logError: (err: unknown) => void;
  }) {
    const model = lambdaModel();
    this.#router = new OperationRouter(model);
    this.#decoder = new RequestDecoder(model);
    this.#encoder = new ResponseEncoder(model);
    this.#errors = new ErrorSerializer(model, opts.logError);
    this.#validator = new ShapeValidator(model);
    this.#handlers = opts.handlers;
    this.#verifier = opts.verifier;
    this.#plain = opts.plainRoutes ?? [];
    this.#skips = opts.validationSkips ?? {};
    this.#onCall = opts.onCall ?? (() => {});
    this.#server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.#handle(req, res).catch((err) => {
        opts.logError(err);
        if (!res.headersSent) this.#send(res, randomUUID(), this.#errors.serialize(err));
      });
    });
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const rawQuery = q >= 0 ? rawUrl.slice(q + 1) : '';
    const method = req.method ?? 'GET';
    const host = req.headers.host ?? 'localhost';

    for (const route of this.#plain) {
      if (route.method === method && rawPath.startsWith(route.prefix)) return route.handle(req, res, new URL(rawUrl, `http://${host}`));
    }

    const query = new URLSearchParams(rawQuery);
    // AWS CLI v2 2.9 and botocore 1.29 send ListFunctions as `/2015-03-31/functions/`: match without
    // the trailing slash but sign with the path as received.
    const routePath = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
    const match = this.#router.match(method, routePath, query);
    let operation: Operation | undefined = match?.operation;
    let input: Record<string, unknown> = {};
    let identity: SigningIdentity | undefined;
    try {
      const limit = BODY_LIMITS[operation?.name ?? ''];
      const body = await readBody(req, limit?.bytes ?? DEFAULT_BODY_LIMIT);
      if (body === undefined) {
        res.setHeader('connection', 'close');
        throw limit ? limit.error(operation!.name, limit.bytes) : new RequestEntityTooLargeException(`Request must be smaller than ${DEFAULT_BODY_LIMIT} bytes for the ${operation?.name ?? 'requested'} operation`);
      }
      identity = this.#verifier.verify({ method, rawPath, rawQuery, headers: req.headers, body });
      if (!match || !operation) {
        throw new UnknownOperationException(`Flint does not serve ${method} ${rawPath}: no Lambda API operation has this method and path.`);
      }
      const handler = this.#handlers[operation.name];
      if (!handler) throw new UnsupportedOperationException(`The ${operation.name} operation is not supported by Flint.`);
      input = this.#decoder.decode(operation, match.params, query, req.headers, body);
      if (operation.input) this.#validator.validate(operation.input.shape, input, this.#skips[operation.name]);
      const ctx: RequestContext = {
        requestId,
        operation: operation.name,
        identity,
        endpoint: `http://${host}`,
        headers: req.headers,
        bodySize: body.length,
      };
      const output = await handler(input, ctx);
      const encoded = this.#encoder.encode(operation, output ?? undefined);
      this.#send(res, requestId, encoded);
      this.#record(requestId, operation, identity, input, encoded.status);
    } catch (err) {
      const encoded = this.#errors.serialize(err);
      this.#send(res, requestId, encoded);
      if (operation && identity) this.#record(requestId, operation, identity, input, encoded.status, (err as LambdaError).type ?? 'ServiceException');
    }
  }

  #record(requestId: string, op: Operation, identity: SigningIdentity, input: Record<string, unknown>, status: number, errorType?: string): void {
    this.#onCall({ requestId, operation: op.name, principal: identity.principalArn, input, status, ...(errorType ? { errorType } : {}) });
  }

  #send(res: ServerResponse, requestId: string, r: EncodedResponse): void {
    // r.headers is built afresh for each response (encoder, error serializer): completed in place.
    const headers = r.headers;
    headers['x-amzn-requestid'] = requestId;
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

/** Reads the whole body, or returns undefined as soon as it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => { if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)); });
    req.on('error', reject);
  });
}
