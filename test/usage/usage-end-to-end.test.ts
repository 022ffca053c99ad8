import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';

const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');
const N = 5;

test('flint usage: N invocations show N requests and the GB-seconds their REPORT lines imply, across a restart; /metrics carries the totals', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-usage-e2e-'));
  // A price table file overriding the GB-second rate: the cost shown follows it.
  const prices = join(dataDir, '..', `prices-${process.pid}.json`);
  writeFileSync(prices, JSON.stringify({ requestsPerMillion: 1_000_000, gbSecond: { x86_64: 1 } }));
  t.after(() => {
    rmSync(prices, { force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  let h = await startHarness({ priceTable: prices }, { dataDir });
  await createFunction(h.client, 'metered', { MemorySize: 256 });
  await createFunction(h.client, 'other');
  let mbMs = 0;
  for (let i = 0; i < N; i++) {
    const out = await h.client.send(new InvokeCommand({ FunctionName: 'metered', Payload: Buffer.from('{}'), LogType: 'Tail' }));
    const tail = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    const report = /REPORT .*Billed Duration: (\d+) ms\tMemory Size: (\d+) MB/.exec(tail);
    assert.ok(report, tail);
    mbMs += Number(report[1]) * Number(report[2]);
  }
  await h.client.send(new InvokeCommand({ FunctionName: 'other', Payload: Buffer.from('{}') }));
  const gbSeconds = mbMs / 1024 / 1000;

  const metrics = await (await fetch(`${h.endpoint}/metrics`)).text();
  assert.match(metrics, new RegExp(`flint_usage_requests_total\\{function_name="metered"\\} ${N}\\b`));
  assert.match(metrics, /flint_usage_gb_seconds_total\{function_name="metered"\} [0-9.e-]+/);
  assert.match(metrics, /flint_usage_cost_usd_total\{function_name="other"\} [0-9.e-]+/);

  // Restarted on the same data dir: the record is durable.
  await h.stop();
  h = await startHarness({ priceTable: prices }, { dataDir });
  t.after(() => h.stop());
  const env = { ...process.env, FLINT_ENDPOINT: h.endpoint, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'usage', '--since', '1h', '--function', 'metered', '--data-dir', dataDir], { env });
  const row = stdout.split('\n').find((l) => l.startsWith('metered'));
  assert.ok(row, stdout);
  const [, arch, requests, gbs, cost] = row.split(/\s+/);
  assert.equal(arch, 'x86_64');
  assert.equal(Number(requests), N);
  assert.equal(gbs, gbSeconds.toFixed(6));
  // $1 per request and $1 per GB-second under the test's table.
  assert.equal(cost, (N + gbSeconds).toFixed(8));
  assert.doesNotMatch(stdout, /^other/m);

  const all = await run(process.execPath, ['--import', 'tsx', MAIN, 'usage', '--data-dir', dataDir], { env });
  assert.match(all.stdout, new RegExp(`^TOTAL\\s+${N + 1}\\s`, 'm'));
  const future = await run(process.execPath, ['--import', 'tsx', MAIN, 'usage', '--since', new Date(Date.now() + 3_600_000).toISOString(), '--data-dir', dataDir], { env });
  assert.match(future.stdout, /^TOTAL\s+0\s/m);

  // Not the root: refused.
  const denied = await fetch(`${h.endpoint}/flint/usage`);
  assert.equal(denied.status, 403);
});
