import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { BenchOptions } from '../lib/options.js';
import { median, round } from '../lib/stats.js';
import { clientFor, type FlintReady } from '../flint/flint-functions.js';

export interface HotReloadResults {
  /** Save of the file → first invocation that returns the new code's answer, client-observed. */
  p50Ms: number;
  maxMs: number;
  n: number;
  samplesMs: number[];
  /** Issue 14's budget for a small function; p50 / budget is the share of it used. */
  budgetMs: number;
  budgetShare: number;
  sandbox: string;
  method: string;
}

const BUDGET_MS = 300;
const MAIN = resolve(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)));
const handler = (v: number) => `exports.handler = async () => ${v};\n`;

/**
 * Hot reload as a developer meets it: the real `flint dev` CLI watches a folder; the bench saves a
 * new version of the handler and invokes the function back to back until the answer is the new
 * version. A sample is the time from the save to that answer: the file event, the CLI's quiet
 * time, its reload request, the retirement of the warm environment and the new one's cold start.
 */
export async function runHotReload(deps: { opts: BenchOptions; flint: FlintReady; dataDir: string; log(line: string): void }): Promise<HotReloadResults> {
  const { opts, flint } = deps;
  const dir = mkdtempSync(join(tmpdir(), 'flint-bench-hot-'));
  // An isolating driver runs the function under its own uid: the folder must be readable by others.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'index.js'), handler(0), { mode: 0o644 });
  const client = clientFor(flint, 4);
  const dev = spawn(process.execPath, ['--import', 'tsx', MAIN, 'dev', dir, '--name', 'bench-hot', '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--no-logs', '--data-dir', deps.dataDir, '--endpoint', flint.endpoint], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let out = '';
  dev.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  dev.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await new Promise<void>((ok, fail) => {
      const timer = setInterval(() => { if (/watching for changes/.test(out)) { clearInterval(timer); ok(); } }, 20);
      dev.once('exit', (code) => { clearInterval(timer); fail(new Error(`flint dev exited ${code}: ${out.slice(-500)}`)); });
    });
    const invoke = async () => Number(Buffer.from((await client.send(new InvokeCommand({ FunctionName: 'bench-hot' }))).Payload!).toString());
    const first = await client.send(new InvokeCommand({ FunctionName: 'bench-hot' }));
    if (Buffer.from(first.Payload!).toString() !== '0') throw new Error(`the function did not start with version 0: ${Buffer.from(first.Payload!).toString().slice(0, 300)}`);
    const samples: number[] = [];
    const n = opts.tiny ? 5 : 20;
    for (let v = 1; v <= n; v++) {
      // Warm before each save: the sample includes retiring a warm environment, as in a real loop.
      await invoke();
      const t0 = performance.now();
      writeFileSync(join(dir, 'index.js'), handler(v));
      for (;;) {
        const got = await invoke();
        if (got === v) break;
        if (performance.now() - t0 > 10_000) throw new Error(`version ${v} was not live after 10 s: ${out.slice(-500)}`);
      }
      samples.push(round(performance.now() - t0, 1));
    }
    const p50 = median(samples);
    return {
      p50Ms: round(p50, 1),
      maxMs: Math.max(...samples),
      n,
      samplesMs: samples,
      budgetMs: BUDGET_MS,
      budgetShare: round(p50 / BUDGET_MS, 2),
      sandbox: flint.sandbox,
      method: 'flint dev CLI watching a folder; save index.js → back-to-back Invoke until the new version answers (client-observed)',
    };
  } finally {
    dev.kill('SIGINT');
    await new Promise((r) => { if (dev.exitCode !== null) r(undefined); else dev.once('exit', r); });
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
