import type { BenchResults, TargetResult } from './bench-results.js';
import { isFigure, WARM_TARGETS, type WarmEntry, type WarmTarget, type WarmFigure } from '../sections/warm-invoke.js';
import { ratio } from '../lib/stats.js';

type Row = [section: string, line: string, figure: string, vsFloor: string, target: string];

const LABELS: Record<WarmTarget, string> = {
  echo: 'floor: bare Node HTTP echo',
  twoHop: 'floor: two-hop Node proxy',
  protocol1: 'floor: Lambda protocol, 1 runtime process',
  protocolN: 'floor: Lambda protocol, 1 runtime process per request',
  protocolNSleep200: 'floor: Lambda protocol, 1 runtime per request, handler sleeps 200 ms',
  flintSleep200: 'Flint Invoke, handler sleeps 200 ms (raw HTTP)',
  flintRaw: 'Flint Invoke, pre-signed raw HTTP',
  flintIamUser: 'Flint Invoke, raw HTTP signed by an IAM user (policy evaluated)',
  flintSdk: 'Flint Invoke, @aws-sdk/client-lambda',
  flintUrl: 'Flint function URL (NONE, raw HTTP, path form)',
  offline: 'serverless-offline Invoke (raw HTTP)',
};

/** Renders the one table `npm run bench` prints: every figure of the run, floors and targets beside. */
export function renderTable(r: BenchResults): string {
  const rows: Row[] = [];
  const targets = new Map(r.targets.map((t) => [t.id, t]));
  const m = r.machine;
  const header = [
    `Flint bench  ${r.startedAt}  ${r.options.tiny ? 'TINY (1 rep, few requests: smoke only)' : `medians of ${r.options.reps} reps`}  ${r.durationSec} s`,
    `machine: ${m.cores} cores ${m.cpuModel}, ${m.memoryMiB} MiB, node ${m.node}, python ${m.python}, kernel ${m.kernel}, sandbox driver ${m.sandbox}; ${m.cpuPlan.note}; load avg ${m.loadAverage1m} at start`,
  ];

  if (isFigure(r.warm)) {
    const w = r.warm;
    for (const c of ['c1', 'c32'] as const) {
      const two = w[c].twoHop;
      for (const t of WARM_TARGETS) {
        const e = w[c][t];
        if (!e || (!isFigure(e) && e.skipped.startsWith('measured at c='))) continue;
        rows.push([`warm ${c.replace('c', 'c=')}`, LABELS[t] + (t === 'offline' && w.offlineVersion ? ` ${w.offlineVersion}` : ''), warmFigure(e, m.cpuPlan.loadWorkers, c), vsFloors(t, e, two, w[c]), warmTarget(t, c, targets)]);
      }
    }
    const f1 = w.c1.flintRaw;
    if (isFigure(f1)) {
      const p1 = w.c1.protocol1;
      rows.push(['warm c=1', 'server CPU per warm invocation (Flint server process)', `${fixed(f1.frontCpuMsPerReq)} CPU-ms`, isFigure(p1) ? `protocol floor's server: ${fixed(p1.frontCpuMsPerReq)} CPU-ms` : '', targetCell(targets.get('server-cpu-per-warm-invoke'))]);
    }
    for (const s of w.sweep ?? []) {
      rows.push(['warm sweep', `Flint Invoke, raw HTTP, c=${s.c}`, 'skipped' in s ? s.skipped : `p50 ${fixed(s.p50Ms)} ms`.padEnd(15) + `p99 ${fixed(s.p99Ms)} ms`.padEnd(15) + `${fmtInt(s.rps)} req/s`.padStart(12) + `  front CPU-ms/req ${fixed(s.frontCpuMsPerReq)}`, '', s.c === 256 ? targetCell(targets.get('warm-p99-sweep')) : '']);
    }
  } else rows.push(['warm', 'warm Invoke', r.warm.skipped, '', '']);

  if (isFigure(r.coldStart)) {
    const cs = r.coldStart;
    const bare = cs.bare;
    rows.push(['cold', 'bare `node -e 0` (clean env)', coldFigure(bare.node), '', '']);
    rows.push(['cold', 'bare `python3 -c 0` (clean env)', coldFigure(bare.python), '', '']);
    for (const [driver, byRt] of Object.entries(cs.flint)) {
      for (const rt of ['node', 'python'] as const) {
        const e = byRt[rt];
        const b = bare[rt];
        const vs = isFigure(e) && isFigure(b) ? `${ratio(e.p50Ms, b.p50Ms)}× bare` : '';
        const extra = isFigure(e) ? `, warm ${e.warmP50Ms} ms${e.initDurationP50Ms !== undefined ? `, Init Duration ${e.initDurationP50Ms} ms` : ''}${e.preInitialized !== undefined ? `, ${e.preInitialized}/${e.n} pre-initialized` : ''}` : '';
        rows.push(['cold', `Flint ${driver} sandbox, ${rt} hello → first response`, coldFigure(e) + extra, vs, targetCell(targets.get(`cold-start-${driver}-${rt}`))]);
      }
    }
  } else rows.push(['cold', 'cold start', r.coldStart.skipped, '', '']);

  if (isFigure(r.async)) {
    const a = r.async;
    rows.push(['async', `Event enqueue, c=${a.concurrency}, ${a.events} events`, `${fmtInt(a.enqueuePerSec)} events/s accepted (202), server ${fixed(a.serverCpuMsPerEvent)} CPU-ms/event${a.frontCpuMsPerEvent !== undefined ? ` (front ${fixed(a.frontCpuMsPerEvent)})` : ''}${a.enqueueErrors ? `, ${a.enqueueErrors} errors: ${a.firstError}` : ''}`, '', targetCell(targets.get('async-enqueue-rate'))]);
    rows.push(['async', 'enqueue → delivered (executed)', `${fmtInt(a.deliveredPerSec)} events/s, ${a.delivered}/${a.events} delivered${a.deliveredDuringEnqueue !== undefined ? ` (${a.deliveredDuringEnqueue} during the enqueue)` : ''}, drain tail ${a.drainTailSec} s`, '', targetCell(targets.get('async-delivery-vs-sync'))]);
  } else rows.push(['async', 'async Invoke', r.async.skipped, '', '']);

  if (isFigure(r.memory)) {
    const mem = r.memory;
    for (const rt of ['node', 'python'] as const) {
      const e = mem[rt];
      rows.push(['memory', `idle warm ${rt} env PSS beyond bare runtime (${mem.sandbox})`, isFigure(e)
        ? `${kib(e.overheadKiB)} (env ${kib(e.envPssKiB)} vs bare ${kib(e.barePssKiB)}, ${e.envs} envs, ${e.processesPerEnv} proc/env)`
        : e.skipped, '', targetCell(targets.get(`memory-per-env-${rt}`))]);
    }
    rows.push(['memory', 'server growth per idle warm env (after GC)', mem.serverGrowthPerEnvKiB === null ? 'not measured'
      : `PSS ${kib(mem.serverGrowthPerEnvKiB)}, private ${kib(mem.serverPrivateGrowthPerEnvKiB ?? Number.NaN)} (PSS falls as runtimes share Node's pages)`, '', '']);
  } else rows.push(['memory', 'memory', r.memory.skipped, '', '']);

  if (isFigure(r.envCreation)) {
    for (const rt of ['node', 'python'] as const) {
      const e = r.envCreation[rt];
      rows.push(['create', `environment creation, ${rt} (${r.envCreation.sandbox})`, isFigure(e) ? `${e.envsPerSec} envs/s (${e.envsCreated} envs for ${e.invokes} concurrent cold Invokes in ${e.seconds} s)` : e.skipped, '', '']);
    }
  } else rows.push(['create', 'environment creation', r.envCreation.skipped, '', '']);

  if (r.hotReload && isFigure(r.hotReload)) {
    const h = r.hotReload;
    rows.push(['reload', `hot reload: save → next Invoke runs the new code, p50 (${h.sandbox})`, `${h.p50Ms} ms p50, max ${h.maxMs} ms, n=${h.n}`, '', `${h.budgetShare}× the ${h.budgetMs} ms budget`]);
  } else if (r.hotReload) rows.push(['reload', 'hot reload', r.hotReload.skipped, '', '']);

  // Long skip reasons stay whole in the JSON; the table shows their start.
  for (const row of rows) if (row[2].length > 110) row[2] = row[2].slice(0, 107) + '...';
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => row[i]!.length), ['section', 'line', 'figure', 'vs floor', 'target'][i]!.length));
  const fmt = (row: readonly string[]) => row.map((cell, i) => (i === 4 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = '-'.repeat(Math.min(200, widths.reduce((a, b) => a + b + 2, 0)));
  const met = r.targets.filter((t) => t.met === true).length;
  const notMet = r.targets.filter((t) => t.met === false).length;
  const unmeasured = r.targets.filter((t) => t.met === null).length;
  return [
    ...header,
    rule,
    fmt(['section', 'line', 'figure', 'vs floor', 'target']),
    rule,
    ...rows.map(fmt),
    rule,
    `targets: ${met} met, ${notMet} not met, ${unmeasured} not measured (see docs/SPECIFICATION.md; reported, never asserted)`,
    ...r.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

function warmFigure(e: WarmEntry, loadWorkers: number, c: string): string {
  if (!isFigure(e)) return `skipped: ${e.skipped}`;
  const clientBound = e.clientCpuShare >= 0.9 * Math.min(loadWorkers, c === 'c1' ? 1 : loadWorkers) ? ' CLIENT-BOUND' : '';
  return [
    `p50 ${fixed(e.p50Ms)} ms`.padEnd(15),
    `p99 ${fixed(e.p99Ms)} ms`.padEnd(15),
    `${fmtInt(e.rps)} req/s`.padStart(12),
    `  CPU-ms/req ${fixed(e.serverCpuMsPerReq)} (front ${fixed(e.frontCpuMsPerReq)})`,
    `  client ${e.clientCpuShare.toFixed(2)} CPU${clientBound}`,
    e.errors ? `  ${e.errors} errors` : '',
  ].join('');
}

function vsFloors(t: WarmTarget, e: WarmEntry, two: WarmEntry, row: Record<WarmTarget, WarmEntry>): string {
  const flint = row.flintRaw;
  if (!isFigure(e)) return '';
  if (t === 'flintSleep200') return isFigure(row.protocolNSleep200) ? `${ratio(e.rps, row.protocolNSleep200.rps)}× protocol(N) req/s` : '';
  if (t.startsWith('flint')) {
    const parts: string[] = [];
    if (isFigure(row.protocol1)) parts.push(`${ratio(e.rps, row.protocol1.rps)}× protocol(1) req/s, ${ratio(e.p50Ms, row.protocol1.p50Ms)}× p50`);
    if (isFigure(row.protocolN)) parts.push(`${ratio(e.rps, row.protocolN.rps)}× protocol(N)`);
    if (t === 'flintRaw' && isFigure(two)) parts.push(`${ratio(e.rps, two.rps)}× two-hop`);
    if (t === 'flintUrl' && isFigure(flint)) parts.push(`${ratio(e.rps, flint.rps)}× raw Invoke`);
    if (t === 'flintIamUser' && isFigure(flint)) parts.push(`authorization ${ratio(e.frontCpuMsPerReq, flint.frontCpuMsPerReq)}× root's front CPU/req`);
    return parts.join('; ');
  }
  if (t === 'offline') return isFigure(flint) ? `Flint raw = ${ratio(flint.rps, e.rps)}× its req/s` : '';
  return '';
}

function warmTarget(t: WarmTarget, c: string, targets: Map<string, TargetResult>): string {
  if (t === 'flintSleep200') return targetCell(targets.get('warm-c32-sleep'));
  if (t !== 'flintRaw') return '';
  if (c === 'c1') return [targetCell(targets.get('warm-c1-vs-protocol')), targetCell(targets.get('warm-c1-p50-vs-protocol')), targetCell(targets.get('warm-latency-vs-floor'))].join('; ');
  return [targetCell(targets.get('warm-c32-vs-protocol')), targetCell(targets.get('warm-throughput-vs-floor')), targetCell(targets.get('warm-throughput-vs-offline'))].join('; ');
}

function targetCell(t: TargetResult | undefined): string {
  if (!t) return '';
  const op = /≥/.test(t.description) ? '≥' : '≤';
  const goal = `${op} ${t.unit === '×' ? `${t.threshold}×` : `${t.threshold! < 10 ? t.threshold : fmtInt(t.threshold!)} ${t.unit}`}`;
  if (t.met === null) return `${goal}: not measured`;
  const shown = t.unit === '×' ? `${t.measured}×` : `${t.measured} ${t.unit}`;
  return `${goal}: ${t.met ? 'met' : 'NOT MET'} (${shown})`;
}

function coldFigure(e: { p50Ms: number; maxMs: number; n: number } | { skipped: string }): string {
  return isFigure(e) ? `p50 ${fixed(e.p50Ms)} ms, max ${fixed(e.maxMs)} ms (n=${e.n})` : `skipped: ${e.skipped}`;
}

function fixed(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function fmtInt(v: number): string {
  return Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : String(v);
}

function kib(v: number): string {
  return Math.abs(v) >= 1024 ? `${(v / 1024).toFixed(2)} MiB` : `${Math.round(v)} KiB`;
}

export type { WarmFigure };
