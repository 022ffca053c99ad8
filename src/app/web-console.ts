import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { PlainRoute } from '../api/api-server.js';
import type { SigV4Verifier } from '../api/sigv4-verifier.js';
import { ConsoleAssets } from '../console/console-assets.js';
import { consoleRoutes } from '../console/console-routes.js';
import { LoginTokens } from '../console/login-tokens.js';
import type { Credential } from '../domain/principal.js';
import type { EnvironmentPool } from '../invoke/environment-pool.js';
import type { Clock } from '../ports/clock.js';
import type { IdentityAndAccess } from './identity-and-access.js';
import { verifyAuditTrail } from './audit-verify.js';

/** Where `vite build` puts the console (vite.config.ts): dist/web-console, from src/app or dist/app alike. */
const BUILT = fileURLToPath(new URL('../../dist/web-console', import.meta.url));

/** Wires the web console's routes (src/console) to the verifier, STS, IAM and the environment pool. */
export function webConsoleRoutes(deps: {
  verifier: SigV4Verifier;
  access: IdentityAndAccess;
  pool: EnvironmentPool;
  sandboxDriver: string;
  clock: Clock;
  region: string;
  dataDir: string;
  log(line: string): void;
  assetsDir?: string;
}): PlainRoute[] {
  const { verifier, access, pool, clock } = deps;
  return consoleRoutes({
    assets: new ConsoleAssets(deps.assetsDir ?? process.env['FLINT_CONSOLE_DIR'] ?? BUILT),
    tokens: new LoginTokens<Credential>(clock),
    verify: (req: IncomingMessage, body: Buffer) => {
      const raw = req.url ?? '/';
      const q = raw.indexOf('?');
      return verifier.verify({ method: req.method ?? 'GET', rawPath: q >= 0 ? raw.slice(0, q) : raw, rawQuery: q >= 0 ? raw.slice(q + 1) : '', headers: req.headers, body }).credential;
    },
    // The console's session is the link maker's own GetSessionToken session: one hour for the root
    // (AWS caps root sessions at an hour), and IAM applies to it as to its maker.
    session: (credential) => access.iam.sts.getSessionToken({ DurationSeconds: 3600 }, credential).Credentials,
    allowed: (credential, action, resource) => {
      try {
        access.checkAccess(credential.principal, action, resource);
        return true;
      } catch {
        return false;
      }
    },
    environments: () => pool.all().map(({ env, claimed, provisionedFor }) => ({
      id: env.id,
      functionName: env.binding.functionName,
      version: env.binding.version,
      state: env.state,
      busy: claimed,
      preInitialized: env.preInitialized,
      ...(provisionedFor !== undefined ? { provisionedFor } : {}),
      memorySize: env.binding.config.MemorySize ?? 128,
      runtime: env.binding.config.Runtime ?? 'provided',
      invocations: env.invocations,
      logGroupName: env.binding.logGroupName ?? env.binding.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${env.binding.functionName}`,
      logStreamName: env.logStreamName,
      createdAt: new Date(env.createdAt).toISOString(),
      lastUsedAt: new Date(env.lastUsedAt).toISOString(),
    })),
    // Read-only, on its own connection: the same check `flint audit verify` runs offline.
    integrity: () => verifyAuditTrail(deps.dataDir),
    sandboxDriver: deps.sandboxDriver,
    region: deps.region,
    log: deps.log,
  });
}
