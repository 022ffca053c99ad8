import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox, SandboxDriver, SandboxExit, SandboxSpec } from '../../src/ports/sandbox-driver.js';

/** A stand-in Runtime API on the host's loopback: counts requests, answers /next with an event. */
export class FakeRuntimeApi {
  readonly #server: Server;
  requests: string[] = [];
  port = 0;
  /** Requests to /hang get no answer: their connections stay open until the caller dies. */
  hanging = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      if (req.url === '/hang') {
        this.hanging++;
        req.socket.once('close', () => this.hanging--);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'lambda-runtime-aws-request-id': 'req-1' });
      res.end('{"hello":"sandbox"}');
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** Host directories a test sandbox mounts: code, runtime files, layers. */
export class SandboxFixtures {
  readonly root = mkdtempSync(join(tmpdir(), 'flint-sandbox-test-'));
  readonly taskRoot = join(this.root, 'task');
  readonly runtimeDir = join(this.root, 'runtime');

  constructor() {
    mkdirSync(this.taskRoot, { mode: 0o755 });
    mkdirSync(this.runtimeDir, { mode: 0o755 });
    writeFileSync(join(this.taskRoot, 'code.txt'), 'function code\n', { mode: 0o644 });
    writeFileSync(join(this.runtimeDir, 'runtime.txt'), 'runtime file\n', { mode: 0o644 });
  }

  /** A layer directory with the given files. */
  layer(name: string, files: Record<string, string>): string {
    const dir = join(this.root, 'layers', name);
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(join(dir, rel, '..'), { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, rel), content, { mode: 0o644 });
    }
    return dir;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface RunResult {
  exit: SandboxExit;
  stdout: string;
  stderr: string;
  sandbox: Sandbox;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json: any;
}

let counter = 0;

/** Starts `node -e script` (the host's node) in a sandbox of `driver` and returns a handle. */
export async function startNode(
  driver: SandboxDriver,
  api: FakeRuntimeApi,
  fx: SandboxFixtures,
  script: string,
  over: Partial<SandboxSpec> = {},
): Promise<{ sandbox: Sandbox; output: () => { stdout: string; stderr: string } }> {
  let stdout = '';
  let stderr = '';
  const id = `t${process.pid}-${++counter}`;
  const base = { id, taskRoot: fx.taskRoot, runtimeDir: fx.runtimeDir, layers: over.layers ?? [] };
  const paths = driver.paths(base);
  const network = over.network ?? 'isolated';
  const runtimeApi = { host: '127.0.0.1', port: api.port };
  const sandbox = await driver.start({
    ...base,
    argv: over.argv ?? [process.execPath, '-e', script],
    env: over.env ?? {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      AWS_LAMBDA_RUNTIME_API: driver.runtimeApiAddress({ id, runtimeApi, network }),
      LAMBDA_TASK_ROOT: paths.taskRoot,
      LAMBDA_RUNTIME_DIR: paths.runtimeDir,
      FLINT_TEST_OPT: paths.opt,
      TMPDIR: paths.tmp,
    },
    memoryMb: over.memoryMb ?? 256,
    ephemeralStorageMb: over.ephemeralStorageMb ?? 64,
    runtimeApi,
    network,
    onOutput: (chunk, stream) => {
      if (stream === 'stdout') stdout += chunk.toString();
      else stderr += chunk.toString();
    },
  });
  return { sandbox, output: () => ({ stdout, stderr }) };
}

/** Runs a script to completion (bounded by `timeoutMs`, then destroyed) and collects its output. */
export async function runNode(
  driver: SandboxDriver,
  api: FakeRuntimeApi,
  fx: SandboxFixtures,
  script: string,
  over: Partial<SandboxSpec> & { timeoutMs?: number } = {},
): Promise<RunResult> {
  const { sandbox, output } = await startNode(driver, api, fx, script, over);
  const timer = setTimeout(() => void sandbox.destroy(), over.timeoutMs ?? 20_000);
  const exit = await sandbox.exited;
  clearTimeout(timer);
  await sandbox.destroy();
  const { stdout, stderr } = output();
  let json: unknown;
  const last = stdout.trim().split('\n').pop() ?? '';
  try { json = JSON.parse(last); } catch { json = undefined; }
  return { exit, stdout, stderr, sandbox, json };
}
