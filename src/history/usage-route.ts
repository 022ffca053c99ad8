import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UsageMeter } from './usage-meter.js';

/** Flint's own (not AWS) path for `flint usage`. */
export const USAGE_PATH = '/flint/usage';

/** Structurally the front door's PlainRoute (src/api/api-server.ts), which this layer may not import. */
export interface UsageRoute {
  method: string;
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** Structurally the front door's SigV4Verifier. */
export interface RootVerifier {
  verify(input: { method: string; rawPath: string; rawQuery: string; headers: IncomingMessage['headers']; body: Buffer }): { credential: { principal: { type: string } } };
}

/**
 * `GET /flint/usage?since=<epoch ms>&function=<name>`: requests, GB-seconds and cost per function,
 * for the root credentials only (like `flint keys`): usage spans every function of the account,
 * and AWS shows billing to the account owner, not through Lambda's IAM actions.
 */
export function usageRoute(opts: { usage: UsageMeter; verifier: RootVerifier }): UsageRoute {
  return {
    method: 'GET',
    prefix: USAGE_PATH,
    async handle(req, res, url) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      let root = false;
      try {
        const v = opts.verifier.verify({ method: req.method ?? 'GET', rawPath: q >= 0 ? raw.slice(0, q) : raw, rawQuery: q >= 0 ? raw.slice(q + 1) : '', headers: req.headers, body: Buffer.concat(chunks) });
        root = v.credential.principal.type === 'Account';
      } catch {
        root = false;
      }
      if (!root) return answer(403, { message: 'usage is reported to the root credentials only (flint usage, signed with SigV4)' });
      const since = url.searchParams.get('since');
      const sinceMs = since !== null ? Number(since) : undefined;
      if (sinceMs !== undefined && !Number.isFinite(sinceMs)) return answer(400, { message: `since must be epoch milliseconds, not ${since}` });
      const fn = url.searchParams.get('function');
      const lines = opts.usage.usage({ ...(sinceMs !== undefined ? { sinceMs } : {}), ...(fn !== null ? { functionName: fn } : {}) });
      return answer(200, { functions: lines, prices: opts.usage.prices });
    },
  };
}
