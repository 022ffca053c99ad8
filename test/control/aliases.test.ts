import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  ListAliasesCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';
import { waitSettled } from '../helpers/functions.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const FN = 'alias-fn';

let h: Harness;
before(async () => {
  h = await startHarness();
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  await h.client.send(
    new CreateFunctionCommand({ FunctionName: FN, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { testenv: 'staging' } } }),
  );
  await settled();
  await h.client.send(new PublishVersionCommand({ FunctionName: FN }));
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: FN, Environment: { Variables: { testenv: 'prod' } } }));
  await settled();
  await h.client.send(new PublishVersionCommand({ FunctionName: FN }));
});
after(async () => { await h.stop(); });

const settled = () => waitSettled(h.client, FN);

const createAlias = (Name: string, FunctionVersion: string, weights?: Record<string, number>, FunctionName = FN) =>
  h.client.send(new CreateAliasCommand({ FunctionName, Name, FunctionVersion, ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}) }));

test('create-alias: answers 201 with the alias configuration; GetFunction through the alias shows its ARN and target version', async () => {
  const a = await createAlias('live', '1', undefined);
  assert.equal(a.$metadata.httpStatusCode, 201);
  assert.equal(a.AliasArn, `${ARN}:${FN}:live`);
  assert.deepEqual([a.Name, a.FunctionVersion, a.Description, a.RoutingConfig], ['live', '1', '', undefined]);
  assert.match(a.RevisionId ?? '', /^[0-9a-f-]{36}$/);
  const got = await h.client.send(new GetAliasCommand({ FunctionName: FN, Name: 'live' }));
  assert.equal(got.RevisionId, a.RevisionId);
  for (const [FunctionName, Qualifier] of [[FN, 'live'], [`${ARN}:${FN}:live`, undefined]] as const) {
    const fn = await h.client.send(new GetFunctionCommand({ FunctionName, Qualifier }));
    assert.equal(fn.Configuration?.FunctionArn, `${ARN}:${FN}:live`);
    assert.equal(fn.Configuration?.Version, '1');
    assert.deepEqual(fn.Configuration?.Environment, { Variables: { testenv: 'staging' } });
  }
  await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: FN, Qualifier: 'aliasdoesnotexist' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:${FN}:aliasdoesnotexist`,
  });
});

test('create-alias: routing configuration follows Lambda’s rules and wording', async () => {
  const ipve = (message: string) => ({ name: 'InvalidParameterValueException', status: 400, message });
  const notFound = (v: string, fn = FN) => ({ name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${ARN}:${fn}:${v}` });
  const weightRange = (v: string) => ({
    name: 'ValidationException',
    status: 400,
    message: `1 validation error detected: Value '{2=${v}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]`,
  });
  await expectAwsError(createAlias('custom', '1', { '1': 0.8, '2': 0.2 }), ipve('Number of items in AdditionalVersionWeights cannot be greater than 1'));
  await expectAwsError(createAlias('custom', '1', { '2': 2 }), weightRange('2.0'));
  await expectAwsError(createAlias('custom', '1', { '2': -1 }), weightRange('-1.0'));
  await expectAwsError(createAlias('custom', '1', { '1': 0.5 }), ipve('Invalid function version 1. Function version 1 is already included in routing configuration.'));
  await expectAwsError(createAlias('custom', '10', { '2': 0.5 }), notFound('10'));
  await expectAwsError(createAlias('custom', '1', { '10': 0.5 }), notFound('10'));
  await expectAwsError(createAlias('custom', '$LATEST', { '1': 0.5 }), ipve('$LATEST is not supported for an alias pointing to more than 1 version'));
  await expectAwsError(createAlias('custom', '1', { $LATEST: 0.5 }), {
    name: 'ValidationException',
    status: 400,
    message:
      "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
  });
  await expectAwsError(createAlias('custom', '1', { '2': 0.5 }, `${FN}-unknown`), notFound('1', `${FN}-unknown`));

  const latest = await createAlias('custom-latest', '$LATEST');
  assert.equal(latest.FunctionVersion, '$LATEST');
  const empty = await createAlias('custom-empty', '1', {});
  assert.equal(empty.RoutingConfig, undefined, 'an empty routing configuration is dropped');
  const split = await createAlias('custom', '1', { '2': 0.5 });
  assert.deepEqual(split.RoutingConfig, { AdditionalVersionWeights: { '2': 0.5 } });
  await expectAwsError(createAlias('custom', '1', { '2': 0.5 }), {
    name: 'ResourceConflictException',
    status: 409,
    message: `Alias already exists: ${ARN}:${FN}:custom`,
  });
});

