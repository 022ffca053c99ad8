import { createHash, createHmac } from 'node:crypto';
import { TEST_CREDENTIALS } from './flint-harness.js';

export interface SignedResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body's bytes (CBOR responses). */
  bytes: Buffer;
  /** The parsed JSON body, when the body is JSON. */
  json: any;
}

/**
 * Sends a raw request signed with SigV4 (the test credentials, service `lambda` unless told), for what the SDK
 * refuses to send: malformed JSON, wrong JSON types, unknown members. `path` is sent as given
 * (already percent-encoded) and signed the way AWS canonicalises non-S3 paths.
 */
export async function signedFetch(
  endpoint: string,
  method: string,
  path: string,
  opts: { body?: string | Buffer; query?: string; headers?: Record<string, string>; region?: string; service?: string } = {},
): Promise<SignedResponse> {
  const region = opts.region ?? 'us-east-1';
  const service = opts.service ?? 'lambda';
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body);
  const url = new URL(endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scopeDate = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payloadHash,
    ...(body.length > 0 ? { 'content-type': 'application/json' } : {}),
    ...lower(opts.headers ?? {}),
  };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = opts.query ?? '';
  const canonicalQuery = [...new URLSearchParams(query).entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalUri = path.split('/').map(rfc3986).join('/');
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonicalRequest))].join('\n');
  let k: Buffer = hmac('AWS4' + TEST_CREDENTIALS.secretAccessKey, scopeDate);
  for (const part of [region, service, 'aws4_request']) k = hmac(k, part);
  const signature = createHmac('sha256', k).update(stringToSign).digest('hex');
  const { host: _host, ...sendHeaders } = headers;
  const res = await fetch(`${endpoint}${path}${query ? '?' + query : ''}`, {
    method,
    headers: {
      ...sendHeaders,
      authorization: `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    },
    ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, bytes, json };
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
