import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';

let h: Harness;
const LIMIT = 1000;
before(async () => { h = await startHarness({ concurrencyLimit: LIMIT }); });
after(async () => { await h.stop(); });

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const putReserved = (FunctionName: string, ReservedConcurrentExecutions: number) =>
  h.client.send(new PutFunctionConcurrencyCommand({ FunctionName, ReservedConcurrentExecutions }));
const putPc = (FunctionName: string, Qualifier: string, ProvisionedConcurrentExecutions: number) =>
  h.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier, ProvisionedConcurrentExecutions }));
const getPc = (FunctionName: string, Qualifier: string) => h.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier }));
const deletePc = (FunctionName: string, Qualifier: string) => h.client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName, Qualifier }));
const unreserved = async () => (await h.client.send(new GetAccountSettingsCommand({}))).AccountLimit!.UnreservedConcurrentExecutions!;
// Texts recorded from AWS (TestLambdaReservedConcurrency, TestLambdaProvisionedConcurrency).
const BELOW_MIN_RESERVED = "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].";
const BELOW_MIN_PROVISIONED = "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].";
const NO_CONFIG = 'No Provisioned Concurrency Config found for this function';
const PUBLISHED_ONLY = 'The function resource provided must be an alias or a published version.';

test('put-function-concurrency: sets, reads and deletes reserved concurrency; the account pool follows', async () => {
  await createFunction(h.client, 'cc-basic');
  const zero = await putReserved('cc-basic', 0);
  assert.equal(zero.$metadata.httpStatusCode, 200);
  assert.equal(zero.ReservedConcurrentExecutions, 0);
  assert.equal((await putReserved('cc-basic', 1)).ReservedConcurrentExecutions, 1);
  const got = await h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'cc-basic' }));
  assert.equal(got.ReservedConcurrentExecutions, 1);
  assert.equal(await unreserved(), LIMIT - 1);
  const del = await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'cc-basic' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const after = await h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: `${FN}cc-basic` }));
  assert.equal(after.$metadata.httpStatusCode, 200);
  assert.equal(after.ReservedConcurrentExecutions, undefined);
  assert.equal(await unreserved(), LIMIT);
  // The maximum keeps exactly 100 unreserved.
  assert.equal((await putReserved('cc-basic', LIMIT - 100)).ReservedConcurrentExecutions, LIMIT - 100);
  assert.equal(await unreserved(), 100);
  // Replacing a reservation does not count the old one twice.
  assert.equal((await putReserved('cc-basic', LIMIT - 100)).ReservedConcurrentExecutions, LIMIT - 100);
  await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'cc-basic' }));
});

