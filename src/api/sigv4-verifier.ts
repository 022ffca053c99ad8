import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ExpiredTokenException,
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../domain/errors.js';
import type { Credential } from '../domain/principal.js';

/** What a verified signature establishes: who signed, and the service and region they signed for. */
export interface VerifiedRequest {
  credential: Credential;
  /** The credential scope's service: the front door decides whether it serves it. */
  service: string;
  region: string;
}

export interface SignedRequest {
  method: string;
  /** The path exactly as received, still percent-encoded. */
  rawPath: string;
  /** The raw query string without '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS accepts requests whose timestamp is within 15 minutes of its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** SigV4 presigned URLs live at most 7 days (X-Amz-Expires ≤ 604800), as AWS enforces. */
const MAX_PRESIGN_EXPIRES_SEC = 604_800;
/** A presigned URL without X-Amz-Expires lives as long as a header signature's skew window. */
const DEFAULT_PRESIGN_EXPIRES_SEC = 900;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

/**
 * Parses the credential scope of a request without verifying it (Authorization header or
 * X-Amz-Credential query), so the front door can pick the service and its error protocol before
 * verification. Follows the same form selection as `verify`: the Authorization header when present,
 * else the presigned query when it carries X-Amz-Algorithm. Undefined when there is no scope of
 * four non-empty elements and a terminator (verify then says what is wrong).
 */
export function credentialScope(
  headers: IncomingHttpHeaders,
  rawQuery: string,
): { accessKeyId: string; date: string; region: string; service: string } | undefined {
  const auth = header(headers, 'authorization');
  let credential: string | undefined;
  if (auth !== undefined) {
    if (!auth.startsWith(ALGORITHM + ' ')) return undefined;
    credential = parseAuthorization(auth.slice(ALGORITHM.length + 1))['Credential'];
  } else if (rawQuery.includes('X-Amz-')) {
    const query = new URLSearchParams(rawQuery);
    if (query.get('X-Amz-Algorithm') === null) return undefined;
    credential = query.get('X-Amz-Credential') ?? undefined;
  }
  if (credential === undefined) return undefined;
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string, string];
  if (!accessKeyId || !date || !region || !service) return undefined;
  return { accessKeyId, date, region, service };
}

/**
 * Verifies AWS Signature Version 4, in the Authorization-header and presigned-query forms, the way
 * AWS's front door does: the canonical request is rebuilt from what was received (each client signs
 * its own header set; the Python clients sign a body hash they do not send), the timestamp must be
 * within 15 minutes (a presigned URL: within its X-Amz-Expires, at most 7 days), and the credential
 * scope must name the request's own day and the server's region. Which services are served is the
 * front door's decision, not this one's: the scope's service is returned, and signs the key.
 */
export class SigV4Verifier {
  readonly #lookup: (accessKeyId: string) => Credential | undefined;
  readonly #region: string;
  readonly #now: () => number;

  constructor(opts: { lookup: (accessKeyId: string) => Credential | undefined; region: string; now: () => number }) {
    this.#lookup = opts.lookup;
    this.#region = opts.region;
    this.#now = opts.now;
  }

