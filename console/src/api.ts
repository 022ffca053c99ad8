import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from './sha256';

/** What the console signs with: a key pair (and a session token from a login link). */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** Expiration of a login link's session (ISO), when there is one. */
  expiration?: string;
  principal?: string;
}

const KEY = 'flint.console.credentials';

/** Credentials live in sessionStorage only: they go when the tab closes. */
export const session = {
  get(): Credentials | undefined {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Credentials) : undefined;
  },
  set(c: Credentials): void {
    sessionStorage.setItem(KEY, JSON.stringify(c));
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

/** An error answered by the API, with its AWS type and a sentence for people. */
export class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status: number) {
    super(message);
  }
  /** The error in plain words. */
  get plain(): string {
    if (this.status === 403 || /AccessDenied|NotAuthorized|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(this.type)) {
      if (/ExpiredToken/.test(this.type)) return 'Your session has expired. Sign in again.';
      if (/UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch/.test(this.type)) return 'These credentials are not recognized. Check the access key and secret, or sign in again.';
      return `You are not allowed to do this. ${this.message}`;
    }
    if (this.status === 404 || /NotFound/.test(this.type)) return `Not found: ${this.message}`;
    if (this.status === 429 || /TooManyRequests|Throttl/.test(this.type)) return `Flint is busy (throttled); try again in a moment. ${this.message}`;
    if (this.status === 0) return 'Flint did not answer. Is the server running?';
    return `${this.message} (${this.type})`;
  }
}

export interface Raw {
  status: number;
  headers: Headers;
  text: string;
}

/** One SigV4-signed request to Flint's API on this page's origin. */
export async function signedFetch(service: string, method: string, path: string, opts: { query?: Record<string, string>; headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<Raw> {
  const c = session.get();
  if (!c) throw new ApiError('NotSignedIn', 'Sign in first.', 401);
  const url = new URL(path, location.origin);
  const s = new SignatureV4({ credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) }, region: c.region, service, sha256: Sha256, uriEscapePath: true });
  const signed = await s.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: opts.query ?? {},
    headers: { ...(opts.headers ?? {}), host: url.host },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const qs = new URLSearchParams(opts.query ?? {}).toString();
  const h = { ...signed.headers } as Record<string, string>;
  delete h['host'];
  let res: Response;
  try {
    res = await fetch(url.pathname + (qs ? `?${qs}` : ''), { method, headers: h, ...(opts.body !== undefined ? { body: opts.body as BodyInit } : {}), credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiError('NetworkError', 'Flint did not answer.', 0);
  }
  const text = await res.text();
  if (res.status >= 400) throw toError(res.status, res.headers, text);
  return { status: res.status, headers: res.headers, text };
}

function toError(status: number, headers: Headers, text: string): ApiError {
  let type = headers.get('x-amzn-errortype')?.split(':')[0] ?? '';
  let message = text;
  try {
    const j = JSON.parse(text) as Record<string, string>;
    type = (j['__type'] ?? j['code'] ?? type).split('#').pop()!;
    message = j['message'] ?? j['Message'] ?? text;
  } catch {
    const m = /<Code>([^<]*)<\/Code>[\s\S]*?<Message>([^<]*)<\/Message>/.exec(text);
    if (m) [type, message] = [m[1]!, m[2]!];
  }
  return new ApiError(type || `HTTP${status}`, message || `HTTP ${status}`, status);
}

/** Lambda's REST-JSON API. */
export async function lambda<T = any>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
  const r = await signedFetch('lambda', method, path, { ...(query ? { query } : {}), ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

const TARGETS: Record<string, { prefix: string; version: string }> = {
  logs: { prefix: 'Logs_20140328', version: '1.1' },
  monitoring: { prefix: 'GraniteServiceVersion20100801', version: '1.0' },
  cloudtrail: { prefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101', version: '1.1' },
  config: { prefix: 'StarlingDoveService', version: '1.1' },
};

/** An AWS JSON-protocol call (CloudWatch Logs, CloudWatch, CloudTrail, Config). */
export async function awsJson<T = any>(service: 'logs' | 'monitoring' | 'cloudtrail' | 'config', operation: string, input: unknown): Promise<T> {
  const t = TARGETS[service]!;
  const r = await signedFetch(service, 'POST', '/', { body: JSON.stringify(input), headers: { 'content-type': `application/x-amz-json-${t.version}`, 'x-amz-target': `${t.prefix}.${operation}` } });
  return (r.text ? JSON.parse(r.text) : {}) as T;
}

/** STS GetCallerIdentity (query protocol): who the credentials are, the sign-in check. */
export async function whoAmI(): Promise<string> {
  const r = await signedFetch('sts', 'POST', '/', { body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });
  return /<Arn>([^<]*)<\/Arn>/.exec(r.text)?.[1] ?? 'unknown';
}

/** Flint's own console endpoint (execution environments), signed like any call. */
export async function flintGet<T = any>(path: string): Promise<T> {
  const r = await signedFetch('lambda', 'GET', path);
  return JSON.parse(r.text) as T;
}

export const fnPath = (name: string) => `/2015-03-31/functions/${encodeURIComponent(name)}`;
