import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  GetFunctionRecursionConfigCommand,
  GetRuntimeManagementConfigCommand,
  PutFunctionRecursionConfigCommand,
  PutRuntimeManagementConfigCommand,
  UpdateFunctionConfigurationCommand,
  type RecursiveLoop,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createFunction, waitSettled } from '../helpers/functions.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  await createFunction(h.client, 'settings-fn');
});
after(async () => { await h.stop(); });

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';

test('recursion config: Terminate by default, Put stores Allow, a bad value gets the recorded ValidationException', async () => {
  const initial = await h.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'settings-fn' }));
  assert.equal(initial.RecursiveLoop, 'Terminate');
  const put = await h.client.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'settings-fn', RecursiveLoop: 'Allow' }));
  assert.equal(put.RecursiveLoop, 'Allow');
  assert.equal((await h.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'settings-fn' }))).RecursiveLoop, 'Allow');
  await expectError(h.client.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'settings-fn', RecursiveLoop: 'InvalidValue' as RecursiveLoop })),
    'ValidationException', 400,
    "1 validation error detected: Value 'InvalidValue' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Terminate, Allow]");
  await expectError(h.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, `Function not found: ${FN}nope`);
});

test('runtime management config: Auto by default; FunctionUpdate and Manual (pinned to Flint\'s one build) stored', async () => {
  const initial = await h.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'settings-fn' }));
  assert.deepEqual([initial.UpdateRuntimeOn, initial.FunctionArn, initial.RuntimeVersionArn], ['Auto', `${FN}settings-fn`, undefined]);
  const fu = await h.client.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'settings-fn', UpdateRuntimeOn: 'FunctionUpdate' }));
  assert.equal(fu.UpdateRuntimeOn, 'FunctionUpdate');
  assert.equal((await h.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'settings-fn' }))).UpdateRuntimeOn, 'FunctionUpdate');

  const own = (await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'settings-fn' }))).RuntimeVersionConfig!.RuntimeVersionArn!;
  const manual = await h.client.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'settings-fn', UpdateRuntimeOn: 'Manual', RuntimeVersionArn: own }));
  assert.deepEqual([manual.UpdateRuntimeOn, manual.RuntimeVersionArn], ['Manual', own]);
  const got = await h.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'settings-fn' }));
  assert.deepEqual([got.UpdateRuntimeOn, got.RuntimeVersionArn], ['Manual', own]);

  await expectError(h.client.send(new PutRuntimeManagementConfigCommand({ FunctionName: 'settings-fn', UpdateRuntimeOn: 'Manual' })),
    'InvalidParameterValueException', 400, 'RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.');
  await expectError(h.client.send(new PutRuntimeManagementConfigCommand({
    FunctionName: 'settings-fn', UpdateRuntimeOn: 'Manual', RuntimeVersionArn: 'arn:aws:lambda:us-east-1::runtime:0000000000000000000000000000000000000000000000000000000000000000',
  })), 'InvalidParameterValueException', 400, /Flint runs one build of each runtime/);
  await expectError(h.client.send(new GetRuntimeManagementConfigCommand({ FunctionName: 'settings-fn', Qualifier: '7' })), 'ResourceNotFoundException', 404);
});

test('VpcConfig: ids validated with AWS\'s ValidationException texts, stored and returned with a VpcId', async () => {
  await createFunction(h.client, 'vpc-fn', { VpcConfig: { SubnetIds: ['subnet-0a1b2c'], SecurityGroupIds: ['sg-0A1b'] } });
  const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'vpc-fn' }));
  assert.deepEqual(c.VpcConfig?.SubnetIds, ['subnet-0a1b2c']);
  assert.deepEqual(c.VpcConfig?.SecurityGroupIds, ['sg-0A1b']);
  assert.match(c.VpcConfig!.VpcId!, /^vpc-[0-9a-f]{17}$/);
  assert.equal(c.VpcConfig?.Ipv6AllowedForDualStack, false);

  await expectError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'vpc-fn', VpcConfig: { SubnetIds: ['subnet-BAD!'] } })),
    'ValidationException', 400,
    "1 validation error detected: Value '[subnet-BAD!]' at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: subnet-[0-9a-z]*]");
  await expectError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'vpc-fn', VpcConfig: { SecurityGroupIds: ['group-1'] } })),
    'ValidationException', 400,
    "1 validation error detected: Value '[group-1]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: sg-[0-9a-zA-Z]*]");

  // Empty lists take the function out of the VPC: AWS reports an empty VpcId.
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'vpc-fn', VpcConfig: { SubnetIds: [], SecurityGroupIds: [] } }));
  const out = await waitSettled(h.client, 'vpc-fn');
  assert.deepEqual(out.VpcConfig, { SubnetIds: [], SecurityGroupIds: [], VpcId: '', Ipv6AllowedForDualStack: false });
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'vpc-fn' }));
});

test('validation texts carry today\'s AWS patterns: (eusc-)? in function names, 2048 for layer ARNs', async () => {
  await expectError(h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123400000000@function:myfn' })),
    'ValidationException', 400,
    "1 validation error detected: Value 'arn:aws:lambda:us-east-1:123400000000@function:myfn' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?");
  const badLayer = 'arn:aws:lambda:us-east-1:000000000000:layer:x';
  await expectError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'settings-fn', Layers: [badLayer] })),
    'ValidationException', 400,
    `1 validation error detected: Value '[${badLayer}]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]`);
});
