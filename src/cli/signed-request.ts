import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FlintTarget } from './cli-client.js';

/** Node's SHA-256 in the shape the Smithy signer wants (HMAC when given a secret). */
class Sha256 {
  readonly #h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#h.digest();
  }
}

function bytes(v: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof v === 'string') return v;
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export interface SignedAnswer {
  status: number;
  body: string;
}

/**
 * A request to a Flint (the CLI's target: its endpoint and credentials) signed by AWS's own SigV4
 * signer (@smithy/signature-v4, the one SDK v3 uses), over http or https (the target's CA trusted).
 * Resolves undefined when no server listens at the endpoint.
 */
export async function rootSignedRequest(
  target: FlintTarget,
  p: { method: string; path: string; service: string; body?: string; headers?: Record<string, string> },
): Promise<SignedAnswer | undefined> {
  const url = new URL(p.path, target.endpoint);
  const body = p.body ?? '';
  const signer = new SignatureV4({ credentials: target.credentials, region: target.region, service: p.service, sha256: Sha256, uriEscapePath: true });
  const signed = await signer.sign({
    method: p.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...(p.headers ?? {}), host: url.host },
    body,
  });
  const ca = target.ca;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: p.method, headers: signed.headers, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(undefined) : reject(err)));
    req.end(body);
  });
}
