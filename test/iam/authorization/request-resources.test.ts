import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../../../src/domain/principal.js';
import { RequestResolver } from '../../../src/iam/authorization/request-resolver.js';
import { parseFunctionReference } from '../../../src/iam/authorization/lambda-resources.js';

const ACCT = '123456789012';
const FN = `arn:aws:lambda:us-east-1:${ACCT}:function`;
const paths = {
  user: (n: string) => ({ alice: '/', bob: '/division/eng/' } as Record<string, string>)[n],
  role: (n: string) => ({ exec: '/service-role/', plain: '/' } as Record<string, string>)[n],
  group: (n: string) => ({ devs: '/teams/' } as Record<string, string>)[n],
};
const resolver = new RequestResolver({
  partition: 'aws', region: 'us-east-1', accountId: ACCT, paths,
  eventSourceMappingFunction: (uuid) => (uuid === 'esm-1' ? `${FN}:target` : undefined),
});
const alice: Principal = { type: 'User', arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, userId: 'AIDAALICE', userName: 'alice' };

/** [action, resources] for each action of the operation. */
function resolve(service: string, operation: string, input: Record<string, unknown>, principal: Principal = alice) {
  return resolver.actions(service, operation)!.actions.map((a) => [a.action, [...resolver.resources(a, input, principal)]]);
}
function context(service: string, operation: string, input: Record<string, unknown>, principal: Principal = alice) {
  const [a] = resolver.actions(service, operation)!.actions;
  return resolver.context(a!, input, principal, { sourceIp: '10.1.2.3', secureTransport: false });
}

// --- Lambda function names -------------------------------------------------------------------

const functionForms: [string, Record<string, unknown>, string][] = [
  ['a name', { FunctionName: 'b' }, `${FN}:b`],
  ['a name with a version suffix', { FunctionName: 'b:3' }, `${FN}:b:3`],
  ['a name with an alias suffix', { FunctionName: 'b:live' }, `${FN}:b:live`],
  ['a partial ARN', { FunctionName: `${ACCT}:function:b` }, `${FN}:b`],
  ['a partial ARN with a qualifier', { FunctionName: `${ACCT}:function:b:live` }, `${FN}:b:live`],
  ['a full ARN', { FunctionName: `${FN}:b` }, `${FN}:b`],
  ['a full ARN with a version', { FunctionName: `${FN}:b:7` }, `${FN}:b:7`],
  ['a name and a Qualifier parameter', { FunctionName: 'b', Qualifier: 'live' }, `${FN}:b:live`],
  ['a full ARN and a Qualifier parameter', { FunctionName: `${FN}:b`, Qualifier: '2' }, `${FN}:b:2`],
  ['Qualifier=$LATEST (qualified, as AWS authorizes it since 2022)', { FunctionName: 'b', Qualifier: '$LATEST' }, `${FN}:b:$LATEST`],
];
for (const [form, input, arn] of functionForms) {
  test(`lambda resources: Invoke with ${form} acts on ${arn.slice(FN.length + 1)}`, () => {
    assert.deepEqual(resolve('lambda', 'Invoke', input), [['lambda:InvokeFunction', [arn]]]);
  });
}

test('lambda resources: a full ARN of another region or account keeps its own region and account', () => {
  assert.deepEqual(resolve('lambda', 'GetFunction', { FunctionName: 'arn:aws:lambda:eu-west-1:210987654321:function:x' }),
    [['lambda:GetFunction', ['arn:aws:lambda:eu-west-1:210987654321:function:x']]]);
});

test('lambda resources: parseFunctionReference splits every form without a pattern', () => {
  assert.deepEqual(parseFunctionReference('f'), { name: 'f' });
  assert.deepEqual(parseFunctionReference('f:1'), { name: 'f', qualifier: '1' });
  assert.deepEqual(parseFunctionReference('us-east-1:123456789012:function:f:a'), { name: 'f', qualifier: 'a', account: '123456789012', region: 'us-east-1' });
  assert.deepEqual(parseFunctionReference('function:f'), { name: 'f' });
});

test('lambda resources: ListFunctions acts on no named resource (*)', () => {
  assert.deepEqual(resolve('lambda', 'ListFunctions', {}), [['lambda:ListFunctions', ['*']]]);
});

