import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddPermissionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  type AddPermissionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const S3_BUCKET = 'arn:aws:s3:::test-bucket';
const add = (input: Partial<AddPermissionCommandInput> & { FunctionName: string }) =>
  h.client.send(new AddPermissionCommand({ Action: 'lambda:InvokeFunction', StatementId: 's3', Principal: 's3.amazonaws.com', ...input }));
const getPolicy = (FunctionName: string, Qualifier?: string) => h.client.send(new GetPolicyCommand({ FunctionName, Qualifier }));
const sids = (policy: string | undefined) => JSON.parse(policy!).Statement.map((s: { Sid: string }) => s.Sid);
// Texts recorded from AWS (TestLambdaPermissions).
const NOT_FOUND = 'The resource you requested does not exist.';
const STALE = 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id';

test('add-permission: a service principal with SourceArn becomes an ArnLike condition; GetPolicy returns the IAM document', async () => {
  await createFunction(h.client, 'pol-aws');
  const res = await add({ FunctionName: 'pol-aws', SourceArn: S3_BUCKET });
  assert.equal(res.$metadata.httpStatusCode, 201);
  const statement = `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"${FN}pol-aws","Condition":{"ArnLike":{"AWS:SourceArn":"${S3_BUCKET}"}}}`;
  assert.equal(res.Statement, statement);
  const policy = await getPolicy('pol-aws');
  assert.equal(policy.$metadata.httpStatusCode, 200);
  assert.equal(policy.Policy, `{"Version":"2012-10-17","Id":"default","Statement":[${statement}]}`);
  assert.match(policy.RevisionId!, /^[0-9a-f-]{36}$/);
});

test('add-permission: principal forms and optional condition fields are rendered like AWS', async () => {
  await createFunction(h.client, 'pol-fields');
  const st = async (input: Partial<AddPermissionCommandInput>) => JSON.parse((await add({ FunctionName: 'pol-fields', ...input })).Statement!);
  const resource = `${FN}pol-fields`;
  assert.deepEqual(await st({ StatementId: 'wildcard', Principal: '*', SourceAccount: '000000000000' }), {
    Sid: 'wildcard', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: resource, Condition: { StringEquals: { 'AWS:SourceAccount': '000000000000' } },
  });
  assert.deepEqual((await st({ StatementId: 'lambda', Principal: 'lambda.amazonaws.com' })).Principal, { Service: 'lambda.amazonaws.com' });
  const account = await st({ StatementId: 'account-id', Principal: '111111111111' });
  assert.deepEqual(account.Principal, { AWS: 'arn:aws:iam::111111111111:root' });
  assert.equal(account.Condition, undefined);
  const userArn = 'arn:aws:iam::111111111111:user/someone';
  assert.deepEqual((await st({ StatementId: 'user-arn', Principal: userArn })).Principal, { AWS: userArn });
  const url = await st({
    StatementId: 'urlPermission', Action: 'lambda:InvokeFunctionUrl', Principal: '*',
    SourceArn: S3_BUCKET, SourceAccount: '000000000000', PrincipalOrgID: 'o-1234567890', FunctionUrlAuthType: 'NONE',
  });
  // Key order matters to byte-comparing clients: AWS writes StringEquals before ArnLike, in this order.
  assert.equal(JSON.stringify(url.Condition),
    `{"StringEquals":{"AWS:SourceAccount":"000000000000","lambda:FunctionUrlAuthType":"NONE","aws:PrincipalOrgID":"o-1234567890"},"ArnLike":{"AWS:SourceArn":"${S3_BUCKET}"}}`);
  const alexa = await st({ StatementId: 'alexaSkill', Principal: '*', EventSourceToken: 'amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' });
  assert.deepEqual(alexa.Condition, { StringEquals: { 'lambda:EventSourceToken': 'amzn1.ask.skill.xxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' } });
  const policy = await getPolicy('pol-fields');
  assert.deepEqual(sids(policy.Policy), ['wildcard', 'lambda', 'account-id', 'user-arn', 'urlPermission', 'alexaSkill']);
});

