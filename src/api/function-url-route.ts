import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { SigV4Verifier } from './sigv4-verifier.js';
import type { Invoker } from '../ports/invoker.js';
import type { Principal } from '../domain/principal.js';
import type { FunctionUrlCors } from '../domain/records.js';
import { AwsError } from '../domain/errors.js';
import { mustClose, readBody } from './read-body.js';
import { buildUrlEvent, inferUrlResponse } from '../invoke/function-url-payload.js';
import { firstOf, writeUrlStream } from './url-stream-response.js';
import type { InvokeResult, ResponseStream } from '../ports/invoker.js';

/** What the route needs to know of a URL id (FunctionUrlService.target). */
export interface UrlTarget {
  urlId: string;
  functionName: string;
  qualifier?: string;
  functionArn: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: FunctionUrlCors;
  invokeMode?: 'BUFFERED' | 'RESPONSE_STREAM';
}

/** Lambda's invocation payload quota, which bounds a URL's request and response bodies. */
export const URL_BODY_LIMIT = 6 * 1024 * 1024;
/** The path form for clients that cannot set Host: `/lambda-url/<url-id>/<path>`. */
export const PATH_FORM_PREFIX = '/lambda-url/';
const URL_ID = /^[a-z0-9]{32}$/;
/** Recorded (test_lambda.snapshot.json: test_lambda_permission_url_invocation, …_persists_after_alias_delete). */
const FORBIDDEN = '{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}';

export interface FunctionUrlRouteDeps {
  region: string;
  accountId: string;
  target(urlId: string): UrlTarget | undefined;
  domainName(urlId: string): string;
  verifier: SigV4Verifier;
  /** True when `caller` (undefined: anonymous, for NONE URLs) may invoke the URL. */
  allowed(caller: Principal | undefined, functionArn: string, authType: 'NONE' | 'AWS_IAM'): boolean;
  invoker: Invoker;
  now(): number;
  uuid(): string;
  logError(err: unknown): void;
}

/**
 * The data plane of function URLs on Flint's port: a request whose Host is
 * `<url-id>.lambda-url.<region>.localhost[:port]`, or whose path starts `/lambda-url/<url-id>`,
 * becomes a payload 2.0 event, is authorized as Lambda authorizes URLs (SigV4 + identity and
 * resource policies for AWS_IAM; a resource policy allowing `lambda:InvokeFunctionUrl` with
 * FunctionUrlAuthType NONE for NONE), runs through the same `invoke` as the Invoke API, and the
 * function's output is turned into the HTTP response. CORS preflights are answered from the URL's
 * configuration without invoking.
 */
export class FunctionUrlRoute {
  readonly #d: FunctionUrlRouteDeps;
  readonly #host: RegExp;

  constructor(deps: FunctionUrlRouteDeps) {
    this.#d = deps;
    this.#host = new RegExp(`^([a-z0-9]{32})\\.lambda-url\\.${deps.region.replace(/[^a-z0-9-]/g, '')}\\.localhost(?::\\d{1,5})?$`, 'i');
  }

  /** The URL id and the path the function sees, when the request is for a function URL. */
  claims(req: IncomingMessage, rawPath: string): { urlId: string; path: string } | undefined {
    const host = this.#host.exec(req.headers.host ?? '');
    if (host) return { urlId: host[1]!.toLowerCase(), path: rawPath };
    if (!rawPath.startsWith(PATH_FORM_PREFIX)) return undefined;
    const rest = rawPath.slice(PATH_FORM_PREFIX.length);
    const slash = rest.indexOf('/');
    const urlId = slash < 0 ? rest : rest.slice(0, slash);
    if (!URL_ID.test(urlId)) return undefined;
    return { urlId, path: slash < 0 ? '/' : rest.slice(slash) };
  }

