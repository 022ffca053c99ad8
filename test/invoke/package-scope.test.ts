import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness } from '../helpers/flint-harness.js';
import { body, deploy, invoke } from './fixture-functions.js';

test('invoke/nodejs: CommonJS code still loads when the data directory lies inside a "type": "module" project', async () => {
  const project = mkdtempSync(join(tmpdir(), 'flint-esm-project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'someone-elses-project', type: 'module' }));
  const h = await startHarness({ sandbox: 'process', dataDir: join(project, '.flint') });
  try {
    await deploy(h, { name: 'cjs', scenario: 'echo', runtime: 'nodejs' });
    const r = await invoke(h, 'cjs', { still: 'commonjs' });
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    assert.deepEqual(body(r), { still: 'commonjs' });
  } finally {
    await h.stop();
    rmSync(project, { recursive: true, force: true });
  }
});
