/**
 * Function logs on PostgreSQL (PgLogStorage, a cluster's) against files (FileLogStorage, a single
 * node's), in process. Each simulated invocation writes what Lambda's environment does — START,
 * two lines of output, END, REPORT — then commits, as the invoke path does before its response;
 * 64 environments (streams) write in turn.
 *
 * - invoke-path cost: event-loop time per invocation spent in append + commit (what delays the
 *   Invoke response and every other request on the node);
 * - node CPU: this process's CPU time per invocation, background writing included;
 * - PostgreSQL CPU: the server's (postmaster and backends) per invocation;
 * - flat out: invocations as fast as the loop goes (yielding every 64), until all are stored;
 *   paced: 500 invocations/s (a busy worker), where the 20 ms commit window sets the batch size.
 * Ratios are the point; absolute numbers depend on the machine.
 *
 *   node --import tsx bench/pg-log-storage.ts [invocations=20000]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogStorage, LogStreamWriter } from '../src/ports/log-storage.js';
import { FileLogStorage } from '../src/store/file-log-storage.js';
import { PgLogStorage } from '../src/store/pg/pg-log-storage.js';
import { startPostgres } from '../test/helpers/postgres.js';

const N = Number(process.argv[2] ?? 20_000);
const STREAMS = 64;
const PACED_PER_SEC = 500;
const PACED_N = 2000;

/** CPU ms of a process and its children (live ones, and what exited ones left to it), from /proc. */
function treeCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const tick = 10; // USER_HZ is 100 on Linux
  let ms = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(d) === pid;
    if (!own && Number(f[1]) !== pid) continue;
    ms += (Number(f[11]) + Number(f[12]) + (own ? Number(f[13]) + Number(f[14]) : 0)) * tick;
  }
  return ms;
}

async function run(name: string, store: LogStorage, n: number, pacedPerSec: number | undefined, pgPid?: number) {
  const writers: LogStreamWriter[] = Array.from({ length: STREAMS }, (_, i) => store.openStream(`/aws/lambda/bench-${i % 8}`, `2026/12/05/[$LATEST]${name}${String(i).padStart(24, '0')}`));
  let pathNs = 0n;
  const cpu0 = process.cpuUsage();
  const pg0 = treeCpuMs(pgPid);
  const t0 = performance.now();
  const batch = pacedPerSec ? Math.max(1, Math.round(pacedPerSec / 100)) : STREAMS;
  for (let i = 0; i < n; i++) {
    const w = writers[i % STREAMS]!;
    const id = `0000000-${String(i).padStart(12, '0')}`;
    const now = Date.now();
    const s = process.hrtime.bigint();
    w.append(now, `START RequestId: ${id} Version: $LATEST`);
    w.append(now, `2026-12-05T00:00:00.000Z\t${id}\tINFO\thandling event ${i}`);
    w.append(now, `2026-12-05T00:00:00.000Z\t${id}\tINFO\tdone ${'x'.repeat(80)}`);
    w.append(now, `END RequestId: ${id}`);
    w.append(now, `REPORT RequestId: ${id}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t`);
    w.commit();
    pathNs += process.hrtime.bigint() - s;
    if (i % batch === batch - 1) {
      if (pacedPerSec) await new Promise((r) => setTimeout(r, Math.max(0, t0 + ((i + 1) * 1000) / pacedPerSec - performance.now())));
      else await new Promise((r) => setImmediate(r));
    }
  }
  await Promise.all(writers.map((w) => w.close()));
  await store.sync();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { name, pathUs: Number(pathNs) / 1000 / n, nodeCpuUs: (cpu.user + cpu.system) / n, pgCpuUs: ((treeCpuMs(pgPid) - pg0) * 1000) / n, perSec: n / seconds };
}

const dir = mkdtempSync(join(tmpdir(), 'flint-logbench-'));
const server = process.env['FLINT_DATABASE_URL'] ? undefined : await startPostgres();
try {
  const url = process.env['FLINT_DATABASE_URL'] ?? (await server!.createDatabase());
  const file = new FileLogStorage(join(dir, 'log-groups'), () => Date.now());
  const files = await run('files', file, N, undefined);
  const filesPaced = await run('files-paced', file, PACED_N, PACED_PER_SEC);
  await file.close();
  const pgStore = new PgLogStorage({ url, now: () => Date.now(), log: (l) => console.error(l) });
  const post = await run('postgres', pgStore, N, undefined, server?.pid);
  const postPaced = await run('postgres-paced', pgStore, PACED_N, PACED_PER_SEC, server?.pid);
  const dropped = pgStore.dropped;
  await pgStore.close();
  for (const r of [files, post, filesPaced, postPaced]) {
    console.log(`${r.name.padEnd(15)} invoke-path ${r.pathUs.toFixed(2)} µs   node CPU ${r.nodeCpuUs.toFixed(1)} µs   PostgreSQL CPU ${r.pgCpuUs.toFixed(1)} µs   per invocation; ${Math.round(r.perSec)} invocations/s stored (5 lines each)`);
  }
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  console.log(`postgres/files flat out: invoke-path ${x(post.pathUs, files.pathUs)}, node CPU ${x(post.nodeCpuUs, files.nodeCpuUs)}, stored rate ${x(post.perSec, files.perSec)}`);
  console.log(`postgres/files at ${PACED_PER_SEC}/s: invoke-path ${x(postPaced.pathUs, filesPaced.pathUs)}, node CPU ${x(postPaced.nodeCpuUs, filesPaced.nodeCpuUs)}, plus ${postPaced.pgCpuUs.toFixed(0)} µs of PostgreSQL CPU per invocation; lines dropped ${dropped}`);
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