test('add-permission: AWS\'s errors for bad ids, qualifiers, principals, conflicts and missing functions', async () => {
  await createFunction(h.client, 'pol-exc');
  await expectError(add({ FunctionName: 'pol-exc', StatementId: 'example.com' }), 'ValidationException', 400,
    "1 validation error detected: Value 'example.com' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)");
  await expectError(add({ FunctionName: 'pol-exc:alias-not-42', Qualifier: '42' }), 'InvalidParameterValueException', 400,
    'The derived qualifier from the function name does not match the specified qualifier.');
  await expectError(add({ FunctionName: 'pol-exc:$LATEST', Qualifier: '$LATEST' }), 'InvalidParameterValueException', 400,
    'We currently do not support adding policies for $LATEST.');
  await expectError(add({ FunctionName: 'pol-exc', StatementId: 'lambda', Principal: 'invalid.nonaws.com', SourceAccount: '000000000000' }), 'InvalidParameterValueException', 400,
    'The provided principal was invalid. Please check the principal and try again.');
  await expectError(add({ FunctionName: 'doesnotexist' }), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist`);
  await expectError(add({ FunctionName: 'pol-exc:alias-doesnotexist' }), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pol-exc:alias-doesnotexist`);
  await expectError(add({ FunctionName: 'pol-exc', Qualifier: '42' }), 'ResourceNotFoundException', 404, `Function not found: ${FN}pol-exc:42`);
  await expectError(add({ FunctionName: 'pol-exc', Qualifier: 'invalid-qualifier-with-?-char' }), 'ValidationException', 400,
    "1 validation error detected: Value 'invalid-qualifier-with-?-char' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+");
  await expectError(add({ FunctionName: 'pol-exc', Qualifier: 'valid-with-$-but-doesnotexist' }), 'ResourceNotFoundException', 404,
    `Function not found: ${FN}pol-exc:valid-with-$-but-doesnotexist`);
  await add({ FunctionName: 'pol-exc', SourceArn: S3_BUCKET });
  await expectError(add({ FunctionName: 'pol-exc', SourceArn: S3_BUCKET }), 'ResourceConflictException', 409,
    'The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing statement.');
  await expectError(add({ FunctionName: 'pol-exc', StatementId: 'other', RevisionId: 'wrong' }), 'PreconditionFailedException', 412, STALE);
});

