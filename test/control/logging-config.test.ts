import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';
import { waitSettled } from '../helpers/functions.js';

/*
 * LoggingConfig on the control plane, against what Lambda answers (recorded in the Lambda API
 * snapshot tests TestLoggingConfig: defaults, JSON levels defaulting to INFO, partial updates,
 * switching back to Text; the Text-with-levels refusal as Lambda words it).
 */

const LEVEL_NEEDS_JSON =
  'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.';

let h: Harness;
let zip: Buffer;
before(async () => {
  h = await startHarness();
  zip = await makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
});
after(async () => { await h.stop(); });

const create = (name: string, extra: Partial<CreateFunctionCommandInput> = {}) =>
  h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra }));
const update = (name: string, LoggingConfig: Record<string, string>) =>
  h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, LoggingConfig }));

test('logging-config: Text with the /aws/lambda/<fn> group by default, in every view of the function', async () => {
  const created = await create('lc-default');
  assert.deepEqual(created.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/lc-default' });
  await waitSettled(h.client, 'lc-default');
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'lc-default' }));
  assert.deepEqual(got.Configuration!.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/lc-default' });
  const listed = await h.client.send(new ListFunctionsCommand({}));
  assert.deepEqual(listed.Functions!.find((f) => f.FunctionName === 'lc-default')!.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/lc-default' });
});

test('logging-config: JSON on create brings INFO levels; explicit levels and a custom group are kept', async () => {
  const json = await create('lc-json', { LoggingConfig: { LogFormat: 'JSON' } });
  assert.deepEqual(json.LoggingConfig, { LogFormat: 'JSON', LogGroup: '/aws/lambda/lc-json', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' });
  const full = await create('lc-full', { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'WARN', LogGroup: 'custom/group-1' } });
  assert.deepEqual(full.LoggingConfig, { LogFormat: 'JSON', LogGroup: 'custom/group-1', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'WARN' });
  await waitSettled(h.client, 'lc-full');
  const cfg = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'lc-full' }));
  assert.deepEqual(cfg.LoggingConfig, full.LoggingConfig);
});

test('logging-config: partial updates merge into the current setting; Text drops the levels, the group stays', async () => {
  await create('lc-update');
  await waitSettled(h.client, 'lc-update');
  const group = await update('lc-update', { LogGroup: 'cool_lambda' });
  assert.deepEqual(group.LoggingConfig, { LogFormat: 'Text', LogGroup: 'cool_lambda' });
  await waitSettled(h.client, 'lc-update');
  const json = await update('lc-update', { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG' });
  assert.deepEqual(json.LoggingConfig, { LogFormat: 'JSON', LogGroup: 'cool_lambda', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'INFO' });
  await waitSettled(h.client, 'lc-update');
  // A JSON function takes a level alone; the other level is kept.
  const sys = await update('lc-update', { SystemLogLevel: 'DEBUG' });
  assert.deepEqual(sys.LoggingConfig, { LogFormat: 'JSON', LogGroup: 'cool_lambda', ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'DEBUG' });
  await waitSettled(h.client, 'lc-update');
  const text = await update('lc-update', { LogFormat: 'Text' });
  assert.deepEqual(text.LoggingConfig, { LogFormat: 'Text', LogGroup: 'cool_lambda' });
  await waitSettled(h.client, 'lc-update');
  // Back to JSON: the levels start again from INFO.
  const again = await update('lc-update', { LogFormat: 'JSON' });
  assert.deepEqual(again.LoggingConfig, { LogFormat: 'JSON', LogGroup: 'cool_lambda', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' });
});

test('logging-config: published versions keep the setting they were published with', async () => {
  await create('lc-versions', { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'WARN' } });
  await waitSettled(h.client, 'lc-versions');
  const v1 = await h.client.send(new PublishVersionCommand({ FunctionName: 'lc-versions' }));
  assert.deepEqual(v1.LoggingConfig, { LogFormat: 'JSON', LogGroup: '/aws/lambda/lc-versions', ApplicationLogLevel: 'WARN', SystemLogLevel: 'INFO' });
  await update('lc-versions', { LogFormat: 'Text' });
  await waitSettled(h.client, 'lc-versions');
  const got1 = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'lc-versions', Qualifier: '1' }));
  assert.deepEqual(got1.LoggingConfig, v1.LoggingConfig);
  const latest = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'lc-versions' }));
  assert.deepEqual(latest.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/lc-versions' });
  // A changed LoggingConfig is a change: publishing again makes version 2.
  const v2 = await h.client.send(new PublishVersionCommand({ FunctionName: 'lc-versions' }));
  assert.equal(v2.Version, '2');
  assert.deepEqual(v2.LoggingConfig, latest.LoggingConfig);
  const versions = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'lc-versions' }));
  assert.deepEqual(versions.Versions!.map((v) => [v.Version, v.LoggingConfig?.LogFormat]), [['$LATEST', 'Text'], ['1', 'JSON'], ['2', 'Text']]);
});

test('logging-config: levels with Text are refused with InvalidParameterValueException, on create and update', async () => {
  await expectAwsError(create('lc-bad-1', { LoggingConfig: { LogFormat: 'Text', ApplicationLogLevel: 'INFO' } }), {
    name: 'InvalidParameterValueException', status: 400, message: LEVEL_NEEDS_JSON,
  });
  // No format named: a new function is Text, so a level alone is refused too.
  await expectAwsError(create('lc-bad-2', { LoggingConfig: { SystemLogLevel: 'WARN' } }), {
    name: 'InvalidParameterValueException', status: 400, message: LEVEL_NEEDS_JSON,
  });
  await expectAwsError(h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'lc-bad-2' })), { name: 'ResourceNotFoundException', status: 404, message: /lc-bad-2/ });
  await create('lc-bad-3');
  await waitSettled(h.client, 'lc-bad-3');
  await expectAwsError(update('lc-bad-3', { ApplicationLogLevel: 'DEBUG' }), { name: 'InvalidParameterValueException', status: 400, message: LEVEL_NEEDS_JSON });
  await expectAwsError(update('lc-bad-3', { LogFormat: 'Text', SystemLogLevel: 'DEBUG' }), { name: 'InvalidParameterValueException', status: 400, message: LEVEL_NEEDS_JSON });
  const unchanged = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'lc-bad-3' }));
  assert.deepEqual(unchanged.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/lc-bad-3' });
});

test('logging-config: the model checks values — format and level enums, the LogGroup pattern and length', async () => {
  await expectAwsError(create('lc-enum-1', { LoggingConfig: { LogFormat: 'Yaml' as any } }), { name: 'ValidationException', status: 400, message: /at 'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set/ });
  await expectAwsError(create('lc-enum-2', { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'VERBOSE' as any } }), { name: 'ValidationException', status: 400, message: /at 'loggingConfig.applicationLogLevel' failed to satisfy constraint/ });
  await expectAwsError(create('lc-enum-3', { LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'ERROR' as any } }), { name: 'ValidationException', status: 400, message: /at 'loggingConfig.systemLogLevel' failed to satisfy constraint/ });
  await expectAwsError(create('lc-group-1', { LoggingConfig: { LogGroup: 'bad group' } }), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'bad group' at 'loggingConfig.logGroup' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
  });
  await expectAwsError(create('lc-group-2', { LoggingConfig: { LogGroup: 'g'.repeat(513) } }), { name: 'ValidationException', status: 400, message: /at 'loggingConfig.logGroup' failed to satisfy constraint: Member must have length less than or equal to 512/ });
});
