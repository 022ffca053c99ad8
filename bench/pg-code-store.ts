/**
 * Code store on PostgreSQL vs files, in process: for a 5 MB and a 50 MB zip (incompressible, the
 * worst case for size), the time to `put` it, to `get` it the first time on a node that never had it
 * (PostgreSQL: fetch the chunks, open, hash, write the disk copy; files: read and open the object),
 * to `get` it again (PostgreSQL: from the node's verified disk copy), and to extract it the first
 * time (`acquireExtracted`). Reports milliseconds (median of `runs`) and PG/file ratios. A throwaway
 * PostgreSQL (test/helpers/postgres.ts, fsync on) on this machine: the numbers are the store's own
 * cost without a network.
 *
 *   node --import tsx bench/pg-code-store.ts [runs=3]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import type { CodeStore } from '../src/ports/code-store.js';
import { EncryptedCodeStore } from '../src/store/encrypted-code-store.js';
import { FileMasterKeyring } from '../src/store/file-master-keyring.js';
import { SqliteMetadataStore } from '../src/store/sqlite-metadata-store.js';
import { PgCodeStore } from '../src/store/pg/pg-code-store.js';
import { startPostgres } from '../test/helpers/postgres.js';

const runs = Number(process.argv[2] ?? 3);
const MB = 1024 * 1024;

async function zipOf(bytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('exports.handler = async () => 1;'), 'index.js');
  zip.addBuffer(randomBytes(bytes), 'blob.bin', { compress: false });
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Timings { put: number; firstGet: number; cachedGet: number; firstExtract: number }

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** One measurement: a store to put into and a fresh "node" (or restart) to read on. */
async function measure(zip: Buffer, writer: CodeStore, reader: () => Promise<{ code: CodeStore; done(): Promise<void> }>): Promise<Timings> {
  const put = await time(() => writer.put(zip));
  const sha = (await writer.put(zip)).sha256Hex;
  const r = await reader();
  const firstGet = await time(() => r.code.get(sha));
  const cachedGet = await time(() => r.code.get(sha));
  await r.done();
  const r2 = await reader();
  const firstExtract = await time(async () => (await r2.code.acquireExtracted(sha)).release());
  await r2.done();
  return { put, firstGet, cachedGet, firstExtract };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const server = await startPostgres();
  const keyDir = mkdtempSync(join(tmpdir(), 'flint-bench-keys-'));
  const keyring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: keyDir });
  const dirs: string[] = [keyDir];
  const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'flint-bench-code-')); dirs.push(d); return d; };
  const rows: Array<Record<string, string>> = [];
  try {
    for (const size of [5 * MB, 50 * MB - 4096]) {
      const results: Record<'pg' | 'file', Timings[]> = { pg: [], file: [] };
      for (let i = 0; i < runs; i++) {
        const zip = await zipOf(size);
        // Files + SQLite: a reader is a restart on the same data dir (no cache to speak of).
        const fileDir = tmp();
        const meta = new SqliteMetadataStore(join(fileDir, 'flint.db'));
        const files = new EncryptedCodeStore({ dataDir: fileDir, keyring, db: meta.db });
        results.file.push(await measure(zip, files, async () => ({ code: new EncryptedCodeStore({ dataDir: fileDir, keyring, db: meta.db }), done: async () => {} })));
        meta.close();
        // PostgreSQL: a reader is another node with an empty disk cache.
        const url = await server.createDatabase();
        const writer = await PgCodeStore.open({ databaseUrl: url, cacheDir: tmp(), keyring });
        results.pg.push(await measure(zip, writer, async () => {
          const code = await PgCodeStore.open({ databaseUrl: url, cacheDir: tmp(), keyring });
          return { code, done: () => code.close() };
        }));
        await writer.close();
      }
      for (const k of ['put', 'firstGet', 'cachedGet', 'firstExtract'] as const) {
        const pg = median(results.pg.map((t) => t[k]));
        const file = median(results.file.map((t) => t[k]));
        rows.push({ zip: `${Math.round(size / MB)} MB`, op: k, pg_ms: pg.toFixed(1), file_ms: file.toFixed(1), pg_over_file: (pg / file).toFixed(2) });
      }
    }
  } finally {
    await server.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  console.table(rows);
}

await main();