  verify(req: SignedRequest): VerifiedRequest {
    const query = new URLSearchParams(req.rawQuery);
    const auth = header(req.headers, 'authorization');
    let credentialText: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string;
    let expiresSec = 0;
    let presigned = false;
    if (auth !== undefined) {
      if (!auth.startsWith(ALGORITHM + ' ')) {
        throw new IncompleteSignatureException(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth.split(' ')[0]}`);
      }
      const parts = parseAuthorization(auth.slice(ALGORITHM.length + 1));
      for (const k of ['Credential', 'SignedHeaders', 'Signature']) {
        if (!parts[k]) throw new IncompleteSignatureException(`Authorization header requires '${k}' parameter. Authorization=${auth}`);
      }
      credentialText = parts['Credential']!;
      signedHeaders = parts['SignedHeaders']!;
      signature = parts['Signature']!;
      const date = header(req.headers, 'x-amz-date') ?? header(req.headers, 'date');
      if (!date) throw new IncompleteSignatureException(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${auth}`);
      amzDate = date;
      payloadHash = header(req.headers, 'x-amz-content-sha256') ?? sha256Hex(req.body);
    } else if (query.get('X-Amz-Algorithm') !== null) {
      presigned = true;
      if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${query.get('X-Amz-Algorithm')}'`);
      for (const k of ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date']) {
        if (!query.get(k)) throw new IncompleteSignatureException(`AWS query-string parameters must include '${k}'. Re-examine the query-string parameters.`);
      }
      credentialText = query.get('X-Amz-Credential')!;
      signedHeaders = query.get('X-Amz-SignedHeaders')!;
      signature = query.get('X-Amz-Signature')!;
      amzDate = query.get('X-Amz-Date')!;
      expiresSec = presignExpiry(query.get('X-Amz-Expires'));
      // Presigners differ: botocore and SDK v3 sign the body's hash, S3-style ones UNSIGNED-PAYLOAD.
      payloadHash = header(req.headers, 'x-amz-content-sha256') ?? sha256Hex(req.body);
    } else {
      throw new MissingAuthenticationTokenException('Missing Authentication Token');
    }

    const scopeParts = credentialText.split('/');
    const [accessKeyId, scopeDate, region, service, terminator] = scopeParts;
    if (scopeParts.length !== 5 || !accessKeyId || !scopeDate || !region || !service || !terminator) {
      throw new IncompleteSignatureException(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credentialText}'`);
    }
    const credential = this.#lookup(accessKeyId);
    if (!credential) throw new UnrecognizedClientException(INVALID_TOKEN);
    const now = this.#now();
    if (credential.sessionToken !== undefined) {
      const token = header(req.headers, 'x-amz-security-token') ?? query.get('X-Amz-Security-Token');
      if (token !== credential.sessionToken) throw new UnrecognizedClientException(INVALID_TOKEN);
      // STS: a session past its Expiration answers ExpiredToken, whatever the signature.
      if (credential.expiresAt !== undefined && credential.expiresAt <= now) throw new ExpiredTokenException('The security token included in the request is expired');
    }
    if (region !== this.#region) throw new InvalidSignatureException(`Credential should be scoped to a valid region. `);
    if (terminator !== 'aws4_request') throw new InvalidSignatureException(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);

    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) throw new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
    // AWS ties a signature to the day its key was derived for: a key derived for any other day
    // (a leaked kSigning, say) must not sign today's requests. AWS's text, with both dates.
    const isoDate = formatAmzDate(signedAt);
    if (scopeDate !== isoDate.slice(0, 8)) {
      throw new InvalidSignatureException(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${isoDate.slice(0, 8)}', from '${isoDate}'.`,
      );
    }
    if (signedAt > now + MAX_SKEW_MS) {
      throw new InvalidSignatureException(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);
    }
    if (presigned) {
      if (now > signedAt + expiresSec * 1000) throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - expiresSec * 1000)} (${formatAmzDate(now)} - ${expiresSec} sec.)`);
    } else if (signedAt < now - MAX_SKEW_MS) {
      throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`);
    }
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && header(req.headers, 'x-amz-content-sha256') !== undefined && payloadHash !== sha256Hex(req.body)) {
      throw new InvalidSignatureException('The provided \'x-amz-content-sha256\' header does not match what was computed.');
    }

    const headerNames = signedHeaders.split(';');
    if (!headerNames.includes('host')) throw new InvalidSignatureException("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    const canonicalHeaders = headerNames.map((h) => `${h}:${canonicalHeaderValue(req.headers[h])}\n`).join('');
    const canonicalQuery = [...query.entries()]
      .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
      .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const scope = `${scopeDate}/${region}/${service}/aws4_request`;
    const key = signingKey(credential.secretAccessKey, scopeDate, region, service);
    const given = Buffer.from(signature, 'hex');
    const uri = canonicalUri(req.rawPath);
    const matches = (hash: string) => {
      const canonicalRequest = `${req.method}\n${uri}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${hash}`;
      const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
      const expected = createHmac('sha256', key).update(stringToSign).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
    const unsignedPresign = presigned && header(req.headers, 'x-amz-content-sha256') === undefined;
    if (!matches(payloadHash) && !(unsignedPresign && matches('UNSIGNED-PAYLOAD'))) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
    return { credential, service, region };
  }
}

/**
 * X-Amz-Expires of a presigned URL, in seconds. AWS refuses what is not a whole number of seconds
 * and caps presigned URLs at 7 days; the texts are AWS's (S3 publishes them; the JSON services answer
 * them as IncompleteSignatureException, their name for a malformed signature).
 */
function presignExpiry(raw: string | null): number {
  if (raw === null) return DEFAULT_PRESIGN_EXPIRES_SEC;
  if (!/^-?\d{1,18}$/.test(raw)) throw new IncompleteSignatureException('X-Amz-Expires should be a number');
  const sec = Number(raw);
  if (sec < 0) throw new IncompleteSignatureException('X-Amz-Expires must be non-negative');
  if (sec > MAX_PRESIGN_EXPIRES_SEC) {
    throw new IncompleteSignatureException(`X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than ${MAX_PRESIGN_EXPIRES_SEC} seconds`);
  }
  return sec;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAuthorization(rest: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of rest.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function canonicalHeaderValue(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

/** Canonical URIs of recent paths: a client invoking one function sends the same path again and again. */
const canonicalUris = new Map<string, string>();

/** Non-S3 services encode the already-encoded path once more, segment by segment. */
function canonicalUri(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  let uri = canonicalUris.get(rawPath);
  if (uri === undefined) {
    uri = rawPath.split('/').map((seg) => rfc3986(seg)).join('/');
    if (canonicalUris.size >= 1024) canonicalUris.clear();
    canonicalUris.set(rawPath, uri);
  }
  return uri;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Node's one-shot digest (20.12+), ~4× cheaper than a Hash object for a short input. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Buffer | string, encoding: 'hex') => string }).hash;

export function sha256Hex(data: Buffer | string): string {
  return oneShotHash ? oneShotHash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Derived keys change once a day per credential: derive each once (4 HMACs saved per request). */
const derivedKeys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let k = derivedKeys.get(id);
  if (!k) {
    if (derivedKeys.size >= 256) derivedKeys.clear();
    k = deriveSigningKey(secret, date, region, service);
    derivedKeys.set(id, k);
  }
  return k;
}

function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secret).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** ISO-8601 basic format (20261204T170000Z); built from the UTC fields (every request pays for it: no regexes). */
function formatAmzDate(ms: number): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${y}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
