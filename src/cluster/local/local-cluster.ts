import { execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { NetnsHosts } from './netns-hosts.js';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';

export type LocalRole = 'api' | 'worker' | 'poller';

/** Makes the cluster folder (CA, master keyring, root credentials) in `dir`: `flint cluster init DIR`. */
export type ClusterFolderMaker = (dir: string) => Promise<void>;

export interface LocalClusterOptions {
  /** Host-name prefix (NetnsHosts): `flint cluster up` uses one fixed prefix, tests their own. */
  prefix: string;
  apis: number;
  workers: number;
  pollers: number;
  /** The argv that runs the flint CLI (`node bin/flint.js`, or `node --import tsx src/cli/main.ts` in tests). */
  flint: string[];
  /** Working folder: cluster/, nodes/<name>/ (data dirs), logs/<name>.log. */
  dir: string;
  /** Default: runs `<flint> cluster init <dir>/cluster`. */
  makeClusterFolder?: ClusterFolderMaker;
  /** Extra environment for every node (FLINT_WORKER_CAPACITY, FLINT_SANDBOX, …). */
  env?: Record<string, string>;
  /** Per-role extra server arguments. */
  args?: Partial<Record<LocalRole, string[]>>;
  /** API port inside each host (each host has its own network namespace, so a fixed one is free). */
  port?: number;
  internalPort?: number;
  /** How long a node may take to print "listening on". */
  startTimeoutMs?: number;
}

export interface LocalNode {
  readonly name: string;
  readonly role: LocalRole;
  readonly ip: string;
  /** `http://ip:port` (every role serves /health there). */
  readonly endpoint: string;
  readonly logFile: string;
  child: ChildProcess | undefined;
}

const NAMES: Record<LocalRole, string> = { api: 'api', worker: 'w', poller: 'poll' };

/**
 * A whole Flint cluster on one machine: PostgreSQL and each Flint node in a network-namespace host
 * of its own (`pg`, `api1..`, `w1..`, `poll1..`), as `flint cluster up` and the fault tests run
 * it. Nodes are ordinary `flint server --role …` processes; their output goes to log files.
 */
export class LocalCluster {
  readonly hosts: NetnsHosts;
  readonly postgres: PostgresServer;
  readonly clusterDir: string;
  readonly nodes: LocalNode[] = [];
  readonly #opts: LocalClusterOptions;
  readonly #logs = new Map<string, WriteStream>();
  #stopped = false;

  private constructor(hosts: NetnsHosts, postgres: PostgresServer, opts: LocalClusterOptions) {
    this.hosts = hosts;
    this.postgres = postgres;
    this.#opts = opts;
    this.clusterDir = join(opts.dir, 'cluster');
  }

  /** Hosts, PostgreSQL, the cluster folder, then every node (started together). */
  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const hosts = NetnsHosts.create(opts.prefix);
    let cluster: LocalCluster | undefined;
    try {
      const pgHost = hosts.addHost('pg');
      const postgres = await startPostgresServer({ host: pgHost.ip, wrap: hosts.wrap('pg', []), fsync: false, maxConnections: 400 });
      cluster = new LocalCluster(hosts, postgres, opts);
      mkdirSync(join(opts.dir, 'logs'), { recursive: true });
      await (opts.makeClusterFolder ?? cluster.#runClusterInit.bind(cluster))(cluster.clusterDir);
      for (const [role, count] of [['api', opts.apis], ['worker', opts.workers], ['poller', opts.pollers]] as const) {
        for (let i = 1; i <= count; i++) {
          const h = hosts.addHost(`${NAMES[role]}${i}`);
          cluster.nodes.push({ name: h.name, role, ip: h.ip, endpoint: `http://${h.ip}:${opts.port ?? 9000}`, logFile: join(opts.dir, 'logs', `${h.name}.log`), child: undefined });
        }
      }
      // All at once: a node's start is mostly loading code, and nothing waits for another node
      // (workers find api nodes through the database; functions reach the api only when invoked).
      await Promise.all(cluster.nodes.map((n) => cluster!.startNode(n.name)));
      return cluster;
    } catch (err) {
      if (cluster) await cluster.stop();
      else hosts.teardown();
      throw err;
    }
  }

  node(name: string): LocalNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node '${name}'`);
    return n;
  }

  apiEndpoints(): string[] {
    return this.nodes.filter((n) => n.role === 'api').map((n) => n.endpoint);
  }

  /** The database URL as the nodes use it (PostgreSQL on the `pg` host). */
  get databaseUrl(): string {
    return this.postgres.url;
  }

  /** The server argv of a node (for display and for restarts). */
  serverArgs(node: LocalNode): string[] {
    const o = this.#opts;
    const api = this.nodes.find((n) => n.role === 'api');
    return [
      'server', '--role', node.role, '--host', node.ip, '--port', String(o.port ?? 9000),
      '--data-dir', join(o.dir, 'nodes', node.name), '--database-url', this.postgres.url,
      '--cluster-dir', this.clusterDir, '--internal-port', String(o.internalPort ?? 9443),
      '--advertise-host', node.ip, ...(api ? ['--api-endpoint', api.endpoint] : []),
      ...(o.args?.[node.role] ?? []),
    ];
  }

  /** Starts (or restarts, after a kill) node `name` inside its host; resolves once it listens. */
  async startNode(name: string): Promise<void> {
    const node = this.node(name);
    if (node.child && node.child.exitCode === null && node.child.signalCode === null) throw new Error(`node ${name} is running`);
    let log = this.#logs.get(name);
    if (!log) {
      log = createWriteStream(node.logFile, { flags: 'a' });
      this.#logs.set(name, log);
    }
    const child = this.hosts.spawn(name, [...this.#opts.flint, ...this.serverArgs(node)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLINT_LOG_LEVEL: process.env['FLINT_LOG_LEVEL'] ?? 'warn', ...this.#opts.env },
    });
    node.child = child;
    child.stderr!.pipe(log, { end: false });
    // The end of the node's error output, for the message when it exits while starting.
    let errTail = '';
    child.stderr!.on('data', (d: Buffer) => { errTail = (errTail + d.toString()).slice(-1500); });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${name} did not start within ${this.#opts.startTimeoutMs ?? 60_000} ms; log: ${node.logFile}`)), this.#opts.startTimeoutMs ?? 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        log!.write(d);
        if (seen.length < 4096) seen += d.toString();
        if (/^flint: listening on /m.test(seen)) { clearTimeout(timer); resolve(); }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // 'exit' can come before the last output chunks: let them arrive first.
        setTimeout(() => reject(new Error(`node ${name} exited (${code ?? signal}) while starting; log: ${node.logFile}\n${errTail.trim()}`)), 50);
      });
    });
  }

  /** SIGTERM node `name` and wait for its exit (a clean stop; `hosts.kill` is the unclean one). */
  async stopNode(name: string, timeoutMs = 15_000): Promise<void> {
    const child = this.node(name).child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) this.hosts.kill(name);
  }

  /** Stops every node (SIGTERM, then SIGKILL), PostgreSQL, and removes the hosts. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.nodes.map((n) => this.stopNode(n.name, 5_000).catch(() => undefined)));
    try { this.hosts.resume('pg'); } catch { /* not paused */ }
    this.hosts.heal('pg');
    await this.postgres.stop().catch(() => undefined);
    this.hosts.teardown();
    for (const log of this.#logs.values()) log.end();
    this.#logs.clear();
  }

  async #runClusterInit(dir: string): Promise<void> {
    const [cmd, ...args] = this.#opts.flint;
    await new Promise<void>((resolve, reject) => {
      execFile(cmd!, [...args, 'cluster', 'init', dir], (err, _stdout, stderr) => {
        if (err) reject(new Error(`flint cluster init ${dir} failed: ${stderr || String(err)}`));
        else resolve();
      });
    });
  }
}
