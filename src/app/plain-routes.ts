import type { PlainRoute } from '../api/api-server.js';
import type { SigV4Verifier } from '../api/sigv4-verifier.js';
import { codeDownloadRoute } from '../api/code-download-route.js';
import type { CodeLocations } from '../control/code-location.js';
import type { CodeStore } from '../ports/code-store.js';
import type { Metrics } from '../ports/metrics.js';
import type { MasterKeyRotation } from '../store/master-key-rotation.js';
import { keysAdminRoutes } from '../store/keys-admin-route.js';
import type { UsageMeter } from '../history/usage-meter.js';
import { usageRoute } from '../history/usage-route.js';
import type { AsyncInvocation } from '../invoke/async/async-invocation.js';
import { devRoutes, type DevRouteDeps } from '../api/dev-routes.js';

/**
 * The routes beside the AWS APIs on Flint's port: code download links (S3's role), the root-signed
 * admin routes of `flint keys` and `flint usage`, health, and the Prometheus exposition.
 */
export function plainRoutes(deps: {
  codeLocations: CodeLocations;
  code: CodeStore;
  keyRotation: MasterKeyRotation;
  verifier: SigV4Verifier;
  usage: UsageMeter;
  asyncInvocation: AsyncInvocation;
  metrics: Metrics;
  log(line: string): void;
  /** `flint dev` / `flint invoke --inspect` (src/api/dev-routes.ts). */
  dev?: Omit<DevRouteDeps, 'verifier'>;
}): PlainRoute[] {
  const { codeLocations, code, keyRotation, verifier, usage, asyncInvocation, metrics, log } = deps;
  return [
    codeDownloadRoute(codeLocations, code),
    // `flint keys status|rotate`: root-signed only.
    ...keysAdminRoutes({
      rotation: keyRotation,
      isRoot: (req, body) => {
        const raw = req.url ?? '/';
        const q = raw.indexOf('?');
        try {
          const v = verifier.verify({ method: req.method ?? 'GET', rawPath: q >= 0 ? raw.slice(0, q) : raw, rawQuery: q >= 0 ? raw.slice(q + 1) : '', headers: req.headers, body });
          return v.credential.principal.type === 'Account';
        } catch {
          return false;
        }
      },
    }),
    usageRoute({ usage, verifier }),
    ...(deps.dev ? devRoutes({ ...deps.dev, verifier }) : []),
    { method: 'GET', prefix: '/health', handle: (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok"}'); } },
    {
      method: 'GET',
      prefix: '/metrics/async-queue',
      handle: (_req, res) => {
        asyncInvocation.pollers.metrics().then(
          (m) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(m)); },
          (err: unknown) => { log(`flint: internal error: ${String(err)}`); res.writeHead(500); res.end(); },
        );
      },
    },
    // Last: '/metrics' is a prefix of the routes above.
    {
      method: 'GET',
      prefix: '/metrics',
      handle: (_req, res) => {
        metrics.render().then(
          (m) => { res.writeHead(200, { 'content-type': m.contentType }); res.end(m.body); },
          (err: unknown) => { log(`flint: internal error: ${String(err)}`); res.writeHead(500); res.end(); },
        );
      },
    },
  ];
}
