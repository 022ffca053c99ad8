import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { AuditStore } from '../ports/audit-store.js';
import { AuditTrail } from '../observe/audit-trail.js';
import { DigestSigner } from '../observe/digest-signer.js';
import { parseAuditSelector } from '../observe/audit-selector.js';
import { loadAuditSigningKey } from './audit-signing-key.js';

export interface Audit {
  readonly trail: AuditTrail;
  /** Digests on an interval while records are pending (CloudTrail delivers digest files hourly), and retention. */
  start(): void;
  /** Signs the last records: a clean stop leaves no unsigned tail. */
  stop(): void;
}

/**
 * Wires the hash-chained, digest-signed audit trail (src/observe/audit-trail.ts) on the node's audit store. Rows
 * an older Flint wrote are sealed into the chain here, once; records past retention are pruned.
 */
export function createAudit(deps: { config: FlintConfig; store: AuditStore; clock: Clock; log(line: string): void }): Audit {
  const { config, log } = deps;
  const trail = new AuditTrail({
    store: deps.store,
    clock: deps.clock,
    signer: new DigestSigner(loadAuditSigningKey(config.dataDir)),
    region: config.region,
    accountId: config.accountId,
    selector: parseAuditSelector(config.auditEvents),
    digestEvery: config.auditDigestEvery,
    digestIntervalMs: config.auditDigestIntervalMs,
    retentionDays: config.auditRetentionDays,
  });
  const sealed = trail.open();
  if (sealed.sealed > 0) log(`flint: sealed ${sealed.sealed} audit record(s) from before the hash chain into it (signed by a digest)`);
  trail.prune();
  let timer: NodeJS.Timeout | undefined;
  return {
    trail,
    start() {
      timer = setInterval(() => {
        try {
          trail.tick();
        } catch (err) {
          log(`flint: audit digest/retention failed: ${String(err)}`);
        }
      }, Math.max(1000, Math.min(config.auditDigestIntervalMs, 3600_000)));
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      trail.digest();
    },
  };
}
