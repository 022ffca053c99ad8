import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { TEST_CREDENTIALS, TEST_ROLE } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';

/**
 * At-least-once across a crash: a real `flint server` child process accepts Event invocations for
 * a slow function, is killed with SIGKILL mid-way, and a new server on the same data directory must
 * deliver every accepted event. Leases of the dead server expire after the visibility timeout.
 */
const EVENTS = 30;

interface Server { proc: ChildProcess; endpoint: string; output: () => string }

async function startServer(dataDir: string): Promise<Server> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      FLINT_SANDBOX: 'process',
      FLINT_ASYNC_POLLERS: '1',
      FLINT_ASYNC_VISIBILITY_TIMEOUT_MS: '1500',
      FLINT_ASYNC_RETRY_SCALE: '0.01',
      FLINT_QUIET: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const end = Date.now() + 20_000;
  for (;;) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) return { proc, endpoint: m[1]!, output: () => out };
    if (proc.exitCode !== null || Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await sleep(20);
  }
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

test('async crash: every event accepted before a SIGKILL is delivered after restart (at-least-once)', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-crash-'));
  const marks = join(dataDir, 'marks.txt');
  const servers: Server[] = [];
  const clients: LambdaClient[] = [];
  const client = (s: Server) => {
    const c = new LambdaClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const delivered = () => (existsSync(marks) ? readFileSync(marks, 'utf8').split('\n').filter(Boolean) : []);
  try {
    const a = await startServer(dataDir);
    servers.push(a);
    const ca = client(a);
    const zip = await makeZip({
      'index.js': `const fs = require('node:fs');
exports.handler = async (event, context) => {
  // Staggered ends (250 ms + 50 ms per index) so the kill below always finds work undone.
  await new Promise((r) => setTimeout(r, 250 + event.i * 50));
  fs.appendFileSync(process.env.MARK_FILE, context.awsRequestId + '\\n');
  return 'ok';
};`,
    });
    await ca.send(new CreateFunctionCommand({
      FunctionName: 'slow', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Timeout: 10,
      Environment: { Variables: { MARK_FILE: marks } },
    }));
    while ((await ca.send(new GetFunctionConfigurationCommand({ FunctionName: 'slow' }))).State !== 'Active') await sleep(20);

    const ids = await Promise.all(Array.from({ length: EVENTS }, async (_, i) => {
      const r = await ca.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: Buffer.from(`{"i":${i}}`) }));
      assert.equal(r.StatusCode, 202);
      return r.$metadata.requestId!;
    }));
    // Kill once the first events finished: some are done, some running, most still queued.
    const until = Date.now() + 10_000;
    while (delivered().length === 0 && Date.now() < until) await sleep(10);
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    const beforeCrash = delivered().length;
    t.diagnostic(`delivered before SIGKILL: ${beforeCrash}/${EVENTS}`);
    assert.ok(beforeCrash < EVENTS, 'the crash must interrupt the work for this test to mean anything');

    const b = await startServer(dataDir);
    servers.push(b);
    const restartedAt = Date.now();
    const end = Date.now() + 20_000;
    while (new Set(delivered()).size < EVENTS && Date.now() < end) await sleep(20);
    const seen = delivered();
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    const missing = ids.filter((id) => !counts.has(id));
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    t.diagnostic(`all delivered ${Date.now() - restartedAt} ms after restart; ${seen.length} runs for ${EVENTS} events, ${duplicates} event(s) ran more than once`);
    assert.deepEqual(missing, [], `events lost across the crash; server output:\n${b.output()}`);
    assert.deepEqual([...counts.keys()].sort(), [...ids].sort(), 'only accepted events ran');

    // The last runs' acknowledgements follow their marker lines by a moment: the queue drains to zero.
    let m: any;
    for (const stop = Date.now() + 5_000; Date.now() < stop; await sleep(20)) {
      m = await (await fetch(`${b.endpoint}/metrics/async-queue`, { headers: { connection: "close" } })).json();
      if (m.ready + m.delayed + m.inFlight === 0) break;
    }
    assert.equal(m.ready + m.delayed + m.inFlight, 0, JSON.stringify(m));
  } finally {
    for (const c of clients) c.destroy();
    for (const s of servers) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        s.proc.kill('SIGTERM');
        await Promise.race([exited(s.proc), sleep(5_000, undefined, { ref: false })]);
        if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
