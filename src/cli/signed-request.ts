import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from './node-sha256.js';
import type { FlintTarget } from './cli-client.js';


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
