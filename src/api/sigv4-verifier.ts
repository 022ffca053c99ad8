import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../domain/errors.js';

export interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  /** ARN of the caller (root or an execution role). */
  principalArn: string;
  /** Temporary credentials carry a session token that must come with the request. */
  sessionToken?: string;
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
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Verifies AWS Signature Version 4, in the Authorization-header and presigned-query forms, the way
 * AWS's front door does: the canonical request is rebuilt from what was received (each client signs
 * its own header set; the Python clients sign a body hash they do not send), and the timestamp must
 * be within 15 minutes.
 */
export class SigV4Verifier {
  readonly #lookup: (accessKeyId: string) => SigningIdentity | undefined;
  readonly #region: string;
  readonly #service: string;
  readonly #now: () => number;

  constructor(opts: { lookup: (id: string) => SigningIdentity | undefined; region: string; service: string; now: () => number }) {
    this.#lookup = opts.lookup;
    this.#region = opts.region;
    this.#service = opts.service;
    this.#now = opts.now;
  }

  verify(req: SignedRequest): SigningIdentity {
    const query = new URLSearchParams(req.rawQuery);
    const auth = header(req.headers, 'authorization');
    let credential: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string;
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
      credential = parts['Credential']!;
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
      credential = query.get('X-Amz-Credential')!;
      signedHeaders = query.get('X-Amz-SignedHeaders')!;
      signature = query.get('X-Amz-Signature')!;
      amzDate = query.get('X-Amz-Date')!;
      expiresSec = Number(query.get('X-Amz-Expires') ?? '900');
      // Presigners differ: botocore and SDK v3 sign the body's hash, S3-style ones UNSIGNED-PAYLOAD.
      payloadHash = header(req.headers, 'x-amz-content-sha256') ?? sha256Hex(req.body);
    } else {
      throw new MissingAuthenticationTokenException('Missing Authentication Token');
    }

    const [accessKeyId, scopeDate, region, service, terminator] = credential.split('/');
    if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request') {
      throw new IncompleteSignatureException(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
    }
    const identity = this.#lookup(accessKeyId);
    if (!identity) throw new UnrecognizedClientException('The security token included in the request is invalid.');
    if (identity.sessionToken !== undefined) {
      const token = header(req.headers, 'x-amz-security-token') ?? query.get('X-Amz-Security-Token');
      if (token !== identity.sessionToken) throw new UnrecognizedClientException('The security token included in the request is invalid.');
    }
    if (region !== this.#region) throw new InvalidSignatureException(`Credential should be scoped to a valid region. `);
    if (service !== this.#service) throw new InvalidSignatureException(`Credential should be scoped to correct service: '${this.#service}'. `);

    const signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) throw new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
    const now = this.#now();
    if (presigned) {
      if (now > signedAt + expiresSec * 1000) throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - expiresSec * 1000)} (${formatAmzDate(now)} - ${expiresSec} sec.)`);
    } else if (signedAt < now - MAX_SKEW_MS) {
      throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`);
    } else if (signedAt > now + MAX_SKEW_MS) {
      throw new InvalidSignatureException(`Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);
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
    const key = signingKey(identity.secretAccessKey, scopeDate, region, service);
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
    return identity;
  }
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

function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