test('lambda resources: alias operations act on the unqualified function', () => {
  assert.deepEqual(resolve('lambda', 'GetAlias', { FunctionName: 'b', Name: 'live' }), [['lambda:GetAlias', [`${FN}:b`]]]);
});

test('lambda resources: provisioned concurrency acts on the version or alias named by Qualifier', () => {
  assert.deepEqual(resolve('lambda', 'PutProvisionedConcurrencyConfig', { FunctionName: 'b', Qualifier: 'live', ProvisionedConcurrentExecutions: 1 }),
    [['lambda:PutProvisionedConcurrencyConfig', [`${FN}:b:live`]]]);
});

test('lambda resources: layer version operations act on layer:name:version', () => {
  assert.deepEqual(resolve('lambda', 'GetLayerVersion', { LayerName: 'deps', VersionNumber: 3 }),
    [['lambda:GetLayerVersion', [`arn:aws:lambda:us-east-1:${ACCT}:layer:deps:3`]]]);
  assert.deepEqual(resolve('lambda', 'DeleteLayerVersion', { LayerName: `arn:aws:lambda:us-east-1:${ACCT}:layer:deps`, VersionNumber: 1 }),
    [['lambda:DeleteLayerVersion', [`arn:aws:lambda:us-east-1:${ACCT}:layer:deps:1`]]]);
});

test('lambda resources: PublishLayerVersion acts on the layer (no version yet)', () => {
  assert.deepEqual(resolve('lambda', 'PublishLayerVersion', { LayerName: 'deps' }), [['lambda:PublishLayerVersion', [`arn:aws:lambda:us-east-1:${ACCT}:layer:deps`]]]);
});

test('lambda resources: GetLayerVersionByArn acts on the layer version ARN it names', () => {
  const arn = `arn:aws:lambda:us-east-1:${ACCT}:layer:deps:4`;
  assert.deepEqual(resolve('lambda', 'GetLayerVersionByArn', { Arn: arn }), [['lambda:GetLayerVersion', [arn]]]);
});

test('lambda resources: event source mappings are named by UUID', () => {
  assert.deepEqual(resolve('lambda', 'DeleteEventSourceMapping', { UUID: 'esm-1' }),
    [['lambda:DeleteEventSourceMapping', [`arn:aws:lambda:us-east-1:${ACCT}:event-source-mapping:esm-1`]]]);
});

test('lambda resources: tagging acts on the Resource ARN given', () => {
  assert.deepEqual(resolve('lambda', 'TagResource', { Resource: `${FN}:b`, Tags: { a: '1' } }), [['lambda:TagResource', [`${FN}:b`]]]);
});

test('lambda resources: PutFunctionCodeSigningConfig acts on both the config and the function', () => {
  const csc = `arn:aws:lambda:us-east-1:${ACCT}:code-signing-config:csc-1`;
  assert.deepEqual(resolve('lambda', 'PutFunctionCodeSigningConfig', { FunctionName: 'b', CodeSigningConfigArn: csc }),
    [['lambda:PutFunctionCodeSigningConfig', [csc, `${FN}:b`]]]);
});

// --- IAM -------------------------------------------------------------------------------------

test('iam resources: a user is named with its path (UserNameWithPath)', () => {
  assert.deepEqual(resolve('iam', 'GetUser', { UserName: 'bob' }), [['iam:GetUser', [`arn:aws:iam::${ACCT}:user/division/eng/bob`]]]);
});

test('iam resources: an unknown user is named under /', () => {
  assert.deepEqual(resolve('iam', 'DeleteUser', { UserName: 'ghost' }), [['iam:DeleteUser', [`arn:aws:iam::${ACCT}:user/ghost`]]]);
});

test('iam resources: CreateUser names the new user under the Path it gives', () => {
  assert.deepEqual(resolve('iam', 'CreateUser', { UserName: 'carol', Path: '/ops/' }), [['iam:CreateUser', [`arn:aws:iam::${ACCT}:user/ops/carol`]]]);
});

for (const op of ['GetUser', 'ListAccessKeys', 'CreateAccessKey']) {
  test(`iam resources: ${op} without UserName acts on the caller's own user`, () => {
    assert.deepEqual(resolve('iam', op, {}), [[`iam:${op}`, [alice.arn]]]);
  });
}

