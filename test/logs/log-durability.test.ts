import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { waitSettled } from '../helpers/functions.js';

/**
 * Function logs across a kill -9: a real `flint server` child runs invocations 8 at a time and is
 * SIGKILLed mid-load; a new server on the same data dir must show, for every invocation whose
 * response arrived, all its lines (START, both lines, END, REPORT) in order in one stream.
 */
const ACKS_BEFORE_KILL = 300;

test('log durability: after a kill -9 of the server every acknowledged invocation has all its lines, in order', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-logcrash-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { ...process.env, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, FLINT_SANDBOX: 'process', FLINT_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise((r) => proc.once('exit', r));
  let lambda: LambdaClient | undefined;
  try {
    let endpoint: string | undefined;
    for (let i = 0; i < 600 && !endpoint; i++) {
      endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (!endpoint) await sleep(50);
    }
    assert.ok(endpoint, `server did not start:\n${out}`);
    lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const zip = await makeZip({ 'index.js': "exports.handler = async (e, ctx) => { console.log('one ' + ctx.awsRequestId); console.log('two ' + ctx.awsRequestId); return 1; };" });
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'tagged', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
    await waitSettled(lambda, 'tagged');
    const acked: string[] = [];
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const r = await lambda!.send(new InvokeCommand({ FunctionName: 'tagged', Payload: Buffer.from('{}') })).catch(() => undefined);
        if (!r || killed) return;
        acked.push(r.$metadata.requestId!);
        if (acked.length >= ACKS_BEFORE_KILL) {
          killed = true;
          proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await exited;
    assert.equal(proc.signalCode, 'SIGKILL');

    const h = await startHarness({}, { dataDir });
    const logs = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      const events: FilteredLogEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/tagged', nextToken }));
        events.push(...page.events!);
        nextToken = page.nextToken;
      } while (nextToken);
      // Per stream, in stored order (eventIds end with the append ordinal).
      const byStream = new Map<string, string[]>();
      for (const e of [...events].sort((a, b) => (a.eventId!.slice(36) < b.eventId!.slice(36) ? -1 : 1))) {
        byStream.set(e.logStreamName!, [...(byStream.get(e.logStreamName!) ?? []), e.message!]);
      }
      const lost: string[] = [];
      for (const id of acked) {
        const stream = [...byStream.values()].find((lines) => lines.includes(`END RequestId: ${id}`));
        const at = stream ? stream.findIndex((l) => l === `START RequestId: ${id} Version: $LATEST`) : -1;
        const mine = stream && at >= 0 ? stream.slice(at, at + 5) : [];
        const ok = mine.length === 5 && mine[1]!.endsWith(`one ${id}`) && mine[2]!.endsWith(`two ${id}`) && mine[3] === `END RequestId: ${id}` && mine[4]!.startsWith(`REPORT RequestId: ${id}\t`);
        if (!ok) lost.push(id);
      }
      assert.equal(acked.length, ACKS_BEFORE_KILL);
      assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged invocations lost lines`);
    } finally {
      logs.destroy();
      await h.stop();
    }
  } finally {
    lambda?.destroy();
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
