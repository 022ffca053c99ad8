import { createHash, createHmac } from 'node:crypto';

/**
 * Signs one request with SigV4 (Authorization header) once, so load generators can replay it for
 * the signature's lifetime (AWS, and Flint, accept a timestamp within 15 minutes) without paying
 * for signing on every request — the raw-HTTP load path measures the server, not the signer.
 */
export interface SignInput {
  method: string;
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  /** Path as sent (already percent-encoded). */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  now?: Date;
}

export function signRequest(input: SignInput): Record<string, string> {
  const url = new URL(input.endpoint);
  const amzDate = (input.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers)) headers[k.toLowerCase()] = v;
  headers['host'] = url.host;
  headers['x-amz-date'] = amzDate;
  const names = Object.keys(headers).filter((h) => h !== 'content-length').sort();
  const canonicalHeaders = names.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  // Services other than S3 encode each already-encoded path segment once more.
  const canonicalUri = input.path.split('/').map((s) => encodeURIComponent(s)).join('/');
  const canonicalRequest = [input.method, canonicalUri, '', canonicalHeaders, names.join(';'), hex(input.body)].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(Buffer.from(canonicalRequest))].join('\n');
  let key: Buffer = hmac('AWS4' + input.secretAccessKey, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  headers['content-length'] = String(input.body.length);
  return headers;
}

function hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
