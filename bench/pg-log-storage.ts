/**
 * Function logs on PostgreSQL (PgLogStorage, a cluster's) against files (FileLogStorage, a single
 * node's), in process. Each simulated invocation writes what Lambda's environment does — START,
 * two lines of output, END, REPORT — then commits, as the invoke path does before its response;
 * 64 environments (streams) write at once, yielding to the event loop after each invocation.
 *
 * - invoke-path cost: event-loop time per invocation spent in append + commit (what delays the
 *   Invoke response and every other request on the node);
 * - node CPU: this process's CPU time per invocation, background writing included (PostgreSQL's
 *   own CPU is another process's, not counted);
 * - stored rate: invocations per second until every line is stored (sync() resolved).
 * Ratios are the point; absolute numbers depend on the machine.
 *
 *   node --import tsx bench/pg-log-storage.ts [invocations=20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogStorage, LogStreamWriter } from '../src/ports/log-storage.js';
import { FileLogStorage } from '../src/store/file-log-storage.js';
import { PgLogStorage } from '../src/store/pg/pg-log-storage.js';
import { startPostgres } from '../test/helpers/postgres.js';

const N = Number(process.argv[2] ?? 20_000);
const STREAMS = 64;

async function run(name: string, store: LogStorage): Promise<{ name: string; pathUsPerInvoke: number; cpuUsPerInvoke: number; storedPerSec: number }> {
  const writers: LogStreamWriter[] = Array.from({ length: STREAMS }, (_, i) => store.openStream(`/aws/lambda/bench-${i % 8}`, `2026/12/05/[$LATEST]${String(i).padStart(32, '0')}`));
  let pathNs = 0n;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
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
    // Other invocations and requests get their turn (and the background writer its chance).
    if (i % STREAMS === STREAMS - 1) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writers.map((w) => w.close()));
  await store.sync();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { name, pathUsPerInvoke: Number(pathNs) / 1000 / N, cpuUsPerInvoke: (cpu.user + cpu.system) / N, storedPerSec: N / seconds };
}

const dir = mkdtempSync(join(tmpdir(), 'flint-logbench-'));
const server = process.env['FLINT_DATABASE_URL'] ? undefined : await startPostgres();
try {
  const url = process.env['FLINT_DATABASE_URL'] ?? (await server!.createDatabase());
  const file = new FileLogStorage(join(dir, 'log-groups'), () => Date.now());
  const files = await run('files', file);
  await file.close();
  const pgStore = new PgLogStorage({ url, now: () => Date.now(), log: (l) => console.error(l) });
  const post = await run('postgres', pgStore);
  const dropped = pgStore.dropped;
  await pgStore.close();
  for (const r of [files, post]) console.log(`${r.name.padEnd(9)} invoke-path ${r.pathUsPerInvoke.toFixed(2)} µs/invocation   node CPU ${r.cpuUsPerInvoke.toFixed(1)} µs/invocation   stored ${Math.round(r.storedPerSec)} invocations/s (5 lines each)`);
  console.log(`ratio postgres/files: invoke-path cost ${(post.pathUsPerInvoke / files.pathUsPerInvoke).toFixed(2)}x, node CPU ${(post.cpuUsPerInvoke / files.cpuUsPerInvoke).toFixed(2)}x, stored rate ${(post.storedPerSec / files.storedPerSec).toFixed(2)}x; lines dropped ${dropped}`);
} finally {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