test('put-function-concurrency: keeps 100 unreserved; AWS\'s texts for missing and qualified functions', async () => {
  await createFunction(h.client, 'cc-exc');
  await expectError(putReserved('cc-exc', LIMIT + 1), 'InvalidParameterValueException', 400, BELOW_MIN_RESERVED);
  await expectError(putReserved('cc-exc', LIMIT), 'InvalidParameterValueException', 400, BELOW_MIN_RESERVED);
  await expectError(putReserved('cc-exc', LIMIT - 99), 'InvalidParameterValueException', 400, BELOW_MIN_RESERVED);
  await expectError(putReserved('doesnotexist', 1), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist:$LATEST`);
  await expectError(putReserved('doesnotexist', 0), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist:$LATEST`);
  await expectError(putReserved(`${FN}cc-exc:$LATEST`, 0), 'InvalidParameterValueException', 400,
    'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.');
  await expectError(putReserved('cc-exc', -1), 'ValidationException', 400,
    "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0");
  await expectError(h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'doesnotexist' })), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist`);
  await expectError(h.client.send(new GetFunctionConcurrencyCommand({ FunctionName: `${FN.replace('us-east-1', 'eu-west-1')}cc-exc` })), 'ResourceNotFoundException', 404,
    "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
  await expectError(h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'doesnotexist' })), 'ResourceNotFoundException', 404);
});

test('provisioned-concurrency: AWS\'s errors for $LATEST, missing functions, versions, aliases and configs', async () => {
  await createFunction(h.client, 'pc-exc');
  const v = await publishVersion(h.client, 'pc-exc');
  await expectError(getPc('pc-exc', v), 'ProvisionedConcurrencyConfigNotFoundException', 404, NO_CONFIG);
  await expectError(getPc('doesnotexist', 'noalias'), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}doesnotexist:noalias`);
  await expectError(getPc('pc-exc', 'noalias'), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pc-exc:noalias`);
  await expectError(getPc('pc-exc', '10'), 'ResourceNotFoundException', 404, `Function not found: ${FN}pc-exc:10`);
  await expectError(getPc('pc-exc', '$LATEST'), 'InvalidParameterValueException', 400, PUBLISHED_ONLY);
  const empty = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-exc' }));
  assert.deepEqual(empty.ProvisionedConcurrencyConfigs, []);
  await expectError(h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'doesnotexist' })), 'ResourceNotFoundException', 404,
    `Function not found: ${FN}doesnotexist`);
  await expectError(deletePc('doesnotexist', v), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist:${v}`);
  await expectError(deletePc('pc-exc', 'noalias'), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pc-exc:noalias`);
  await expectError(deletePc('pc-exc', '10'), 'ResourceNotFoundException', 404, `Function not found: ${FN}pc-exc:10`);
  await expectError(deletePc('pc-exc', '$LATEST'), 'InvalidParameterValueException', 400, PUBLISHED_ONLY);
  assert.equal((await deletePc('pc-exc', v)).$metadata.httpStatusCode, 204, 'deleting a config that does not exist succeeds');
  await expectError(putPc('pc-exc', v, 0), 'ValidationException', 400,
    "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1");
  await expectError(putPc('doesnotexist', 'noalias', 1), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}doesnotexist:noalias`);
  await expectError(putPc('doesnotexist', '1', 1), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist:1`);
  await expectError(putPc('pc-exc', 'doesnotexist', 1), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pc-exc:doesnotexist`);
  await expectError(putPc('pc-exc', '10', 1), 'ResourceNotFoundException', 404, `Function not found: ${FN}pc-exc:10`);
  await expectError(putPc('pc-exc', '$LATEST', 1), 'InvalidParameterValueException', 400,
    'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
  await expectError(putPc(`pc-exc:${v}`, '$LATEST', 1), 'InvalidParameterValueException', 400,
    'The derived qualifier from the function name does not match the specified qualifier.');
});

