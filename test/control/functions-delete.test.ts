import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  CreateAliasCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';
import { waitSettled } from '../helpers/functions.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';

let h: Harness;
let zip: Buffer;
before(async () => {
  h = await startHarness();
  zip = await makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
});
after(async () => { await h.stop(); });

const create = (name: string, extra: Partial<CreateFunctionCommandInput> = {}) =>
  h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra }));

/** Lambda settles asynchronously; Flint does so before the next request is served, but poll to be safe. */
const settled = (name: string, qualifier?: string) => waitSettled(h.client, name, qualifier);

test('delete-function: removes the function with its versions and aliases; GetFunction then answers 404', async () => {
  await create('fn-delete', { Publish: true });
  await settled('fn-delete', '1');
  await h.client.send(new CreateAliasCommand({ FunctionName: 'fn-delete', Name: 'live', FunctionVersion: '1' }));
  const res = await h.client.send(new DeleteFunctionCommand({ FunctionName: `${ARN}:fn-delete` }));
  assert.equal(res.$metadata.httpStatusCode, 204);
  await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: 'fn-delete' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:fn-delete`,
  });
  // A new function of the same name starts from scratch: no old versions or aliases.
  await create('fn-delete');
  const versions = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'fn-delete' }));
  assert.deepEqual(versions.Versions!.map((v) => v.Version), ['$LATEST']);
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-never-was' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:fn-never-was`,
  });
});

test('delete-function: with a Qualifier deletes one version; $LATEST, aliases and referenced versions are refused', async () => {
  await create('fn-delver', { Publish: true });
  await settled('fn-delver', '1');
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-delver', Description: 'v2' }));
  await settled('fn-delver');
  await h.client.send(new PublishVersionCommand({ FunctionName: 'fn-delver' }));
  await h.client.send(new CreateAliasCommand({ FunctionName: 'fn-delver', Name: 'live', FunctionVersion: '2' }));

  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-delver', Qualifier: '$LATEST' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: '$LATEST version cannot be deleted without deleting the function.',
  });
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-delver', Qualifier: 'live' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Deletion of aliases is not currently supported.',
  });
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-delver', Qualifier: '2' })), {
    name: 'ResourceConflictException',
    status: 409,
    message: 'Unable to delete version because the following aliases reference it: [live]',
  });
  const absent = await h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-delver', Qualifier: '99' }));
  assert.equal(absent.$metadata.httpStatusCode, 204);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-delver:1' }));
  const versions = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'fn-delver' }));
  assert.deepEqual(versions.Versions!.map((v) => v.Version), ['$LATEST', '2']);
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'fn-never-was', Qualifier: '1' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:fn-never-was`,
  });
});
