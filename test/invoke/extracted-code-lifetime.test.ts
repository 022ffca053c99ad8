import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { until } from '../helpers/until.js';

test('extracted code: a plaintext tree exists on the host only while an environment holds it', async () => {
  const h = await startHarness();
  try {
    const cache = join(h.dataDir, 'cache', 'code');
    await createFunction(h.client, 'held');
    assert.deepEqual(readdirSync(cache), [], 'uploading leaves no extracted tree');
    await h.client.send(new InvokeCommand({ FunctionName: 'held' }));
    const trees = readdirSync(cache);
    assert.equal(trees.length, 1, 'the running environment holds its code');
    await h.client.send(new DeleteFunctionCommand({ FunctionName: 'held' }));
    await until(() => !existsSync(join(cache, trees[0]!)));
  } finally {
    await h.stop();
  }
});