test('iam resources: roles and groups are named with their paths', () => {
  assert.deepEqual(resolve('iam', 'GetRole', { RoleName: 'exec' }), [['iam:GetRole', [`arn:aws:iam::${ACCT}:role/service-role/exec`]]]);
  assert.deepEqual(resolve('iam', 'GetGroup', { GroupName: 'devs' }), [['iam:GetGroup', [`arn:aws:iam::${ACCT}:group/teams/devs`]]]);
});

test('iam resources: AttachUserPolicy acts on the user and carries iam:PolicyARN', () => {
  const policy = 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess';
  assert.deepEqual(resolve('iam', 'AttachUserPolicy', { UserName: 'alice', PolicyArn: policy }), [['iam:AttachUserPolicy', [alice.arn]]]);
  assert.equal(context('iam', 'AttachUserPolicy', { UserName: 'alice', PolicyArn: policy })['iam:PolicyARN'], policy);
});

test('iam resources: policy operations act on the PolicyArn given; CreatePolicy on the new one', () => {
  const arn = `arn:aws:iam::${ACCT}:policy/invoke-b`;
  assert.deepEqual(resolve('iam', 'GetPolicyVersion', { PolicyArn: arn, VersionId: 'v1' }), [['iam:GetPolicyVersion', [arn]]]);
  assert.deepEqual(resolve('iam', 'CreatePolicy', { PolicyName: 'p', Path: '/x/', PolicyDocument: '{}' }), [['iam:CreatePolicy', [`arn:aws:iam::${ACCT}:policy/x/p`]]]);
});

test('iam resources: renaming a user needs the source and the target', () => {
  assert.deepEqual(resolve('iam', 'UpdateUser', { UserName: 'alice', NewUserName: 'alicia' }),
    [['iam:UpdateUser', [alice.arn, `arn:aws:iam::${ACCT}:user/alicia`]]]);
});

test('iam resources: an operation over any entity type acts on the Arn it names', () => {
  assert.deepEqual(resolve('iam', 'GenerateServiceLastAccessedDetails', { Arn: alice.arn }), [['iam:GenerateServiceLastAccessedDetails', [alice.arn]]]);
});

test('iam resources: CreateRole carries iam:PermissionsBoundary and the request tags', () => {
  const ctx = context('iam', 'CreateRole', { RoleName: 'r', AssumeRolePolicyDocument: '{}', PermissionsBoundary: 'arn:aws:iam::aws:policy/PB', Tags: [{ Key: 'team', Value: 'a' }] });
  assert.equal(ctx['iam:PermissionsBoundary'], 'arn:aws:iam::aws:policy/PB');
  assert.equal(ctx['aws:RequestTag/team'], 'a');
  assert.deepEqual(ctx['aws:TagKeys'], ['team']);
});

// --- STS -------------------------------------------------------------------------------------

test('sts resources: AssumeRole acts on RoleArn and carries sts:RoleSessionName', () => {
  const role = `arn:aws:iam::${ACCT}:role/plain`;
  assert.deepEqual(resolve('sts', 'AssumeRole', { RoleArn: role, RoleSessionName: 's1' }), [['sts:AssumeRole', [role]]]);
  const ctx = context('sts', 'AssumeRole', { RoleArn: role, RoleSessionName: 's1', ExternalId: 'x' });
  assert.equal(ctx['sts:RoleSessionName'], 's1');
  assert.equal(ctx['sts:ExternalId'], 'x');
});

test('sts resources: sts:DurationSeconds is not set for AssumeRole (the data lists it only for bearer tokens)', () => {
  const ctx = context('sts', 'AssumeRole', { RoleArn: `arn:aws:iam::${ACCT}:role/plain`, RoleSessionName: 's', DurationSeconds: 900 });
  assert.equal(ctx['sts:DurationSeconds'], undefined);
});

test('sts resources: GetCallerIdentity and GetSessionToken act on *', () => {
  assert.deepEqual(resolve('sts', 'GetCallerIdentity', {}), [['sts:GetCallerIdentity', ['*']]]);
  assert.deepEqual(resolve('sts', 'GetSessionToken', {}), [['sts:GetSessionToken', ['*']]]);
});

