import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DeleteFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { renderHistory } from '../../src/cli/history-command.js';

const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');

test('flint history: each item shows its capture time and status, then only the fields that changed, from → to', () => {
  const state = (memory: number, extra: Record<string, unknown> = {}) => JSON.stringify({ configuration: { FunctionName: 'fn', MemorySize: memory }, aliases: [], tags: {}, ...extra });
  const text = renderHistory([
    { configurationItemCaptureTime: 1_700_000_000, configurationItemStatus: 'ResourceDiscovered', configuration: state(128) },
    { configurationItemCaptureTime: 1_700_000_060, configurationItemStatus: 'OK', configuration: state(256, { reservedConcurrentExecutions: 2 }), relatedEvents: ['r-1'] },
    { configurationItemCaptureTime: 1_700_000_120, configurationItemStatus: 'ResourceDeleted' },
  ]);
  assert.equal(text, [
    '2023-11-14T22:13:20.000Z  ResourceDiscovered',
    '  configuration.FunctionName: fn',
    '  configuration.MemorySize: 128',
    '  aliases: []',
    '  tags: {}',
    '2023-11-14T22:14:20.000Z  OK  (request r-1)',
    '  configuration.MemorySize: 128 → 256',
    '  reservedConcurrentExecutions: (none) → 2',
    '2023-11-14T22:15:20.000Z  ResourceDeleted',
    '  function deleted',
    '',
  ].join('\n'));
});

test('flint history <fn>: reads the history through the API with the root credentials, through to the deletion', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  await createFunction(h.client, 'cli-hist');
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cli-hist', Timeout: 9 }));
  await waitSettled(h.client, 'cli-hist');
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'cli-hist' }));
  const env = { ...process.env, FLINT_ENDPOINT: h.endpoint, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', MAIN, 'history', 'cli-hist', '--data-dir', h.dataDir], { env });
  const statuses = stdout.split('\n').filter((l) => /^\d{4}-/.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.deepEqual(statuses, ['ResourceDiscovered', 'OK', 'ResourceDeleted']);
  assert.match(stdout, /configuration\.Timeout: 3 → 9/);
  assert.match(stdout, /function deleted/);
});
