import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PlainRoute } from '../api/api-server.js';
import { readBody } from '../api/read-body.js';
import type { Credential } from '../domain/principal.js';
import { AwsError } from '../domain/errors.js';
import type { ConsoleAssets } from './console-assets.js';
import type { LoginTokens } from './login-tokens.js';

/** One execution environment as the console's environments page shows it. */
export interface EnvironmentView {
  id: string;
  functionName: string;
  version: string;
  state: string;
  /** Busy: an invocation holds it now. */
  busy: boolean;
  preInitialized: boolean;
  provisionedFor?: string;
  memorySize: number;
  runtime: string;
  invocations: number;
  /** Where its REPORT lines go (the console reads Max Memory Used from there). */
  logGroupName: string;
  logStreamName: string;
  createdAt: string;
  lastUsedAt: string;
}

export interface ConsoleRouteDeps {
  assets: ConsoleAssets;
  tokens: LoginTokens<Credential>;
  /** Verifies a SigV4-signed request; throws the front door's AwsError when it is not. */
  verify(req: IncomingMessage, body: Buffer): Credential;
  /** Temporary credentials acting as `credential`'s identity (STS GetSessionToken). */
  session(credential: Credential): { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date };
  /** Whether IAM allows `action` on `resource` to the caller (throws nothing). */
  allowed(credential: Credential, action: string, resource: string): boolean;
  environments(): EnvironmentView[];
  /** The audit trail's hash chain and signed digests, checked now (`flint audit verify`'s report). */
  integrity(): unknown;
  sandboxDriver: string;
  /** The region the server signs for: a login link's session signs with it. */
  region: string;
  log(line: string): void;
}

const API = '/console/api/';
const BODY_LIMIT = 16 * 1024;

/**
 * The web console on Flint's port: the built single-page app under /console/, and three small
 * JSON endpoints beside it — the one-time login link (`flint console`), its exchange for temporary
 * credentials, and two signed read-only views no AWS API has: the execution environments now and
 * the audit trail's integrity check. Everything else
 * the console shows comes from ordinary signed AWS API calls the browser makes itself.
 */
export function consoleRoutes(deps: ConsoleRouteDeps): PlainRoute[] {
  return [
    { method: 'GET', prefix: '/console', handle: (req, res, url) => (url.pathname.startsWith(API) ? apiGet(deps, req, res, url) : serveAsset(deps, req, res, url)) },
    { method: 'HEAD', prefix: '/console', handle: (req, res, url) => serveAsset(deps, req, res, url) },
    { method: 'POST', prefix: API, handle: (req, res, url) => apiPost(deps, req, res, url) },
  ];
}

function serveAsset(deps: ConsoleRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (url.pathname === '/console') {
    res.writeHead(301, { location: '/console/' });
    return void res.end();
  }
  if (!url.pathname.startsWith('/console/')) return notFound(res);
  if (!deps.assets.built) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end('The console is not built: run `npm run build` (npm ci does it).\n');
  }
  const path = decodeURIComponent(url.pathname.slice('/console/'.length));
  // Paths without a file are the app's own routes: they get the page, which routes in the browser.
  const asset = deps.assets.get(path) ?? (path.startsWith('assets/') ? undefined : deps.assets.get('index.html'));
  if (!asset) return notFound(res);
  const headers: Record<string, string> = {
    'content-type': asset.type,
    etag: asset.etag,
    vary: 'accept-encoding',
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  if (asset.type.startsWith('text/html')) {
    // The page talks to its own origin only; no frame may embed it (the sign-in form).
    headers['content-security-policy'] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
    headers['referrer-policy'] = 'no-referrer';
  }
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  const accept = String(req.headers['accept-encoding'] ?? '');
  let body = asset.identity;
  if (asset.br && /\bbr\b/.test(accept)) {
    body = asset.br;
    headers['content-encoding'] = 'br';
  } else if (asset.gzip && /\bgzip\b/.test(accept)) {
    body = asset.gzip;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function apiGet(deps: ConsoleRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (url.pathname === `${API}audit-integrity`) {
    const credential = verified(deps, req, res, Buffer.alloc(0));
    if (!credential) return;
    // The integrity report tells about the trail CloudTrail's LookupEvents reads: gated alike.
    if (!deps.allowed(credential, 'cloudtrail:LookupEvents', '*')) {
      return json(res, 403, { __type: 'AccessDeniedException', message: `User: ${credential.principal.arn} is not authorized to perform: cloudtrail:LookupEvents on resource: *` });
    }
    try {
      return json(res, 200, deps.integrity());
    } catch (err) {
      return json(res, 200, { ok: false, problems: [], warnings: [], error: (err as Error).message });
    }
  }
  if (url.pathname !== `${API}environments`) return notFound(res);
  const credential = verified(deps, req, res, Buffer.alloc(0));
  if (!credential) return;
  // Read-only introspection of the data plane, gated like listing the functions it runs.
  if (!deps.allowed(credential, 'lambda:ListFunctions', '*')) {
    return json(res, 403, { __type: 'AccessDeniedException', message: `User: ${credential.principal.arn} is not authorized to perform: lambda:ListFunctions on resource: *` });
  }
  json(res, 200, { SandboxDriver: deps.sandboxDriver, Environments: deps.environments() });
}

async function apiPost(deps: ConsoleRouteDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = await readBody(req, BODY_LIMIT);
  if (!body) return json(res, 413, { __type: 'RequestEntityTooLargeException', message: 'Request body too large.' });
  if (url.pathname === `${API}login-link`) {
    const credential = verified(deps, req, res, body);
    if (!credential) return;
    // A session cannot mint a longer-lived one (STS: GetSessionToken refuses session credentials).
    if (credential.sessionToken !== undefined) return json(res, 403, { __type: 'AccessDeniedException', message: 'A login link cannot be made with temporary credentials.' });
    const { token, expiresAt } = deps.tokens.issue(credential);
    deps.log(`flint: console login link issued for ${credential.principal.arn}`);
    return json(res, 200, { Token: token, Expiration: new Date(expiresAt).toISOString() });
  }
  if (url.pathname === `${API}session`) {
    let token: unknown;
    try {
      token = (JSON.parse(body.toString('utf8')) as { Token?: unknown }).Token;
    } catch {
      token = undefined;
    }
    const credential = typeof token === 'string' ? deps.tokens.redeem(token) : undefined;
    if (!credential) return json(res, 403, { __type: 'InvalidLoginLink', message: 'This login link is not valid: it was used already, it expired, or the server restarted. Run `flint console` for a new one.' });
    const s = deps.session(credential);
    return json(res, 200, { AccessKeyId: s.AccessKeyId, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: s.Expiration.toISOString(), Principal: credential.principal.arn, Region: deps.region });
  }
  notFound(res);
}

function verified(deps: ConsoleRouteDeps, req: IncomingMessage, res: ServerResponse, body: Buffer): Credential | undefined {
  try {
    return deps.verify(req, body);
  } catch (err) {
    if (!(err instanceof AwsError)) throw err;
    json(res, err.status ?? 403, { __type: err.type, message: err.message });
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  json(res, 404, { __type: 'NotFound', message: 'No such console resource.' });
}
