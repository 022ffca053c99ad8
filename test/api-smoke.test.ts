import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from './helpers/flint-harness.js';
import { makeZip } from './helpers/zip.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

test('api: CreateFunction then GetFunctionConfiguration through SDK v3', async () => {
  const zip = await makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
  const created = await h.client.send(new CreateFunctionCommand({ FunctionName: 'smoke', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
  assert.equal(created.State, 'Pending');
  assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:smoke');
  const got = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'smoke' }));
  assert.equal(got.CodeSize, zip.length);
});

test('auth: an unknown access key gets UnrecognizedClientException 403', async () => {
  const bad = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
  await assert.rejects(bad.send(new GetFunctionConfigurationCommand({ FunctionName: 'smoke' })), (err: any) => {
    assert.equal(err.name, 'UnrecognizedClientException');
    assert.equal(err.$metadata.httpStatusCode, 403);
    return true;
  });
});
