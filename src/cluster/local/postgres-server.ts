import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server (tests through test/helpers/postgres.ts, and `flint cluster up`):
 * Debian's postgresql binaries (scripts/install.sh installs them), a fresh cluster in a temporary
 * folder, trust auth, listening on 127.0.0.1 (or the given address, e.g. a network-namespace
 * host's with `wrap` = its `ip netns exec` prefix) on a free port. Never a system-wide service,
 * never a fixed port.
 */
export interface PostgresServer {
  /** `postgres://flint@127.0.0.1:PORT/flint` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The postmaster's pid (fault tests stop/kill it). */
  readonly pid: number;
  /** A new empty database on this server; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Fast shutdown (SIGINT), then the folder is removed. */
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT the postmaster and its backends (a hung database). */
  pause(): void;
  resume(): void;
}

/** The newest installed PostgreSQL's bin folder, or undefined (tests then skip with this reason). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : undefined;
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresSkipReason: string | undefined = postgresBinDir() === undefined ? 'PostgreSQL is not installed (Debian package postgresql; scripts/install.sh installs it)' : undefined;

async function freePort(host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let dbCounter = 0;

export interface PostgresServerOptions {
  host?: string;
  port?: number;
  fsync?: boolean;
  /** A command prefix the server runs under (e.g. `ip netns exec <ns>`). */
  wrap?: string[];
  maxConnections?: number;
}

export async function startPostgresServer(opts: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresSkipReason);
  const host = opts.host ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'flint-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => execFileSync(runAs[0] ?? cmd, runAs.length ? [...runAs.slice(1), cmd, ...args] : args, { stdio: 'pipe' });
  run(join(bin, 'initdb'), ['-D', data, '-U', 'flint', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // initdb trusts only loopback; a server on another address (a network-namespace host) trusts
  // the subnets it is directly on, i.e. the other simulated hosts of the same bridge.
  if (host !== '127.0.0.1' && host !== 'localhost') appendFileSync(join(data, 'pg_hba.conf'), 'host all all samenet trust\n');
  // A host inside a network namespace has its own ports: any fixed one is free there.
  const port = opts.port ?? (opts.wrap ? 5432 : await freePort(host === '0.0.0.0' ? '127.0.0.1' : host));
  const args = [
    '-D', data, '-p', String(port), '-k', dir, '-c', `listen_addresses=${host}`,
    '-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`, '-c', `max_connections=${opts.maxConnections ?? 200}`,
    '-c', 'shared_buffers=32MB', '-c', 'log_min_messages=warning',
  ];
  const cmd = [...(opts.wrap ?? []), ...runAs, join(bin, 'postgres'), ...args];
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const url = `postgres://flint@${host}:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${stderr}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('CREATE DATABASE flint');
      await c.end();
      break;
    } catch (err) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`postgres did not start: ${String(err)} ${stderr}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // The postmaster: with a wrapper (ip netns exec / runuser) it is a descendant of the child; its
  // pid is the first line of postmaster.pid.
  const pid = Number(execFileSync('head', ['-n1', join(data, 'postmaster.pid')]).toString().trim());
  const signalAll = (sig: NodeJS.Signals) => {
    try { execFileSync('pkill', [`-${sig.replace('SIG', '')}`, '-P', String(pid)]); } catch { /* no backends */ }
    try { process.kill(pid, sig); } catch { /* gone */ }
  };
  return {
    url: `postgres://flint@${host}:${port}/flint`,
    port,
    host,
    pid,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++dbCounter}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(`CREATE DATABASE "${db}"`); } finally { await c.end(); }
      return `postgres://flint@${host}:${port}/${db}`;
    },
    pause: () => signalAll('SIGSTOP'),
    resume: () => signalAll('SIGCONT'),
    async stop() {
      signalAll('SIGCONT');
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 10_000); })]);
        clearTimeout(timer);
        if (child.exitCode === null) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } child.kill('SIGKILL'); }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
