import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateCodeSigningConfigCommand,
  DeleteCodeSigningConfigCommand,
  DeleteFunctionCodeSigningConfigCommand,
  DeleteFunctionCommand,
  GetCodeSigningConfigCommand,
  GetFunctionCodeSigningConfigCommand,
  ListCodeSigningConfigsCommand,
  ListFunctionsByCodeSigningConfigCommand,
  PutFunctionCodeSigningConfigCommand,
  UpdateCodeSigningConfigCommand,
  UpdateFunctionCodeCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  await createFunction(h.client, 'csc-fn');
});
after(async () => { await h.stop(); });

const PROFILE = 'arn:aws:signer:us-east-1:000000000000:/signing-profiles/test';
const MISSING = 'arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0000000000000000a';
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const create = (policy?: 'Warn' | 'Enforce') =>
  h.client.send(new CreateCodeSigningConfigCommand({
    Description: 'Testing CodeSigning Config',
    AllowedPublishers: { SigningProfileVersionArns: [PROFILE] },
    ...(policy ? { CodeSigningPolicies: { UntrustedArtifactOnDeployment: policy } } : {}),
  }));

test('create/get/update/list code signing configs: AWS shapes, 201 on create, Warn by default', async () => {
  const made = await create('Enforce');
  assert.equal(made.$metadata.httpStatusCode, 201);
  const c = made.CodeSigningConfig!;
  assert.match(c.CodeSigningConfigId!, /^csc-[a-z0-9]{17}$/);
  assert.equal(c.CodeSigningConfigArn, `arn:aws:lambda:us-east-1:000000000000:code-signing-config:${c.CodeSigningConfigId}`);
  assert.deepEqual(c.AllowedPublishers, { SigningProfileVersionArns: [PROFILE] });
  assert.deepEqual(c.CodeSigningPolicies, { UntrustedArtifactOnDeployment: 'Enforce' });
  assert.equal(c.Description, 'Testing CodeSigning Config');
  assert.match(c.LastModified!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

  const updated = await h.client.send(new UpdateCodeSigningConfigCommand({
    CodeSigningConfigArn: c.CodeSigningConfigArn, CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Warn' },
  }));
  assert.equal(updated.CodeSigningConfig!.CodeSigningPolicies!.UntrustedArtifactOnDeployment, 'Warn');
  assert.equal(updated.CodeSigningConfig!.Description, 'Testing CodeSigning Config', 'update keeps what it does not name');
  const got = await h.client.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: c.CodeSigningConfigArn }));
  assert.deepEqual(got.CodeSigningConfig, updated.CodeSigningConfig);

  const plain = (await create()).CodeSigningConfig!;
  assert.equal(plain.CodeSigningPolicies!.UntrustedArtifactOnDeployment, 'Warn');
  const listed = await h.client.send(new ListCodeSigningConfigsCommand({}));
  const arns = listed.CodeSigningConfigs!.map((x) => x.CodeSigningConfigArn);
  assert.ok(arns.includes(c.CodeSigningConfigArn) && arns.includes(plain.CodeSigningConfigArn));
  const page = await h.client.send(new ListCodeSigningConfigsCommand({ MaxItems: 1 }));
  assert.equal(page.CodeSigningConfigs!.length, 1);
  assert.ok(page.NextMarker);
  const rest = await h.client.send(new ListCodeSigningConfigsCommand({ Marker: page.NextMarker }));
  assert.ok(!rest.CodeSigningConfigs!.some((x) => x.CodeSigningConfigArn === page.CodeSigningConfigs![0]!.CodeSigningConfigArn));
});

test('get-function-code-signing-config: 200 with an empty body for a function without one; 404 for a missing function', async () => {
  const r = await h.client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'csc-fn' }));
  assert.equal(r.$metadata.httpStatusCode, 200);
  assert.equal(r.CodeSigningConfigArn, undefined);
  assert.equal(r.FunctionName, undefined);
  await expectError(h.client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'csc-test-doesnotexist' })),
    'ResourceNotFoundException', 404, `Function not found: ${FN}csc-test-doesnotexist`);
});

test('put/get/list/delete a function attachment; a config in use cannot be deleted', async () => {
  const c = (await create('Warn')).CodeSigningConfig!;
  const put = await h.client.send(new PutFunctionCodeSigningConfigCommand({ FunctionName: 'csc-fn', CodeSigningConfigArn: c.CodeSigningConfigArn }));
  assert.deepEqual([put.CodeSigningConfigArn, put.FunctionName], [c.CodeSigningConfigArn, 'csc-fn']);
  const got = await h.client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: `${FN}csc-fn` }));
  assert.deepEqual([got.CodeSigningConfigArn, got.FunctionName], [c.CodeSigningConfigArn, 'csc-fn']);
  const fns = await h.client.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: c.CodeSigningConfigArn }));
  assert.deepEqual(fns.FunctionArns, [`${FN}csc-fn`]);

  await expectError(h.client.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: c.CodeSigningConfigArn })), 'ResourceConflictException', 409);

  const del = await h.client.send(new DeleteFunctionCodeSigningConfigCommand({ FunctionName: 'csc-fn' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const again = await h.client.send(new DeleteFunctionCodeSigningConfigCommand({ FunctionName: 'csc-fn' }));
  assert.equal(again.$metadata.httpStatusCode, 204, 'nothing to delete is a 204 too (recorded)');
  const none = await h.client.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: c.CodeSigningConfigArn }));
  assert.deepEqual(none.FunctionArns, []);
  const gone = await h.client.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: c.CodeSigningConfigArn }));
  assert.equal(gone.$metadata.httpStatusCode, 204);
});

