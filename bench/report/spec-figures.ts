import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults } from './bench-results.js';
import { isFigure } from '../sections/warm-invoke.js';

const START = '<!-- bench:latest:start (written by `npm run bench -- --update-spec`; do not edit by hand) -->';
const END = '<!-- bench:latest:end -->';

/**
 * Rewrites the "latest figures" block of docs/SPECIFICATION.md from one bench run, so each
 * promise shows what this machine measured last, next to the JSON key that holds it.
 */
export function updateSpecification(specFile: string, r: BenchResults, resultFile: string): void {
  const text = readFileSync(specFile, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${specFile} has no bench:latest block`);
  writeFileSync(specFile, text.slice(0, a) + START + '\n' + renderBlock(r, resultFile) + '\n' + text.slice(b));
}

function renderBlock(r: BenchResults, resultFile: string): string {
  const m = r.machine;
  const lines = [
    `Run of ${r.startedAt} (${r.options.tiny ? 'tiny smoke run' : `medians of ${r.options.reps} repetitions`}; \`${resultFile}\`):`,
    `${m.cores} cores ${m.cpuModel}, ${m.memoryMiB} MiB, Node ${m.node}, Python ${m.python}, sandbox driver \`${m.sandbox}\`, ${m.cpuPlan.note}, load average ${m.loadAverage1m} at the start.`,
    '',
    '| promise | JSON key | measured | target | status |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const t of r.targets) {
    const measured = t.measured === null ? 'not measured' + (t.note ? ` (${t.note})` : '') : `${t.measured}${t.unit === '×' ? '×' : ` ${t.unit}`}`;
    const op = /≥/.test(t.description) ? '≥' : '≤';
    lines.push(`| ${t.id} | \`${t.key}\` | ${measured} | ${op} ${t.threshold}${t.unit === '×' ? '×' : ` ${t.unit}`} | ${t.met === null ? '—' : t.met ? 'met' : '**not met**'} |`);
  }
  lines.push('', 'Figures behind the ratios (same run):', '');
  if (isFigure(r.warm)) {
    for (const c of ['c1', 'c32'] as const) {
      for (const [k, e] of Object.entries(r.warm[c])) {
        if (!isFigure(e) && e.skipped.startsWith('measured at c=')) continue;
        lines.push(`- \`warm.${c}.${k}\`: ${isFigure(e) ? `p50 ${e.p50Ms} ms, p99 ${e.p99Ms} ms, ${e.rps} req/s, ${e.serverCpuMsPerReq} server CPU-ms/req` : e.skipped}`);
      }
    }
  }
  if (isFigure(r.warm)) {
    for (const s of r.warm.sweep ?? []) lines.push(`- \`warm.sweep\` c=${s.c}: ${'skipped' in s ? s.skipped : `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${s.rps} req/s`}`);
  }
  if (isFigure(r.async)) lines.push(`- \`async.deliveredPerSec\`: ${r.async.deliveredPerSec} events/s executed (enqueue ${r.async.enqueuePerSec}/s)`);
  if (isFigure(r.coldStart)) {
    for (const [k, e] of Object.entries(r.coldStart.bare)) lines.push(`- \`coldStart.bare.${k}.p50Ms\`: ${isFigure(e) ? `${e.p50Ms} ms` : e.skipped}`);
  }
  if (isFigure(r.memory)) lines.push(`- \`memory.serverPrivateGrowthPerEnvKiB\`: ${r.memory.serverPrivateGrowthPerEnvKiB} KiB per idle environment`);
  if (isFigure(r.envCreation)) {
    for (const rt of ['node', 'python'] as const) {
      const e = r.envCreation[rt];
      lines.push(`- \`envCreation.${rt}.envsPerSec\`: ${isFigure(e) ? `${e.envsPerSec} environments/s` : e.skipped}`);
    }
  }
  return lines.join('\n');
}
