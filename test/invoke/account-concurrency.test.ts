import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../helpers/flint-harness.js';
import { deploy, invoke } from './fixture-functions.js';

test('concurrency: beyond the account limit invocations are throttled with ConcurrentInvocationLimitExceeded', async () => {
  const h = await startHarness({ sandbox: 'process', concurrencyLimit: 1 });
  try {
    await deploy(h, { name: 'busy', scenario: 'concurrency', runtime: 'nodejs' });
    await deploy(h, { name: 'other', scenario: 'echo', runtime: 'nodejs' });
    const long = invoke(h, 'busy', { ms: 600 });
    await new Promise((r) => setTimeout(r, 250));
    // The pool is shared: another function is throttled too.
    await assert.rejects(invoke(h, 'other'), (err: any) => {
      assert.equal(err.name, 'TooManyRequestsException');
      assert.equal(err.$metadata.httpStatusCode, 429);
      assert.equal(err.message, 'Rate Exceeded.');
      assert.equal(err.Reason, 'ConcurrentInvocationLimitExceeded');
      return true;
    });
    assert.equal((await long).StatusCode, 200);
    assert.equal((await invoke(h, 'other')).StatusCode, 200);
  } finally {
    await h.stop();
  }
});
