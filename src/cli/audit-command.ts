import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { auditPublicKey, verifyAuditTrail } from '../app/audit-verify.js';
import { signedCall } from './history-command.js';
import { resolveTarget, type TargetOptions } from './cli-client.js';
import { parseSince } from './usage-command.js';

interface ListOptions {
  dataDir?: string;
  endpoint?: string;
  attribute?: string;
  since?: string;
  limit: string;
}

interface WireEvent {
  EventTime: number;
  EventName: string;
  EventSource: string;
  Username?: string;
  Resources?: Array<{ ResourceName: string }>;
  CloudTrailEvent: string;
}

interface VerifyOptions {
  dataDir?: string;
  publicKey?: string[];
  json?: boolean;
}

/**
 * `flint audit verify`: proves the audit trail (hash chain + signed digests) offline, on the data
 * dir, and says where any record was edited, deleted, inserted or reordered; exit 1 on a problem,
 * 0 when intact (records after the last digest are a warning). `flint audit public-key` prints the
 * digest key to keep elsewhere and pass back with `--public-key`.
 */
export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit trail: verify its integrity, export its signing key');
  audit
    .command('verify')
    .description('check the hash chain and signed digests of the audit trail in the data dir (offline)')
    .option('--data-dir <dir>', 'data directory (default ./.flint)')
    .option('--public-key <file...>', 'trusted public key(s) (PEM) for digests; default: the data dir\'s own')
    .option('--json', 'print the report as JSON')
    .action((opts: VerifyOptions) => {
      const config = loadConfig({ dataDir: opts.dataDir });
      // The server's retention (FLINT_AUDIT_RETENTION_DAYS) tells pruning from deletion at the start.
      const report = verifyAuditTrail(config.dataDir, opts.publicKey ?? [], { now: Date.now(), retentionDays: config.auditRetentionDays });
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        const lines: string[] = [];
        for (const p of report.problems) lines.push(`FAIL ${p.kind} at ${p.seq}: ${p.message}`);
        for (const w of report.warnings) lines.push(`warning: ${w}`);
        const span = report.firstSeq !== undefined ? ` (seq ${report.firstSeq}–${report.lastSeq})` : '';
        lines.push(`${report.ok ? 'OK' : 'FAILED'}: ${report.records} record(s), ${report.digests} signed digest(s)${span}; ${report.problems.length} problem(s)`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      if (!report.ok) process.exitCode = 1;
    });
  audit
    .command('list')
    .description('recent audit records, newest first (LookupEvents, root-signed, on the running server)')
    .option('--attribute <Key=Value>', 'one LookupEvents attribute, e.g. EventName=CreateFunction or Username=alice')
    .option('--since <when>', 'an ISO time or a duration back from now (24h, 30m, 7d)')
    .option('--limit <n>', 'at most this many records', '50')
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .action(async (_o: ListOptions, self: Command) => {
      const opts = self.optsWithGlobals<ListOptions & TargetOptions>();
      const target = resolveTarget(opts);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit: expected a positive integer, not '${opts.limit}'`);
      const eq = opts.attribute?.indexOf('=') ?? -1;
      if (opts.attribute !== undefined && eq < 1) throw new Error(`--attribute: expected Key=Value, not '${opts.attribute}'`);
      const events: WireEvent[] = [];
      let nextToken: string | undefined;
      do {
        const body = JSON.stringify({
          MaxResults: Math.min(50, limit - events.length),
          ...(opts.attribute ? { LookupAttributes: [{ AttributeKey: opts.attribute.slice(0, eq), AttributeValue: opts.attribute.slice(eq + 1) }] } : {}),
          ...(opts.since ? { StartTime: parseSince(opts.since, Date.now()) / 1000 } : {}),
          ...(nextToken ? { NextToken: nextToken } : {}),
        });
        const page = (await signedCall(target, { method: 'POST', path: '/', service: 'cloudtrail', body, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents' } })) as { Events: WireEvent[]; NextToken?: string };
        events.push(...page.Events);
        nextToken = page.NextToken;
      } while (nextToken && events.length < limit);
      const lines = events.map((e) => {
        const r = JSON.parse(e.CloudTrailEvent) as { errorCode?: string };
        return [new Date(e.EventTime * 1000).toISOString(), e.EventSource.replace('.amazonaws.com', ''), e.EventName, e.Username ?? '-', (e.Resources ?? []).map((x) => x.ResourceName).join(',') || '-', r.errorCode ?? 'ok'].join('  ');
      });
      process.stdout.write((lines.length ? lines.join('\n') : 'no audit records') + '\n');
    });
  audit
    .command('public-key')
    .description('print the Ed25519 public key that verifies audit digests, and its fingerprint')
    .option('--data-dir <dir>', 'data directory (default ./.flint)')
    .action((opts: { dataDir?: string }) => {
      const key = auditPublicKey(loadConfig({ dataDir: opts.dataDir }).dataDir);
      process.stdout.write(`${key.pem.trimEnd()}\n# sha256 fingerprint (SPKI DER): ${key.fingerprint}\n`);
    });
  return audit;
}
