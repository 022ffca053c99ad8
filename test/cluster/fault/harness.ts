import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LambdaClient, InvokeCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import pg from 'pg';
import { LocalCluster } from '../../../src/cluster/local/local-cluster.js';
import { netnsSkipReason } from '../../../src/cluster/local/netns-hosts.js';
import { postgresSkipReason } from '../../helpers/postgres.js';
import { TEST_ROLE } from '../../helpers/flint-harness.js';
import { waitSettled } from '../../helpers/functions.js';
import { makeZip } from '../../helpers/zip.js';
import { History, type Op, type Report } from './history.js';

/** Why fault tests cannot run on this machine at all (root and iproute2 for namespaces, PostgreSQL). */
export function faultSkipReason(): string | undefined {
  return netnsSkipReason() ?? postgresSkipReason;
}

/**
 * What a build without the cluster roles answers when a cluster is started: `flint cluster init`
 * missing, or a node refusing PostgreSQL stores. Tests skip with it (any other start failure fails
 * them), so they begin to run, and to judge, the moment the roles are wired.
 */
export const NOT_WIRED = /unknown command 'init'|not wired yet|not implemented yet/;

export function notWiredReason(err: unknown): string | undefined {
  const m = String((err as Error)?.message ?? err);
  const line = m.split('\n').find((l) => NOT_WIRED.test(l));
  return line ? `cluster roles are not wired into this build yet: ${line.trim().slice(0, 200)}` : undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * How tests run the flint CLI: the compiled one (bin/flint.js → dist/, which `npm ci` builds) when
 * it is newer than every source file — a node starts in seconds instead of compiling through tsx —
 * else the sources through tsx.
 */
export function flintArgv(): string[] {
  const dist = resolve('dist/cli/main.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(resolve('src'))) return [process.execPath, resolve('bin/flint.js')];
  return [process.execPath, '--import', 'tsx', resolve('src/cli/main.ts')];
}

/**
 * The test function: records each run (payload id, version, a random id per environment, the
 * worker's address, start and end) as one appended JSON line in REPORT_FILE — the process
 * sandbox driver runs it in its worker's network namespace with the host's filesystem — and
 * returns the same record. `sleepMs` in the payload holds it busy.
 */
const PROBE = `
const fs = require('fs'); const os = require('os');
const env = Math.random().toString(36).slice(2) + '-' + process.pid;
const worker = (os.networkInterfaces().eth0 || []).find((a) => a.family === 'IPv4')?.address || 'unknown';
exports.handler = async (event, context) => {
  const start = Date.now();
  if (event && event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  const rec = { id: String(event && event.id), fn: context.functionName, version: context.functionVersion, env, worker, start, end: Date.now() };
  if (event && event.schedule) rec.schedule = event.schedule;
  fs.appendFileSync(process.env.REPORT_FILE, JSON.stringify(rec) + '\\n');
  return rec;
};`;

export interface FaultCluster {
  readonly cluster: LocalCluster;
  readonly history: History;
  readonly reportFile: string;
  /** Worker host names and their addresses (Report.worker). */
  readonly workers: { name: string; ip: string }[];
  /** A Lambda client for api node `api` (api1, api2). */
  /** A Lambda client for api node `api`; `requestTimeoutMs` (default 15 s) ends a hung request as an `unknown` outcome. */
  lambda(api: string, requestTimeoutMs?: number): LambdaClient;
  /**
   * Creates the probe function (extra: CreateFunction fields) through api1 and waits until Active.
   * `shell`: the probe as a custom runtime in sh and curl (./probe-bootstrap.sh), a few MB per
   * environment instead of Node's ~40 MB — for S5's 1,000 concurrent environments.
   */
  deployProbe(name: string, extra?: Record<string, unknown>, opts?: { shell?: boolean }): Promise<string>;
  /** A recorded sync invoke through `api`. */
  invoke(api: string, fn: string, id: string, payload?: Record<string, unknown>, qualifier?: string, requestTimeoutMs?: number): Promise<Op>;
  /** A recorded async invoke (InvocationType Event) through `api`: accepted when 202. */
  enqueue(api: string, fn: string, id: string, payload?: Record<string, unknown>): Promise<Op>;
  /** A SQL client on the cluster database (membership, leases). */
  sql<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startFaultCluster(opts: { prefix: string; workerCapacity?: number; env?: Record<string, string> }): Promise<FaultCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'flint-fault-'));
  const reportFile = join(dir, 'reports.jsonl');
  writeFileSync(reportFile, '');
  let cluster: LocalCluster;
  try {
    cluster = await LocalCluster.start({
    prefix: opts.prefix, apis: 2, workers: 3, pollers: 1, dir,
    flint: flintArgv(),
    env: {
      FLINT_SANDBOX: 'process', FLINT_PREWARM_PER_RUNTIME: '0', FLINT_QUIET: '1', FLINT_ASYNC_RETRY_SCALE: '0.01',
      FLINT_WORKER_CAPACITY: String(opts.workerCapacity ?? 32), ...opts.env,
    },
    startTimeoutMs: 180_000,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const creds = JSON.parse(readFileSync(join(cluster.clusterDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const clients = new Map<string, LambdaClient>();
  const lambda = (api: string, requestTimeoutMs = 15_000): LambdaClient => {
    const key = `${api}/${requestTimeoutMs}`;
    let c = clients.get(key);
    if (!c) {
      c = new LambdaClient({
        endpoint: cluster.node(api).endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1,
        // A request that hangs (a paused database behind the api) ends as an `unknown` outcome
        // after 15 s instead of holding the test. As many sockets as S5 has concurrent callers
        // (the SDK's default agent allows 50).
        requestHandler: { requestTimeout: requestTimeoutMs, connectionTimeout: 3_000, throwOnRequestTimeout: true, httpAgent: new Agent({ keepAlive: true, maxSockets: 1024 }) },
      });
      clients.set(key, c);
    }
    return c;
  };
  const history = new History(reportFile);
  const pool = new pg.Pool({ connectionString: cluster.databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  const zip = await makeZip({ 'index.js': PROBE });
  const shellZip = await makeZip({ bootstrap: { data: readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'probe-bootstrap.sh')), mode: 0o100755 } });
  const decode = (p: Uint8Array | undefined): Report => JSON.parse(Buffer.from(p ?? []).toString()) as Report;
  return {
    cluster, history, reportFile,
    workers: cluster.nodes.filter((n) => n.role === 'worker').map((n) => ({ name: n.name, ip: n.ip })),
    lambda,
    async deployProbe(name, extra = {}, opts = {}) {
      const c = lambda('api1');
      const created = await c.send(new CreateFunctionCommand({
        FunctionName: name, Role: TEST_ROLE, Timeout: 30,
        ...(opts.shell ? { Runtime: 'provided.al2023', Handler: 'probe', Code: { ZipFile: shellZip } } : { Runtime: 'nodejs20.x', Handler: 'index.handler', Code: { ZipFile: zip } }),
        Environment: { Variables: { REPORT_FILE: reportFile } }, ...extra,
      }));
      await waitSettled(c, name);
      return created.FunctionArn!;
    },
    invoke: (api, fn, id, payload = {}, qualifier, requestTimeoutMs) => history.record('invoke', id, api, async () => {
      const r = await lambda(api, requestTimeoutMs).send(new InvokeCommand({ FunctionName: fn, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify({ id, ...payload })) }));
      if (r.FunctionError) throw Object.assign(new Error(`FunctionError ${r.FunctionError}`), { name: 'FunctionError', $metadata: { httpStatusCode: r.StatusCode } });
      return { status: r.StatusCode ?? 0, report: decode(r.Payload) };
    }),
    enqueue: (api, fn, id, payload = {}) => history.record('enqueue', id, api, async () => {
      const r = await lambda(api).send(new InvokeCommand({ FunctionName: fn, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ id, ...payload })) }));
      return { status: r.StatusCode ?? 0 };
    }),
    async sql(text, values) {
      return (await pool.query(text, values)).rows;
    },
    async stop() {
      for (const c of clients.values()) c.destroy();
      await pool.end().catch(() => undefined);
      await cluster.stop();
      // FAULT_KEEP_LOGS=1 keeps every node's log (and the reports) for a failure's post-mortem.
      if (process.env['FAULT_KEEP_LOGS'] === '1') process.stderr.write(`fault cluster logs kept in ${dir}/logs\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `cond` holds, polling; false when `ms` passed first (the caller asserts with the history). */
export async function eventually(cond: () => boolean | Promise<boolean>, ms: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `fn` for each of `n` items with at most `concurrency` at once. */
export async function pooled<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) { const i = next++; out[i] = await fn(i); }
  }));
  return out;
}
