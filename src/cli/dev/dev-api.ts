import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../node-sha256.js';
import type { LambdaClient } from '@aws-sdk/client-lambda';


/** An error the server answered on a /flint/dev route (its `__type` and message). */
export class DevApiError extends Error {
  constructor(readonly type: string, message: string, readonly status: number) {
    super(message);
  }
}

/**
 * The `/flint/dev` routes (src/api/dev-routes.ts) through the same endpoint, credentials and
 * region as the CLI's Lambda client, signed with SigV4 as service `lambda`.
 */
export class DevApi {
  readonly #client: LambdaClient;

  constructor(client: LambdaClient) {
    this.#client = client;
  }

  /** `$LATEST` runs from `folder` (again: the reload). */
  attachFolder(functionName: string, folder: string): Promise<{ Folder: string }> {
    return this.#call('PUT', functionName, 'code-folder', { Folder: folder }) as Promise<{ Folder: string }>;
  }

  detachFolder(functionName: string): Promise<unknown> {
    return this.#call('DELETE', functionName, 'code-folder');
  }

  /** New environments start with the inspector on the host's 127.0.0.1:port (0: any free one); resolves with the port. */
  async enableDebug(functionName: string, port: number): Promise<number> {
    const r = (await this.#call('PUT', functionName, 'debug', { Port: port })) as { Port: number };
    return r.Port;
  }

  disableDebug(functionName: string): Promise<unknown> {
    return this.#call('DELETE', functionName, 'debug');
  }

  async #call(method: 'PUT' | 'DELETE', functionName: string, what: string, input?: unknown): Promise<unknown> {
    const cfg = this.#client.config;
    const ep = await cfg.endpoint!();
    const creds = await cfg.credentials();
    const region = await cfg.region();
    const body = input === undefined ? '' : JSON.stringify(input);
    const path = `/flint/dev/functions/${encodeURIComponent(functionName)}/${what}`;
    const signer = new SignatureV4({ credentials: creds, region, service: 'lambda', sha256: Sha256, uriEscapePath: true });
    const signed = await signer.sign({
      method,
      protocol: ep.protocol,
      hostname: ep.hostname,
      ...(ep.port ? { port: ep.port } : {}),
      path,
      query: {},
      headers: { host: ep.port ? `${ep.hostname}:${ep.port}` : ep.hostname, 'content-type': 'application/json' },
      body,
    });
    const url = new URL(path, `${ep.protocol}//${ep.hostname}${ep.port ? `:${ep.port}` : ''}`);
    const ca = process.env['AWS_CA_BUNDLE'] ? readFileSync(process.env['AWS_CA_BUNDLE']) : undefined;
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers: signed.headers, ...(ca ? { ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      // not JSON: an older Flint without the route answers with its own error
    }
    if (answer.status >= 300) {
      const type = String(parsed['__type'] ?? 'UnknownError');
      const message = String(parsed['message'] ?? parsed['Message'] ?? answer.text.slice(0, 200));
      throw new DevApiError(type, message, answer.status);
    }
    return parsed;
  }
}
