import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';

let h: Harness;
let version: string;
before(async () => {
  h = await startHarness();
  await createFunction(h.client, 'eic');
  await createFunction(h.client, 'eic-target');
  version = await publishVersion(h.client, 'eic');
  await createAlias(h.client, 'eic', 'eventinvokealias', version);
});
after(async () => { await h.stop(); });

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const put = (input: Partial<PutFunctionEventInvokeConfigCommandInput>) =>
  h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'eic', ...input }));
const update = (input: Partial<PutFunctionEventInvokeConfigCommandInput>) =>
  h.client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'eic', ...input }));
const get = (FunctionName: string, Qualifier?: string) => h.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName, Qualifier }));
const del = (FunctionName: string, Qualifier?: string) => h.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName, Qualifier }));
// Texts recorded from AWS (TestLambdaEventInvokeConfig).
const NO_FUNCTION = "The function doesn't exist.";
const noConfig = (arn: string) => `The function ${arn} doesn't have an EventInvokeConfig`;
const MISMATCH = 'The derived qualifier from the function name does not match the specified qualifier.';

test('put-function-event-invoke-config: replaces the whole config; get returns it with both destination members', async () => {
  const before = Date.now();
  const r = await put({ MaximumRetryAttempts: 0 });
  assert.equal(r.$metadata.httpStatusCode, 200);
  assert.equal(r.FunctionArn, `${FN}eic:$LATEST`);
  assert.equal(r.MaximumRetryAttempts, 0);
  assert.equal(r.MaximumEventAgeInSeconds, undefined);
  assert.deepEqual(r.DestinationConfig, { OnSuccess: {}, OnFailure: {} });
  assert.ok(r.LastModified instanceof Date);
  assert.ok(Math.abs(r.LastModified.getTime() - before) < 5_000);
  const age = await put({ MaximumEventAgeInSeconds: 60 });
  assert.equal(age.MaximumRetryAttempts, undefined, 'put does not keep the previous retry setting');
  assert.equal(age.MaximumEventAgeInSeconds, 60);
  const max = await put({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
  assert.deepEqual([max.MaximumRetryAttempts, max.MaximumEventAgeInSeconds], [2, 21600]);
  const got = await get('eic');
  assert.deepEqual([got.FunctionArn, got.MaximumRetryAttempts, got.MaximumEventAgeInSeconds], [`${FN}eic:$LATEST`, 2, 21600]);
  assert.deepEqual((await get('eic', '$LATEST')).FunctionArn, `${FN}eic:$LATEST`);
});

test('update-function-event-invoke-config: merges into the existing config', async () => {
  await put({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
  const u = await update({ MaximumRetryAttempts: 0 });
  assert.deepEqual([u.MaximumRetryAttempts, u.MaximumEventAgeInSeconds], [0, 60]);
  const d = await update({ DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dlq' } } });
  assert.deepEqual(d.DestinationConfig, { OnSuccess: {}, OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dlq' } });
  assert.equal(d.MaximumEventAgeInSeconds, 60);
  const s = await update({ DestinationConfig: { OnSuccess: { Destination: `${FN}eic-target` } } });
  assert.deepEqual(s.DestinationConfig, { OnSuccess: { Destination: `${FN}eic-target` }, OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dlq' } });
  const got = await get('eic');
  assert.deepEqual(got.DestinationConfig, s.DestinationConfig);
  await expectError(update({ FunctionName: 'doesnotexist', MaximumRetryAttempts: 0 }), 'ResourceNotFoundException', 404, NO_FUNCTION);
  await expectError(update({ FunctionName: `${FN}eic:eventinvokealias`, MaximumRetryAttempts: 0 }), 'ResourceNotFoundException', 404, noConfig(`${FN}eic:eventinvokealias`));
  await expectError(update({}), 'InvalidParameterValueException', 400, 'You must specify at least one of error handling or destination setting.');
});

test('put-function-event-invoke-config: destination checks with AWS\'s texts', async () => {
  await expectError(put({ DestinationConfig: { OnSuccess: { Destination: `${FN}doesnotexist` } } }), 'InvalidParameterValueException', 400,
    `The destination ARN ${FN}doesnotexist is invalid.`);
  await expectError(put({ DestinationConfig: { OnSuccess: { Destination: `${FN}eic` } } }), 'InvalidParameterValueException', 400,
    "You can't specify the function as a destination for itself.");
  const iam = `arn:aws:iam:us-east-1:000000000000:function:eic`;
  await expectError(put({ DestinationConfig: { OnSuccess: { Destination: iam } } }), 'InvalidParameterValueException', 400,
    `The provided destination config DestinationConfig(onSuccess=OnSuccess(destination=${iam}), onFailure=null) is invalid.`);
  const bad = `arn:aws:_-/!lambda:us-east-1:000000000000:function:eic`;
  await expectError(put({ DestinationConfig: { OnFailure: { Destination: bad } } }), 'ValidationException', 400,
    `1 validation error detected: Value '${bad}' at 'destinationConfig.onFailure.destination' failed to satisfy constraint: Member must satisfy regular expression pattern: $|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)`);
  const other = await put({ DestinationConfig: { OnSuccess: { Destination: `${FN}eic-target` } } });
  assert.deepEqual(other.DestinationConfig, { OnFailure: {}, OnSuccess: { Destination: `${FN}eic-target` } });
  for (const d of [{ OnSuccess: {} }, { OnFailure: {} }]) {
    assert.deepEqual((await put({ DestinationConfig: d })).DestinationConfig, { OnSuccess: {}, OnFailure: {} });
  }
  const queues = await put({ DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sns:us-east-1:000000000000:topic' }, OnFailure: { Destination: 'arn:aws:events:us-east-1:000000000000:event-bus/default' } } });
  assert.equal(queues.DestinationConfig?.OnFailure?.Destination, 'arn:aws:events:us-east-1:000000000000:event-bus/default');
});

test('put-function-event-invoke-config: AWS\'s errors for missing settings, functions and qualifiers, and out-of-range values', async () => {
  await expectError(put({ FunctionName: 'doesnotexist' }), 'InvalidParameterValueException', 400, 'You must specify at least one of error handling or destination setting.');
  await expectError(put({ FunctionName: 'doesnotexist', MaximumRetryAttempts: 1 }), 'ResourceNotFoundException', 404, NO_FUNCTION);
  await expectError(put({ FunctionName: `${FN}doesnotexist`, MaximumRetryAttempts: 1 }), 'ResourceNotFoundException', 404, NO_FUNCTION);
  await expectError(put({ Qualifier: 'eventinvokealiasdoesnotexist', MaximumRetryAttempts: 1 }), 'ResourceNotFoundException', 404, NO_FUNCTION);
  await expectError(put({ FunctionName: `${FN}eic:eventinvokealias`, Qualifier: 'eventinvokealiasdoesnotexist', MaximumRetryAttempts: 1 }), 'InvalidParameterValueException', 400, MISMATCH);
  await expectError(put({ FunctionName: `eic:${version}`, Qualifier: '$LATEST', MaximumRetryAttempts: 1 }), 'InvalidParameterValueException', 400, MISMATCH);
  await expectError(put({ FunctionName: 'eic:$LATEST', Qualifier: version, MaximumRetryAttempts: 1 }), 'InvalidParameterValueException', 400, MISMATCH);
  await expectError(put({ MaximumRetryAttempts: 3 }), 'ValidationException', 400,
    "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2");
  await expectError(put({ MaximumEventAgeInSeconds: 59 }), 'ValidationException', 400,
    "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60");
  await expectError(put({ MaximumEventAgeInSeconds: 21601 }), 'ValidationException', 400,
    "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600");
});

test('event-invoke-configs: per qualifier (name, ARN and shorthand forms), listed, paginated and deleted', async () => {
  await put({ MaximumRetryAttempts: 1 });
  const onVersion = await put({ Qualifier: version, MaximumRetryAttempts: 1 });
  assert.equal(onVersion.FunctionArn, `${FN}eic:${version}`);
  for (const input of [
    { Qualifier: 'eventinvokealias' },
    { FunctionName: `${FN}eic:eventinvokealias` },
    { FunctionName: `${FN}eic:eventinvokealias`, Qualifier: 'eventinvokealias' },
    { FunctionName: 'eic:eventinvokealias' },
  ]) {
    assert.equal((await put({ ...input, MaximumRetryAttempts: 1 })).FunctionArn, `${FN}eic:eventinvokealias`);
  }
  assert.equal((await put({ FunctionName: `eic:${version}`, MaximumRetryAttempts: 1 })).FunctionArn, `${FN}eic:${version}`);
  assert.equal((await put({ FunctionName: 'eic:$LATEST', Qualifier: '$LATEST', MaximumRetryAttempts: 1 })).FunctionArn, `${FN}eic:$LATEST`);
  const list = await h.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'eic' }));
  assert.deepEqual(list.FunctionEventInvokeConfigs!.map((c) => c.FunctionArn).sort(), [`${FN}eic:$LATEST`, `${FN}eic:${version}`, `${FN}eic:eventinvokealias`].sort());
  const p1 = await h.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'eic', MaxItems: 2 }));
  assert.equal(p1.FunctionEventInvokeConfigs!.length, 2);
  assert.ok(p1.NextMarker);
  const p2 = await h.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'eic', MaxItems: 2, Marker: p1.NextMarker }));
  assert.equal(p2.FunctionEventInvokeConfigs!.length, 1);
  assert.equal(p2.NextMarker, undefined);
  assert.deepEqual([...p1.FunctionEventInvokeConfigs!, ...p2.FunctionEventInvokeConfigs!].map((c) => c.FunctionArn), list.FunctionEventInvokeConfigs!.map((c) => c.FunctionArn));
  for (const q of ['$LATEST', version, 'eventinvokealias']) assert.equal((await del('eic', q)).$metadata.httpStatusCode, 204);
  const empty = await h.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'eic' }));
  assert.deepEqual(empty.FunctionEventInvokeConfigs, []);
  await expectError(del('eic'), 'ResourceNotFoundException', 404, noConfig(`${FN}eic:$LATEST`));
  await expectError(del('doesnotexist'), 'ResourceNotFoundException', 404, noConfig(`${FN}doesnotexist:$LATEST`));
  await expectError(h.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'doesnotexist' })), 'ResourceNotFoundException', 404, NO_FUNCTION);
  await expectError(get('doesnotexist'), 'ResourceNotFoundException', 404, noConfig(`${FN}doesnotexist:$LATEST`));
  await expectError(get('eic', 'doesnotexist'), 'ResourceNotFoundException', 404, noConfig(`${FN}eic:doesnotexist`));
  await expectError(get('eic', '1221'), 'ResourceNotFoundException', 404, noConfig(`${FN}eic:1221`));
  await expectError(get(`${FN}eic:eventinvokealias`), 'ResourceNotFoundException', 404, noConfig(`${FN}eic:eventinvokealias`));
});

test('event-invoke-configs: deleting the function deletes its configs', async () => {
  await createFunction(h.client, 'eic-del');
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'eic-del', MaximumRetryAttempts: 0 }));
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'eic-del' }));
  await createFunction(h.client, 'eic-del');
  await expectError(get('eic-del'), 'ResourceNotFoundException', 404, noConfig(`${FN}eic-del:$LATEST`));
});