test('provisioned-concurrency: lifecycle on a version and an alias, with AWS\'s conflicts', async () => {
  await createFunction(h.client, 'pc-life');
  const v = await publishVersion(h.client, 'pc-life');
  await createAlias(h.client, 'pc-life', 'live', v);
  const base = await unreserved();
  const put = await putPc('pc-life', v, 1);
  assert.equal(put.$metadata.httpStatusCode, 202);
  assert.equal(put.Status, 'IN_PROGRESS');
  assert.equal(put.RequestedProvisionedConcurrentExecutions, 1);
  assert.equal(put.AllocatedProvisionedConcurrentExecutions, 0);
  assert.equal(put.AvailableProvisionedConcurrentExecutions, 0);
  assert.match(put.LastModified!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  await expectError(putPc('pc-life', 'live', 1), 'ResourceConflictException', 409,
    "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version");
  // The invoke side reports environments as they come up.
  h.app.provisionedConcurrency.markProvisionedAllocated('pc-life', v, 1, 'READY');
  const ready = await getPc('pc-life', v);
  assert.equal(ready.Status, 'READY');
  assert.equal(ready.AllocatedProvisionedConcurrentExecutions, 1);
  assert.equal(ready.AvailableProvisionedConcurrentExecutions, 1);
  assert.equal(await unreserved(), base - 1, 'provisioned concurrency comes out of the unreserved pool');
  assert.equal((await deletePc('pc-life', v)).$metadata.httpStatusCode, 204);
  await expectError(getPc('pc-life', v), 'ProvisionedConcurrencyConfigNotFoundException', 404, NO_CONFIG);
  assert.equal(await unreserved(), base);
  const onAlias = await putPc('pc-life', 'live', 1);
  assert.equal(onAlias.Status, 'IN_PROGRESS');
  await expectError(putPc('pc-life', v, 1), 'ResourceConflictException', 409, 'Version is pointed by a Provisioned Concurrency alias');
  const list = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-life' }));
  assert.deepEqual(list.ProvisionedConcurrencyConfigs!.map((c) => [c.FunctionArn, c.RequestedProvisionedConcurrentExecutions, c.Status]), [[`${FN}pc-life:live`, 1, 'IN_PROGRESS']]);
  h.app.provisionedConcurrency.markProvisionedAllocated('pc-life', 'live', 0, 'FAILED', 'FUNCTION_ERROR_INIT_FAILURE');
  const failed = await getPc('pc-life', 'live');
  assert.equal(failed.Status, 'FAILED');
  assert.equal(failed.StatusReason, 'FUNCTION_ERROR_INIT_FAILURE');
  // Deleting the alias also deletes the config on it.
  await h.client.send(new DeleteAliasCommand({ FunctionName: 'pc-life', Name: 'live' }));
  await expectError(getPc('pc-life', 'live'), 'ResourceNotFoundException', 404, `Cannot find alias arn: ${FN}pc-life:live`);
  const after = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-life' }));
  assert.deepEqual(after.ProvisionedConcurrencyConfigs, []);
  assert.equal(await unreserved(), base);
});

test('provisioned-concurrency: account limits and reserved concurrency bound what can be provisioned', async () => {
  await createFunction(h.client, 'pc-limits');
  const v1 = await publishVersion(h.client, 'pc-limits');
  const v2 = await publishVersion(h.client, 'pc-limits');
  await expectError(putPc('pc-limits', v1, LIMIT + 1), 'InvalidParameterValueException', 400,
    `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${LIMIT}].`);
  await expectError(putPc('pc-limits', v1, LIMIT), 'InvalidParameterValueException', 400, BELOW_MIN_PROVISIONED);
  await putPc('pc-limits', v1, 3);
  assert.equal(await unreserved(), LIMIT - 3);
  // Reserved concurrency may not drop below what is provisioned.
  await expectError(putReserved('pc-limits', 2), 'InvalidParameterValueException', 400,
    " ReservedConcurrentExecutions  2 should not be lower than function's total provisioned concurrency [3].");
  await putReserved('pc-limits', 5);
  assert.equal(await unreserved(), LIMIT - 5, 'with a reservation, provisioned executions come out of it');
  await expectError(putPc('pc-limits', v2, 3), 'InvalidParameterValueException', 400,
    'Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function');
  const ok = await putPc('pc-limits', v2, 2);
  assert.equal(ok.RequestedProvisionedConcurrentExecutions, 2);
  // Replacing a config counts its new value only.
  await putPc('pc-limits', v1, 2);
  const page1 = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-limits', MaxItems: 1 }));
  assert.equal(page1.ProvisionedConcurrencyConfigs!.length, 1);
  assert.ok(page1.NextMarker);
  const page2 = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-limits', MaxItems: 1, Marker: page1.NextMarker }));
  assert.deepEqual([...page1.ProvisionedConcurrencyConfigs!, ...page2.ProvisionedConcurrencyConfigs!].map((c) => [c.FunctionArn, c.RequestedProvisionedConcurrentExecutions]),
    [[`${FN}pc-limits:${v1}`, 2], [`${FN}pc-limits:${v2}`, 2]]);
  assert.equal(page2.NextMarker, undefined);
});

test('provisioned-concurrency: deleting the function or the version releases its configs', async () => {
  await createFunction(h.client, 'pc-del');
  const v1 = await publishVersion(h.client, 'pc-del');
  const v2 = await publishVersion(h.client, 'pc-del');
  const base = await unreserved();
  await putPc('pc-del', v1, 4);
  await putPc('pc-del', v2, 6);
  assert.equal(await unreserved(), base - 10);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'pc-del', Qualifier: v1 }));
  assert.equal(await unreserved(), base - 6);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'pc-del' }));
  assert.equal(await unreserved(), base);
  await createFunction(h.client, 'pc-del');
  const list = await h.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: 'pc-del' }));
  assert.deepEqual(list.ProvisionedConcurrencyConfigs, []);
});