test('missing configs and functions get AWS errors and texts (recorded: test_code_signing_not_found_excs)', async () => {
  const notFound = `The Lambda code signing configuration ${MISSING} can not be found.`;
  await expectError(h.client.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: MISSING })), 'ResourceNotFoundException', 404, notFound);
  await expectError(h.client.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: MISSING })), 'ResourceNotFoundException', 404, notFound);
  await expectError(h.client.send(new UpdateCodeSigningConfigCommand({ CodeSigningConfigArn: MISSING, Description: 'x' })), 'ResourceNotFoundException', 404, notFound);
  await expectError(h.client.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: MISSING })), 'ResourceNotFoundException', 404, notFound);
  await expectError(h.client.send(new PutFunctionCodeSigningConfigCommand({ FunctionName: 'csc-fn', CodeSigningConfigArn: MISSING })),
    'CodeSigningConfigNotFoundException', 404, `The code signing configuration cannot be found. Check that the provided configuration is not deleted: ${MISSING}.`);
  await expectError(h.client.send(new PutFunctionCodeSigningConfigCommand({ FunctionName: 'csc-test-doesnotexist', CodeSigningConfigArn: MISSING })),
    'ResourceNotFoundException', 404, `Function not found: ${FN}csc-test-doesnotexist`);
  await expectError(h.client.send(new DeleteFunctionCodeSigningConfigCommand({ FunctionName: 'csc-test-doesnotexist' })),
    'ResourceNotFoundException', 404, `Function not found: ${FN}csc-test-doesnotexist`);
  await expectError(h.client.send(new GetCodeSigningConfigCommand({ CodeSigningConfigArn: 'arn:aws:lambda:us-east-1:000000000000:code-signing-config:bad' })),
    'ValidationException', 400, /at 'codeSigningConfigArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
});

test('Enforce refuses every deployment (Flint cannot verify Signer signatures); Warn lets it through', async () => {
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 2;' });
  const enforce = (await create('Enforce')).CodeSigningConfig!;
  await expectError(createFunction(h.client, 'csc-enforced', { CodeSigningConfigArn: enforce.CodeSigningConfigArn }),
    'CodeVerificationFailedException', 400, /Flint cannot verify AWS Signer signatures/);
  await expectError(createFunction(h.client, 'csc-missing', { CodeSigningConfigArn: MISSING }), 'CodeSigningConfigNotFoundException', 404);

  const warn = (await create('Warn')).CodeSigningConfig!;
  await createFunction(h.client, 'csc-warned', { CodeSigningConfigArn: warn.CodeSigningConfigArn });
  const attached = await h.client.send(new GetFunctionCodeSigningConfigCommand({ FunctionName: 'csc-warned' }));
  assert.equal(attached.CodeSigningConfigArn, warn.CodeSigningConfigArn, 'CreateFunction attaches the config it names');
  const updated = await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'csc-warned', ZipFile: zip }));
  assert.equal(updated.$metadata.httpStatusCode, 200);

  // Switching the attached config to Enforce blocks the next upload (changes apply at the next deployment).
  await h.client.send(new UpdateCodeSigningConfigCommand({ CodeSigningConfigArn: warn.CodeSigningConfigArn, CodeSigningPolicies: { UntrustedArtifactOnDeployment: 'Enforce' } }));
  await expectError(h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'csc-warned', ZipFile: zip })), 'CodeVerificationFailedException', 400);

  // Deleting the function detaches it.
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'csc-warned' }));
  const fns = await h.client.send(new ListFunctionsByCodeSigningConfigCommand({ CodeSigningConfigArn: warn.CodeSigningConfigArn }));
  assert.deepEqual(fns.FunctionArns, []);
});

test('tags on code signing configs: CreateCodeSigningConfig Tags, TagResource, UntagResource, ListTags', async () => {
  const made = await h.client.send(new CreateCodeSigningConfigCommand({ AllowedPublishers: { SigningProfileVersionArns: [PROFILE] }, Tags: { team: 'a' } }));
  const arn = made.CodeSigningConfig!.CodeSigningConfigArn!;
  assert.deepEqual((await h.client.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'a' });
  await h.client.send(new TagResourceCommand({ Resource: arn, Tags: { env: 'dev' } }));
  assert.deepEqual((await h.client.send(new ListTagsCommand({ Resource: arn }))).Tags, { team: 'a', env: 'dev' });
  await h.client.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['team'] }));
  assert.deepEqual((await h.client.send(new ListTagsCommand({ Resource: arn }))).Tags, { env: 'dev' });
  await h.client.send(new DeleteCodeSigningConfigCommand({ CodeSigningConfigArn: arn }));
  await expectError(h.client.send(new ListTagsCommand({ Resource: arn })), 'ResourceNotFoundException', 404, 'The resource you requested does not exist.');
});