test('get-policy and remove-permission: AWS\'s errors for missing functions, versions, aliases and policies', async () => {
  await createFunction(h.client, 'pol-get');
  await expectError(getPolicy('doesnotexist'), 'ResourceNotFoundException', 404, NOT_FOUND);
  await expectError(getPolicy('pol-get', '77'), 'ResourceNotFoundException', 404, NOT_FOUND);
  await expectError(getPolicy('pol-get'), 'ResourceNotFoundException', 404, NOT_FOUND);
  const remove = (FunctionName: string, StatementId: string, Qualifier?: string, RevisionId?: string) =>
    h.client.send(new RemovePermissionCommand({ FunctionName, StatementId, Qualifier, RevisionId }));
  await expectError(remove('pol-get', 's3'), 'ResourceNotFoundException', 404, 'No policy is associated with the given resource.');
  await expectError(remove('doesnotexist', 's3'), 'ResourceNotFoundException', 404, `No policy found for: ${FN}doesnotexist`);
  await expectError(remove('pol-get', 's3', 'alias-doesnotexist'), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pol-get:alias-doesnotexist`);
  await add({ FunctionName: 'pol-get' });
  await expectError(remove('pol-get', 'non-existent'), 'ResourceNotFoundException', 404, 'Statement non-existent is not found in resource policy.');
  await expectError(remove('pol-get', 's3', undefined, 'wrong'), 'PreconditionFailedException', 412, STALE);
});

test('remove-permission: removes one statement with a new RevisionId; the last one removes the policy', async () => {
  await createFunction(h.client, 'pol-rm');
  await add({ FunctionName: 'pol-rm' });
  await add({ FunctionName: 'pol-rm', StatementId: 'sqs', Principal: 'sqs.amazonaws.com', SourceArn: S3_BUCKET });
  const before2 = await getPolicy('pol-rm');
  assert.deepEqual(sids(before2.Policy), ['s3', 'sqs']);
  const removed = await h.client.send(new RemovePermissionCommand({ FunctionName: 'pol-rm', StatementId: 'sqs' }));
  assert.equal(removed.$metadata.httpStatusCode, 204);
  const after1 = await getPolicy('pol-rm');
  assert.deepEqual(sids(after1.Policy), ['s3']);
  assert.notEqual(after1.RevisionId, before2.RevisionId);
  assert.equal((await getPolicy('pol-rm')).RevisionId, after1.RevisionId, 'reading does not change the revision');
  await h.client.send(new RemovePermissionCommand({ FunctionName: 'pol-rm', StatementId: 's3', RevisionId: after1.RevisionId }));
  await expectError(getPolicy('pol-rm'), 'ResourceNotFoundException', 404, NOT_FOUND);
});

test('add-permission: versions and aliases have their own policies, Resource names the qualifier', async () => {
  await createFunction(h.client, 'pol-ver');
  await add({ FunctionName: 'pol-ver', SourceArn: S3_BUCKET });
  const latest = await getPolicy('pol-ver');
  const v = await publishVersion(h.client, 'pol-ver');
  // Permissions apply to the qualifier they were added to: the new version has none.
  await expectError(getPolicy('pol-ver', v), 'ResourceNotFoundException', 404, NOT_FOUND);
  assert.equal((await getPolicy('pol-ver')).RevisionId, latest.RevisionId, 'publishing leaves the $LATEST policy alone');
  await add({ FunctionName: `pol-ver:${v}`, Qualifier: v, SourceArn: S3_BUCKET });
  const onVersion = JSON.parse((await getPolicy('pol-ver', v)).Policy!);
  assert.equal(onVersion.Statement[0].Resource, `${FN}pol-ver:${v}`);
  const aliasRevision = await createAlias(h.client, 'pol-ver', 'permission-alias', v);
  await expectError(add({ FunctionName: 'pol-ver', Qualifier: 'permission-alias', RevisionId: 'wrong' }), 'PreconditionFailedException', 412, STALE);
  // Before the alias has a policy, AWS accepts the alias's own RevisionId.
  await add({ FunctionName: 'pol-ver:permission-alias', Qualifier: 'permission-alias', RevisionId: aliasRevision });
  const onAlias = await getPolicy('pol-ver', 'permission-alias');
  assert.equal(JSON.parse(onAlias.Policy!).Statement[0].Resource, `${FN}pol-ver:permission-alias`);
  // Afterwards the policy's RevisionId is the one to send.
  await add({ FunctionName: 'pol-ver', StatementId: 's3_2', SourceArn: S3_BUCKET, RevisionId: latest.RevisionId });
  assert.deepEqual(sids((await getPolicy('pol-ver')).Policy), ['s3', 's3_2']);
  assert.deepEqual(sids((await getPolicy('pol-ver', 'permission-alias')).Policy), ['s3']);
});

test('add-permission: a policy may not grow beyond 20 KB (PolicyLengthExceededException)', async () => {
  await createFunction(h.client, 'pol-size');
  const longArn = `arn:aws:s3:::${'b'.repeat(900)}`;
  let i = 0;
  for (; i < 40; i++) {
    try {
      await add({ FunctionName: 'pol-size', StatementId: `s${i}`, SourceArn: longArn });
    } catch (err: any) {
      assert.equal(err.name, 'PolicyLengthExceededException');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.match(err.message, /^The final policy size \((\d+)\) is bigger than the limit \(20480\)\.$/);
      const size = Number(/\((\d+)\)/.exec(err.message)![1]);
      assert.ok(size > 20_480);
      break;
    }
  }
  assert.ok(i > 5 && i < 40, `limit reached after ${i} statements`);
  const policy = await getPolicy('pol-size');
  assert.equal(sids(policy.Policy).length, i, 'the refused statement was not stored');
  assert.ok(policy.Policy!.length <= 20_480);
});

test('policies: deleting a function deletes its policies', async () => {
  await createFunction(h.client, 'pol-del');
  await add({ FunctionName: 'pol-del' });
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'pol-del' }));
  await createFunction(h.client, 'pol-del');
  await expectError(getPolicy('pol-del'), 'ResourceNotFoundException', 404, NOT_FOUND);
});

// Needs AliasService.delete to emit the `alias-deleted` FunctionEvent.
test('policies: deleting an alias deletes its policy', async () => {
  await createFunction(h.client, 'pol-del-alias');
  const v = await publishVersion(h.client, 'pol-del-alias');
  await createAlias(h.client, 'pol-del-alias', 'live', v);
  await add({ FunctionName: 'pol-del-alias', Qualifier: 'live' });
  await h.client.send(new DeleteAliasCommand({ FunctionName: 'pol-del-alias', Name: 'live' }));
  await createAlias(h.client, 'pol-del-alias', 'live', v);
  await expectError(getPolicy('pol-del-alias', 'live'), 'ResourceNotFoundException', 404, NOT_FOUND);
});
