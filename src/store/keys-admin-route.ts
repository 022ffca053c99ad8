import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MasterKeyRotation } from './master-key-rotation.js';

/** Flint's own (not AWS) admin paths for master keys, used by `flint keys`. */
export const KEYS_ADMIN_PREFIX = '/flint/keys';

/** Structurally the front door's PlainRoute (src/api/api-server.ts), which the store may not import. */
export interface KeysAdminRoute {
  method: string;
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/**
 * `GET /flint/keys/status` and `POST /flint/keys/rotate`, for the root principal only: the caller
 * signs with SigV4 and `isRoot` (wired by the app to the front door's verifier) decides. Master
 * keys are Flint's, not an AWS resource, so no IAM policy can grant them; there is no AWS API to
 * mirror. Answers never contain key material: only ids, states and counts.
 */
export function keysAdminRoutes(opts: {
  rotation: MasterKeyRotation;
  /** True when the request carries a valid signature by the root credentials. */
  isRoot: (req: IncomingMessage, body: Buffer) => boolean;
}): KeysAdminRoute[] {
  const guarded = (fn: () => { status: number; body: unknown }) => async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let answer: { status: number; body: unknown };
    if (!opts.isRoot(req, Buffer.concat(chunks))) {
      answer = { status: 403, body: { message: 'master keys are managed with the root credentials only (flint keys, signed with SigV4)' } };
    } else {
      try {
        answer = fn();
      } catch (err) {
        answer = { status: 409, body: { message: err instanceof Error ? err.message : String(err) } };
      }
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  };
  return [
    { method: 'GET', prefix: `${KEYS_ADMIN_PREFIX}/status`, handle: guarded(() => ({ status: 200, body: opts.rotation.status() })) },
    { method: 'POST', prefix: `${KEYS_ADMIN_PREFIX}/rotate`, handle: guarded(() => ({ status: 202, body: opts.rotation.rotate() })) },
  ];
}
