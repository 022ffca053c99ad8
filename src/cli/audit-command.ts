import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { auditPublicKey, verifyAuditTrail } from '../app/audit-verify.js';

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
      const report = verifyAuditTrail(config.dataDir, opts.publicKey ?? []);
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
    .command('public-key')
    .description('print the Ed25519 public key that verifies audit digests, and its fingerprint')
    .option('--data-dir <dir>', 'data directory (default ./.flint)')
    .action((opts: { dataDir?: string }) => {
      const key = auditPublicKey(loadConfig({ dataDir: opts.dataDir }).dataDir);
      process.stdout.write(`${key.pem.trimEnd()}\n# sha256 fingerprint (SPKI DER): ${key.fingerprint}\n`);
    });
  return audit;
}