  async handle(req: IncomingMessage, res: ServerResponse, claim: { urlId: string; path: string }): Promise<void> {
    const requestId = this.#d.uuid();
    const target = this.#d.target(claim.urlId);
    if (!target) return void this.#error(req, res, requestId, 403, FORBIDDEN, 'AccessDeniedException');
    const body = await readBody(req, URL_BODY_LIMIT);
    if (body === undefined) return void this.#error(req, res, requestId, 413, '{"Message":"Request must be smaller than 6291456 bytes for the InvokeFunctionUrl operation"}', 'RequestEntityTooLargeException');
    const method = req.method ?? 'GET';
    const origin = header(req, 'origin');
    // A preflight is answered by the URL itself, unsigned (browsers never sign one).
    if (target.cors && method === 'OPTIONS' && origin !== undefined && header(req, 'access-control-request-method') !== undefined) {
      return void this.#send(res, requestId, undefined, 200, preflightHeaders(target.cors, origin), Buffer.alloc(0));
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawQuery = q >= 0 ? rawUrl.slice(q + 1) : '';
    let caller: Principal | undefined;
    let accessKey: string | undefined;
    if (target.authType === 'AWS_IAM') {
      try {
        const v = this.#d.verifier.verify({ method, rawPath: q >= 0 ? rawUrl.slice(0, q) : rawUrl, rawQuery, headers: req.headers, body });
        if (v.service !== 'lambda') throw new Error('not signed for lambda');
        caller = v.credential.principal;
        accessKey = v.credential.accessKeyId;
      } catch {
        return void this.#error(req, res, requestId, 403, FORBIDDEN, 'AccessDeniedException');
      }
    }
    if (!this.#d.allowed(caller, target.functionArn, target.authType)) return void this.#error(req, res, requestId, 403, FORBIDDEN, 'AccessDeniedException');

    const now = this.#d.now();
    const traceId = header(req, 'x-amzn-trace-id') ?? newTraceId(now);
    const secure = (req.socket as TLSSocket).encrypted === true;
    const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const event = buildUrlEvent({
      method,
      rawPath: claim.path,
      rawQueryString: rawQuery,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp,
      protocol: `HTTP/${req.httpVersion}`,
      urlId: claim.urlId,
      domainName: this.#d.domainName(claim.urlId),
      requestId,
      nowMs: now,
      accountId: caller ? this.#d.accountId : 'anonymous',
      ...(caller ? { iam: { accessKey: accessKey!, accountId: caller.accountId, callerId: caller.userId, userArn: caller.arn, userId: caller.userId } } : {}),
      added: {
        'x-amzn-trace-id': traceId,
        'x-forwarded-for': sourceIp,
        'x-forwarded-proto': secure ? 'https' : 'http',
        'x-forwarded-port': String(req.socket.localPort ?? ''),
      },
    });
    let result: InvokeResult;
    try {
      const streaming = target.invokeMode === 'RESPONSE_STREAM';
      let started!: (s: ResponseStream) => void;
      const invoking = this.#d.invoker.invoke({
        functionName: target.functionName,
        ...(target.qualifier !== undefined ? { qualifier: target.qualifier } : {}),
        payload: Buffer.from(JSON.stringify(event)),
        requestId,
        traceId,
        ...(streaming ? { onStream: (s: ResponseStream) => started(s) } : {}),
      });
      if (streaming) {
        invoking.catch(() => {});
        const first = await firstOf(invoking, new Promise<ResponseStream>((r) => (started = r)));
        if ('stream' in first) {
          const base: Record<string, string | string[]> = { date: new Date(this.#d.now()).toUTCString(), 'x-amzn-RequestId': requestId, 'x-amzn-trace-id': traceId };
          const fail502 = () => this.#error(req, res, requestId, 502, 'Internal Server Error', 'FunctionError');
          return void (await writeUrlStream(res, first.stream, base, (h) => { if (target.cors) applyCors(h, target.cors, origin); }, method === 'HEAD', fail502));
        }
        result = first.result;
      } else result = await invoking;
    } catch (err) {
      if (err instanceof AwsError && err.type === 'TooManyRequestsException') return void this.#error(req, res, requestId, 429, '{"Message":"Rate Exceeded."}', 'TooManyRequestsException');
      if (!(err instanceof AwsError)) this.#d.logError(err);
      return void this.#error(req, res, requestId, 502, 'Internal Server Error', err instanceof AwsError ? err.type : 'ServiceException');
    }
    const response = result.functionError ? undefined : inferUrlResponse(result.payload);
    if (!response || response.body.length > URL_BODY_LIMIT) return void this.#error(req, res, requestId, 502, 'Internal Server Error', 'FunctionError');
    const headers: Record<string, string | string[]> = { ...response.headers };
    if (target.cors) applyCors(headers, target.cors, origin);
    if (response.cookies.length > 0) headers['set-cookie'] = response.cookies;
    headers['x-amzn-trace-id'] = result.traceId ?? traceId;
    this.#send(res, requestId, undefined, response.statusCode, headers, response.body, method === 'HEAD');
  }

  #error(req: IncomingMessage, res: ServerResponse, requestId: string, status: number, body: string, errorType: string): void {
    // What was not read is drained so the connection stays usable (readBody drained an oversized
    // body already, within its bounds; past them the connection closes after the answer).
    if (!req.complete) {
      req.resume();
      if (status === 413 && mustClose(req)) res.setHeader('connection', 'close');
    }
    this.#send(res, requestId, errorType, status, { 'content-type': 'application/json' }, Buffer.from(body));
  }

  /** `head`: a HEAD request's answer — the body's length, not the body. */
  #send(res: ServerResponse, requestId: string, errorType: string | undefined, status: number, headers: Record<string, string | string[]>, body: Buffer, head = false): void {
    if (res.headersSent) return;
    const out: Record<string, string | string[]> = {
      ...headers,
      date: new Date(this.#d.now()).toUTCString(),
      'x-amzn-RequestId': requestId,
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
      'content-length': String(body.length),
    };
    res.writeHead(status, out);
    if (head) res.end();
    else res.end(body);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The origin to answer with: `*` when every origin is allowed, the request's when listed; else none. */
function allowedOrigin(cors: FunctionUrlCors, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const origins = cors.AllowOrigins ?? [];
  if (origins.includes('*')) return '*';
  return origins.find((o) => o.toLowerCase() === origin.toLowerCase()) !== undefined ? origin : undefined;
}

function preflightHeaders(cors: FunctionUrlCors, origin: string): Record<string, string> {
  const allowed = allowedOrigin(cors, origin);
  if (allowed === undefined) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': allowed,
    ...(cors.AllowMethods?.length ? { 'access-control-allow-methods': cors.AllowMethods.join(',') } : {}),
    ...(cors.AllowHeaders?.length ? { 'access-control-allow-headers': cors.AllowHeaders.join(',') } : {}),
    ...(cors.AllowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    ...(cors.MaxAge !== undefined ? { 'access-control-max-age': String(cors.MaxAge) } : {}),
    vary: 'Origin',
  };
}

/**
 * A URL with CORS configured adds its CORS headers to every response; where the function set the
 * same header, the configuration's wins (Lambda developer guide, "Cross-origin resource sharing":
 * "If there are conflicting headers, the configured CORS headers on the function URL take precedence").
 */
function applyCors(headers: Record<string, string | string[]>, cors: FunctionUrlCors, origin: string | undefined): void {
  const allowed = allowedOrigin(cors, origin);
  if (allowed === undefined) return;
  headers['access-control-allow-origin'] = allowed;
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (cors.ExposeHeaders?.length) headers['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
  headers['vary'] = typeof headers['vary'] === 'string' ? `${headers['vary']},Origin` : 'Origin';
}

/** X-Ray's trace header for a request that came without one. */
function newTraceId(nowMs: number): string {
  return `Root=1-${Math.floor(nowMs / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