test('create-alias: an all-digit name fails the model pattern; dates and dashes are fine', async () => {
  await expectAwsError(createAlias('2024', '1'), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
  });
  const dated = await createAlias('2024-01-02', '1');
  assert.equal(dated.AliasArn, `${ARN}:${FN}:2024-01-02`);
});

test('get/update/delete-alias: missing aliases get Lambda’s three different answers', async () => {
  await expectAwsError(h.client.send(new GetAliasCommand({ FunctionName: FN, Name: 'non-existent' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Cannot find alias arn: ${ARN}:${FN}:non-existent`,
  });
  await expectAwsError(h.client.send(new UpdateAliasCommand({ FunctionName: FN, Name: 'non-existent', Description: 'x' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Alias not found: ${ARN}:${FN}:non-existent`,
  });
  const del = await h.client.send(new DeleteAliasCommand({ FunctionName: FN, Name: 'non-existent' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
});

test('update-alias: changes version, description and routing with a new RevisionId; a stale RevisionId is a 412', async () => {
  const a = await createAlias('moving', '1');
  const updated = await h.client.send(
    new UpdateAliasCommand({ FunctionName: FN, Name: 'moving', FunctionVersion: '2', Description: 'something changed', RevisionId: a.RevisionId, RoutingConfig: { AdditionalVersionWeights: { '1': 0.1 } } }),
  );
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.deepEqual([updated.FunctionVersion, updated.Description], ['2', 'something changed']);
  assert.deepEqual(updated.RoutingConfig, { AdditionalVersionWeights: { '1': 0.1 } });
  assert.notEqual(updated.RevisionId, a.RevisionId);
  await expectAwsError(h.client.send(new UpdateAliasCommand({ FunctionName: FN, Name: 'moving', Description: 'again', RevisionId: a.RevisionId })), {
    name: 'PreconditionFailedException',
    status: 412,
    message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  });
  // Without RoutingConfig the split stays; pointing the alias at the split version is refused.
  const kept = await h.client.send(new UpdateAliasCommand({ FunctionName: FN, Name: 'moving', Description: 'kept' }));
  assert.deepEqual(kept.RoutingConfig, { AdditionalVersionWeights: { '1': 0.1 } });
  await expectAwsError(h.client.send(new UpdateAliasCommand({ FunctionName: FN, Name: 'moving', FunctionVersion: '1' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Invalid function version 1. Function version 1 is already included in routing configuration.',
  });
  const cleared = await h.client.send(new UpdateAliasCommand({ FunctionName: FN, Name: 'moving', RoutingConfig: { AdditionalVersionWeights: {} } }));
  assert.equal(cleared.RoutingConfig, undefined);
});

test('list-aliases: in name order, filtered by FunctionVersion, paged by MaxItems', async () => {
  const all = await h.client.send(new ListAliasesCommand({ FunctionName: FN }));
  const names = all.Aliases!.map((a) => a.Name!);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('live') && names.includes('moving'));
  const v2 = await h.client.send(new ListAliasesCommand({ FunctionName: FN, FunctionVersion: '2' }));
  assert.ok(v2.Aliases!.every((a) => a.FunctionVersion === '2' || a.RoutingConfig?.AdditionalVersionWeights?.['2'] !== undefined));
  assert.ok(v2.Aliases!.some((a) => a.Name === 'moving'));
  assert.ok(!v2.Aliases!.some((a) => a.Name === 'live'));
  const paged: string[] = [];
  let marker: string | undefined;
  do {
    const p = await h.client.send(new ListAliasesCommand({ FunctionName: FN, MaxItems: 2, Marker: marker }));
    paged.push(...p.Aliases!.map((a) => a.Name!));
    marker = p.NextMarker;
  } while (marker);
  assert.deepEqual(paged, names);
  await h.client.send(new DeleteAliasCommand({ FunctionName: FN, Name: 'live' }));
  const after = await h.client.send(new ListAliasesCommand({ FunctionName: FN }));
  assert.ok(!after.Aliases!.some((a) => a.Name === 'live'));
  await expectAwsError(h.client.send(new ListAliasesCommand({ FunctionName: 'nope' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:nope`,
  });
});
