import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, GetFunctionCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

test('audit: every control-plane change is recorded with caller, operation and outcome; reads are not', async () => {
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'audited', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { SECRET: 'hunter2' } } }));
  await h.client.send(new GetFunctionCommand({ FunctionName: 'audited' }));
  await assert.rejects(h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'missing', ReservedConcurrentExecutions: 1 })));

  // Lambda's own uses of the function's key (sealing and opening its variables) are KMS events,
  // recorded apart with the function as their reason.
  const all = h.app.audit.list();
  const keyUses = all.filter((e) => e.service === 'kms');
  assert.ok(keyUses.length > 0 && keyUses.every((e) => e.principal === 'lambda.amazonaws.com' && JSON.stringify(e.detail).includes('function:audited')));
  const events = all.filter((e) => e.service !== 'kms');
  assert.deepEqual(events.map((e) => [e.operation, e.status, e.errorType ?? null]), [
    ['CreateFunction', 201, null],
    ['PutFunctionConcurrency', 404, 'ResourceNotFoundException'],
  ]);
  assert.ok(!JSON.stringify(all).includes('hunter2'), 'secrets never reach the trail');
  const created = events[0]!;
  assert.equal(created.principal, 'arn:aws:iam::000000000000:root');
  assert.equal(created.resource, 'audited');
  assert.match(created.time, /^\d{4}-\d{2}-\d{2}T/);
  assert.equal(created.detail?.['Code'], '(redacted)');
  assert.equal(created.detail?.['Environment'], '(redacted)');
  assert.ok(!JSON.stringify(created).includes('hunter2'), 'secrets never reach the trail');
});