// --- Context keys ----------------------------------------------------------------------------

test('context: every request carries aws:SourceIp, aws:SecureTransport and aws:RequestedRegion', () => {
  const ctx = context('lambda', 'Invoke', { FunctionName: 'b' });
  assert.equal(ctx['aws:SourceIp'], '10.1.2.3');
  assert.equal(ctx['aws:SecureTransport'], 'false');
  assert.equal(ctx['aws:RequestedRegion'], 'us-east-1');
});

test('context: AddPermission carries lambda:Principal and lambda:FunctionUrlAuthType', () => {
  const ctx = context('lambda', 'AddPermission', { FunctionName: 'b', StatementId: 's', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', FunctionUrlAuthType: 'NONE' });
  assert.equal(ctx['lambda:Principal'], 's3.amazonaws.com');
  assert.equal(ctx['lambda:FunctionUrlAuthType'], 'NONE');
});

test('context: CreateFunction carries lambda:Layer and the request tags (Lambda\'s map form)', () => {
  const layers = [`arn:aws:lambda:us-east-1:${ACCT}:layer:deps:1`];
  const ctx = context('lambda', 'CreateFunction', { FunctionName: 'n', Role: 'r', Layers: layers, Tags: { team: 'a', env: 'dev' }, VpcConfig: { SubnetIds: ['s-1'] } });
  assert.deepEqual(ctx['lambda:Layer'], layers);
  assert.equal(ctx['aws:RequestTag/env'], 'dev');
  assert.deepEqual(ctx['aws:TagKeys'], ['team', 'env']);
  assert.deepEqual(ctx['lambda:SubnetIds'], ['s-1']);
});

test('context: UpdateFunctionConfiguration carries lambda:Layer', () => {
  const layers = [`arn:aws:lambda:us-east-1:${ACCT}:layer:deps:2`];
  assert.deepEqual(context('lambda', 'UpdateFunctionConfiguration', { FunctionName: 'n', Layers: layers })['lambda:Layer'], layers);
});

test('context: CreateEventSourceMapping carries lambda:FunctionArn of the target function', () => {
  assert.equal(context('lambda', 'CreateEventSourceMapping', { FunctionName: 'b:live', EventSourceArn: 'arn:aws:sqs:us-east-1:1:q' })['lambda:FunctionArn'], `${FN}:b:live`);
});

test('context: Get/DeleteEventSourceMapping carry lambda:FunctionArn looked up by UUID', () => {
  assert.equal(context('lambda', 'GetEventSourceMapping', { UUID: 'esm-1' })['lambda:FunctionArn'], `${FN}:target`);
  assert.equal(context('lambda', 'DeleteEventSourceMapping', { UUID: 'esm-1' })['lambda:FunctionArn'], `${FN}:target`);
});

test('context: function URL operations carry lambda:FunctionUrlAuthType and lambda:FunctionArn', () => {
  const ctx = context('lambda', 'CreateFunctionUrlConfig', { FunctionName: 'b', AuthType: 'AWS_IAM' });
  assert.equal(ctx['lambda:FunctionUrlAuthType'], 'AWS_IAM');
  assert.equal(ctx['lambda:FunctionArn'], `${FN}:b`);
});

test('context: keys the data does not list for the action are left out (no lambda:Principal on Invoke)', () => {
  const ctx = context('lambda', 'Invoke', { FunctionName: 'b', Principal: 'x' });
  assert.equal(ctx['lambda:Principal'], undefined);
  assert.equal(ctx['aws:TagKeys'], undefined);
});

test('context: UntagResource carries aws:TagKeys from TagKeys', () => {
  assert.deepEqual(context('lambda', 'UntagResource', { Resource: `${FN}:b`, TagKeys: ['a', 'b'] })['aws:TagKeys'], ['a', 'b']);
});

test('context: TLS connections carry aws:SecureTransport true', () => {
  const [a] = resolver.actions('lambda', 'Invoke')!.actions;
  assert.equal(resolver.context(a!, {}, alice, { sourceIp: '::1', secureTransport: true })['aws:SecureTransport'], 'true');
});
