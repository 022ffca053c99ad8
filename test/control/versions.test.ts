import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';

let h: Harness;
let zip: Buffer;
before(async () => {
  h = await startHarness();
  zip = await makeZip({ 'index.js': 'exports.handler = async () => "v1";' });
});
after(async () => { await h.stop(); });

async function createActive(name: string) {
  await h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
  return waitSettled(name);
}

async function waitSettled(name: string) {
  for (let i = 0; i < 50; i++) {
    const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Active' && c.LastUpdateStatus === 'Successful') return c;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('never settled');
}

test('publish-version: publishes $LATEST as version 1 (201, qualified ARN, Active) and gives $LATEST a new RevisionId', async () => {
  const latest = await createActive('ver-basic');
  const v1 = await h.client.send(new PublishVersionCommand({ FunctionName: 'ver-basic', Description: 'first version' }));
  assert.equal(v1.$metadata.httpStatusCode, 201);
  assert.equal(v1.Version, '1');
  assert.equal(v1.FunctionArn, `${ARN}:ver-basic:1`);
  assert.equal(v1.State, 'Active');
  assert.equal(v1.LastUpdateStatus, 'Successful');
  assert.equal(v1.Description, 'first version');
  assert.equal(v1.CodeSha256, latest.CodeSha256);
  assert.notEqual(v1.RevisionId, latest.RevisionId);
  const after = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ver-basic' }));
  assert.notEqual(after.RevisionId, latest.RevisionId);
  assert.equal(after.Description, '', '$LATEST keeps its own description');
});

test('publish-version: with nothing changed since the last version, returns that version again', async () => {
  const again = await h.client.send(new PublishVersionCommand({ FunctionName: 'ver-basic' }));
  assert.equal(again.$metadata.httpStatusCode, 201);
  assert.equal(again.Version, '1');
  assert.equal(again.Description, 'first version');
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver-basic', Description: 'second' }));
  await waitSettled('ver-basic');
  const v2 = await h.client.send(new PublishVersionCommand({ FunctionName: 'ver-basic' }));
  assert.equal(v2.Version, '2');
  assert.equal(v2.Description, 'second');
  const v2again = await h.client.send(new PublishVersionCommand({ FunctionName: 'ver-basic' }));
  assert.equal(v2again.Version, '2');
  assert.equal(v2again.RevisionId, v2.RevisionId);
});

test('publish-version: a wrong CodeSha256 or stale RevisionId is refused with AWS’s texts', async () => {
  const latest = await createActive('ver-checks');
  await expectAwsError(h.client.send(new PublishVersionCommand({ FunctionName: 'ver-checks', CodeSha256: 'somenonexistentsha256' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: `CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST (${latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
  });
  await expectAwsError(h.client.send(new PublishVersionCommand({ FunctionName: 'ver-checks', RevisionId: 'd5b5ed4e-0000-0000-0000-000000000000' })), {
    name: 'PreconditionFailedException',
    status: 412,
    message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  });
  const ok = await h.client.send(new PublishVersionCommand({ FunctionName: 'ver-checks', CodeSha256: latest.CodeSha256, RevisionId: latest.RevisionId }));
  assert.equal(ok.Version, '1');
  await expectAwsError(h.client.send(new PublishVersionCommand({ FunctionName: 'ver-none' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:ver-none`,
  });
});

test('publish-version: a published version is immutable — later code updates do not reach it', async () => {
  const zip2 = await makeZip({ 'index.js': 'exports.handler = async () => "v2";' });
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'ver-checks', ZipFile: zip2 }));
  await waitSettled('ver-checks');
  const v1 = await h.client.send(new GetFunctionCommand({ FunctionName: 'ver-checks', Qualifier: '1' }));
  assert.deepEqual(Buffer.from(await (await fetch(v1.Code!.Location!)).arrayBuffer()), zip);
  const latest = await h.client.send(new GetFunctionCommand({ FunctionName: 'ver-checks' }));
  assert.deepEqual(Buffer.from(await (await fetch(latest.Code!.Location!)).arrayBuffer()), zip2);
  assert.notEqual(v1.Configuration!.CodeSha256, latest.Configuration!.CodeSha256);
  await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: 'ver-checks', Qualifier: '1221' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:ver-checks:1221`,
  });
});

test('list-versions-by-function: $LATEST (with its :$LATEST ARN) then versions in order, paged by MaxItems', async () => {
  const all = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver-basic' }));
  assert.deepEqual(
    all.Versions!.map((v) => [v.Version, v.FunctionArn]),
    [['$LATEST', `${ARN}:ver-basic:$LATEST`], ['1', `${ARN}:ver-basic:1`], ['2', `${ARN}:ver-basic:2`]],
  );
  assert.equal(all.NextMarker, undefined);
  for (const v of all.Versions!) assert.equal(v.State, undefined, 'list view carries no state members');
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const p = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: `${ARN}:ver-basic`, MaxItems: 1, Marker: marker }));
    assert.equal(p.Versions!.length, 1);
    seen.push(p.Versions![0]!.Version!);
    marker = p.NextMarker;
  } while (marker);
  assert.deepEqual(seen, ['$LATEST', '1', '2']);
  await expectAwsError(h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'ver-none' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:ver-none`,
  });
});
