import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_HELLO, HELLO_PAYLOAD } from '../flint/hello-function.js';

/**
 * serverless-offline (v13 on the Serverless Framework v3; v4 needs a login) running the same hello
 * handler, as the peer the warm-path figures are compared with. Installed at bench time into
 * bench/.peers/ (git-ignored) — never a project dependency.
 */
const PEERS_DIR = fileURLToPath(new URL('../.peers/serverless-offline/', import.meta.url));
const SERVICE = 'flintbench';
export const OFFLINE_FUNCTION = `${SERVICE}-dev-hello`;

export interface OfflinePeer {
  readonly pid: number;
  readonly version: string;
  /** Invoke URL of the hello function on the peer's Lambda port. */
  readonly invokeUrl: string;
  stop(): Promise<void>;
}

/** Installs serverless@3 and serverless-offline@13 unless present; returns why not when it cannot. */
export function ensureOfflineInstalled(): { ok: true } | { ok: false; reason: string } {
  if (existsSync(join(PEERS_DIR, 'node_modules/serverless-offline/package.json')) && existsSync(join(PEERS_DIR, 'node_modules/serverless/bin/serverless.js'))) return { ok: true };
  mkdirSync(PEERS_DIR, { recursive: true });
  writeFileSync(join(PEERS_DIR, 'package.json'), JSON.stringify({ name: 'flint-bench-peers', private: true }));
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'serverless@3', 'serverless-offline@13'], {
    cwd: PEERS_DIR,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) {
    const why = (r.error?.message ?? (r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')).slice(0, 200);
    return { ok: false, reason: `npm install serverless@3 serverless-offline@13 failed: ${why || `exit ${r.status}`}` };
  }
  return { ok: true };
}

export async function startOffline(cpus: string | undefined): Promise<OfflinePeer> {
  const serviceDir = join(PEERS_DIR, 'service');
  mkdirSync(serviceDir, { recursive: true });
  const [lambdaPort, httpPort, wsPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(serviceDir, 'index.mjs'), NODE_HELLO);
  writeFileSync(
    join(serviceDir, 'serverless.yml'),
    [
      `service: ${SERVICE}`,
      "frameworkVersion: '3'",
      'provider:',
      '  name: aws',
      '  runtime: nodejs20.x',
      '  region: us-east-1',
      'functions:',
      '  hello:',
      '    handler: index.handler',
      'plugins:',
      '  - serverless-offline',
      'custom:',
      '  serverless-offline:',
      '    host: 127.0.0.1',
      '',
    ].join('\n'),
  );
  // The plugin is resolved from the service's node_modules.
  const link = join(serviceDir, 'node_modules');
  if (!existsSync(link)) spawnSync('ln', ['-s', '../node_modules', link]);
  const cli = join(PEERS_DIR, 'node_modules/serverless/bin/serverless.js');
  const argv = [process.execPath, cli, 'offline', 'start', '--host', '127.0.0.1', '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(wsPort)];
  const full = cpus !== undefined ? ['taskset', '-c', cpus, ...argv] : argv;
  const proc: ChildProcess = spawn(full[0]!, full.slice(1), {
    cwd: serviceDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*', NODE_NO_WARNINGS: '1' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-4000); });
  proc.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-4000); });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  process.once('exit', () => { if (proc.exitCode === null) proc.kill('SIGTERM'); });
  const invokeUrl = `http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${OFFLINE_FUNCTION}/invocations`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`serverless offline exited (${proc.exitCode}): ${out.trim().split('\n').slice(-3).join(' | ')}`);
    const ok = await fetch(invokeUrl, { method: 'POST', body: HELLO_PAYLOAD }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`serverless offline did not answer within 60 s: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const version = (JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules/serverless-offline/package.json'), 'utf8')) as { version: string }).version;
  return {
    pid: proc.pid!,
    version,
    invokeUrl,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
