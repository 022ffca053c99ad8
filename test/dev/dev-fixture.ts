import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';

const MAIN = resolve('src/cli/main.ts');
const TSX = ['--import', 'tsx'];

/** A `flint server` child (process driver) on a free port with a fresh data dir, and a root SDK client for it. */
export interface DevServer {
  endpoint: string;
  dataDir: string;
  client: LambdaClient;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): void;
}

export async function startServer(): Promise<DevServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-dev-'));
  const server = spawn(process.execPath, [...TSX, MAIN, 'server', '--port', '0', '--data-dir', dataDir], { env: { ...process.env, FLINT_SANDBOX: 'process' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const endpoint = await new Promise<string>((ok, fail) => {
    server.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) ok(m[1]!);
    });
    server.once('exit', (code) => fail(new Error(`server exited ${code}: ${output}`)));
  });
  const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const client = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, maxAttempts: 1 });
  return {
    endpoint,
    dataDir,
    client,
    credentials,
    stop() {
      client.destroy();
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A running CLI command whose stdout lines can be awaited. */
export class CliRun {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #partial = '';
  #waiters: Array<{ re: RegExp; from: number; ok: (l: string) => void }> = [];

  constructor(server: DevServer, args: string[]) {
    this.child = spawn(process.execPath, [...TSX, MAIN, ...args, '--data-dir', server.dataDir], { env: { ...process.env, FLINT_ENDPOINT: server.endpoint, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => {
      const parts = (this.#partial + c.toString()).split('\n');
      this.#partial = parts.pop()!;
      for (const l of parts) {
        this.lines.push(l);
        this.#check();
      }
    });
    this.child.stderr!.on('data', (c: Buffer) => { this.stderr += c.toString(); });
    this.exited = new Promise((ok) => this.child.once('exit', (code) => ok(code)));
  }

  /** Index to wait from: lines printed before it do not count. */
  get mark(): number {
    return this.lines.length;
  }

  /** The first line from `from` on that matches (waits for it; fails after `ms`). */
  waitFor(re: RegExp, from = 0, ms = 30_000): Promise<string> {
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no line matching ${re} after ${ms} ms; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)), ms);
      this.#waiters.push({ re, from, ok: (l) => { clearTimeout(timer); ok(l); } });
      this.#check();
    });
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      const hit = this.lines.slice(w.from).find((l) => w.re.test(l));
      if (hit === undefined) return true;
      w.ok(hit);
      return false;
    });
  }
}
