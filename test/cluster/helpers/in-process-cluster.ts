import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { loadConfig, type FlintConfig } from '../../../src/app/config.js';
import { startFlint, type FlintApp } from '../../../src/app/flint-app.js';
import type { MessageQueues } from '../../../src/ports/message-queues.js';
import { createClusterCa } from '../../../src/cluster/cluster-ca.js';
import { loadMasterKeyring } from '../../../src/app/secrets.js';

/**
 * Cluster nodes started in this process with startFlint, on one throwaway PostgreSQL and one
 * cluster folder (CA, root credentials, master keys): what the in-process cluster tests share.
 * Nodes use the process sandbox and Lambda's placement; FLINT_TEST_DEBUG=1 prints their logs.
 */
export class InProcessCluster {
  readonly postgres: TestPostgres;
  readonly url: string;
  readonly clusterDir: string;
  readonly #prefix: string;
  readonly #dirs: string[];
  readonly #nodes: FlintApp[] = [];

  private constructor(o: { postgres: TestPostgres; url: string; clusterDir: string; prefix: string; dirs: string[] }) {
    this.postgres = o.postgres;
    this.url = o.url;
    this.clusterDir = o.clusterDir;
    this.#prefix = o.prefix;
    this.#dirs = o.dirs;
  }

  static async start(prefix: string): Promise<InProcessCluster> {
    const postgres = await startPostgres({ fsync: false });
    const url = await postgres.createDatabase();
    const clusterDir = mkdtempSync(join(tmpdir(), `${prefix}-cluster-`));
    await createClusterCa(clusterDir, Date.now());
    loadMasterKeyring(clusterDir);
    return new InProcessCluster({ postgres, url, clusterDir, prefix, dirs: [clusterDir] });
  }

  /** A fresh directory, removed by stop(). */
  tmp(name: string): string {
    const d = mkdtempSync(join(tmpdir(), `${this.#prefix}-${name}-`));
    this.#dirs.push(d);
    return d;
  }

  /** Starts a node of `role` with its own data dir; stop() stops it unless stopped before. */
  async node(role: FlintConfig['role'], extra: Partial<FlintConfig> = {}, opts: { queues?: MessageQueues } = {}): Promise<FlintApp> {
    const config = loadConfig({
      host: '127.0.0.1', port: 0, internalPort: 0, dataDir: this.tmp(role), role, databaseUrl: this.url, clusterDir: this.clusterDir,
      sandbox: 'process', placement: 'lambda', quiet: true, prewarmPerRuntime: 0, ...extra,
    }, {});
    const app = await startFlint(config, { ...opts, log: (l) => { if (process.env['FLINT_TEST_DEBUG']) process.stderr.write(`${role}: ${l}\n`); } });
    this.#nodes.push(app);
    return app;
  }

  /** Forgets a node the test stopped itself. */
  forget(app: FlintApp): void {
    const i = this.#nodes.indexOf(app);
    if (i >= 0) this.#nodes.splice(i, 1);
  }

  /** Stops the nodes (last started first), PostgreSQL, and removes the directories. */
  async stop(): Promise<void> {
    for (const n of this.#nodes.reverse()) await n.stop().catch(() => undefined);
    await this.postgres.stop();
    for (const d of this.#dirs) rmSync(d, { recursive: true, force: true });
  }
}
