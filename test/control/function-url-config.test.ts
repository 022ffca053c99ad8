import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  ListFunctionUrlConfigsCommand,
  UpdateFunctionUrlConfigCommand,
} from '@aws-sdk/client-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';
import { expectError } from '../helpers/expect-error.js';

let h: Harness;
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const NO_RESOURCE = 'The resource you requested does not exist.';
const pattern = (v: string) => `1 validation error detected: Value '${v}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\\d+$)^[0-9a-zA-Z-_]+$)`;

before(async () => {
  h = await startHarness();
  await createFunction(h.client, 'fn');
  const v = await publishVersion(h.client, 'fn');
  await createAlias(h.client, 'fn', 'live', v);
});
after(async () => {
  await h.stop();
});

test('url config: lifecycle with SDK v3 — create (201, recorded members), conflict, get, update, list, delete', async () => {
  const created = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'NONE' }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.equal(created.FunctionArn, `${ARN}:fn`);
  assert.equal(created.AuthType, 'NONE');
  assert.match(created.FunctionUrl!, /^http:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+\/$/);
  assert.match(created.CreationTime!, ISO_MICROS);
  // Recorded: Create echoes InvokeMode only when given.
  assert.equal(created.InvokeMode, undefined);
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'AWS_IAM' })), 'ResourceConflictException', 409,
    `Failed to create function url config for [functionArn = ${ARN}:fn]. Error message:  FunctionUrlConfig exists for this Lambda function`);
  const got = await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: `${ARN}:fn` }));
  assert.equal(got.FunctionUrl, created.FunctionUrl);
  assert.equal(got.InvokeMode, 'BUFFERED');
  assert.match(got.LastModifiedTime!, ISO_MICROS);
  const cors = { AllowOrigins: ['*'], AllowMethods: ['GET'], MaxAge: 10 };
  const updated = await h.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'AWS_IAM', Cors: cors }));
  assert.equal(updated.AuthType, 'AWS_IAM');
  assert.deepEqual(updated.Cors, cors);
  assert.equal(updated.FunctionUrl, created.FunctionUrl);
  assert.equal(updated.InvokeMode, undefined);
  const streamed = await h.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'fn', InvokeMode: 'RESPONSE_STREAM' }));
  assert.equal(streamed.InvokeMode, 'RESPONSE_STREAM');
  assert.equal(streamed.AuthType, 'AWS_IAM');
  const alias = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', Qualifier: 'live', AuthType: 'NONE', InvokeMode: 'BUFFERED' }));
  assert.equal(alias.FunctionArn, `${ARN}:fn:live`);
  assert.equal(alias.InvokeMode, 'BUFFERED');
  assert.notEqual(alias.FunctionUrl, created.FunctionUrl);
  const list = await h.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'fn' }));
  assert.deepEqual(list.FunctionUrlConfigs!.map((c) => [c.FunctionArn, c.InvokeMode]), [[`${ARN}:fn`, 'RESPONSE_STREAM'], [`${ARN}:fn:live`, 'BUFFERED']]);
  const paged = await h.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'fn', MaxItems: 1 }));
  assert.equal(paged.FunctionUrlConfigs!.length, 1);
  const rest = await h.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'fn', Marker: paged.NextMarker }));
  assert.deepEqual(rest.FunctionUrlConfigs!.map((c) => c.FunctionArn), [`${ARN}:fn:live`]);
  // Recorded: deleting the unqualified URL leaves the alias's.
  const del = await h.client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'fn' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await expectError(h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'fn' })), 'ResourceNotFoundException', 404, NO_RESOURCE);
  assert.equal((await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'fn', Qualifier: 'live' }))).FunctionArn, `${ARN}:fn:live`);
  await expectError(h.client.send(new DeleteFunctionUrlConfigCommand({ FunctionName: 'fn' })), 'ResourceNotFoundException', 404, NO_RESOURCE);
  await expectError(h.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'NONE' })), 'ResourceNotFoundException', 404, NO_RESOURCE);
  assert.deepEqual((await h.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'fn' }))).FunctionUrlConfigs!.length, 1);
});

test('url config: Lambda\'s errors (recorded) — missing function, versions and $LATEST, missing alias, qualifier mismatch, bad enums', async () => {
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'nope', AuthType: 'NONE' })), 'ResourceNotFoundException', 404, 'Function does not exist');
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: `${ARN}:nope`, AuthType: 'NONE' })), 'ResourceNotFoundException', 404, 'Function does not exist');
  await expectError(h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, NO_RESOURCE);
  await expectError(h.client.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'nope' })), 'ResourceNotFoundException', 404, 'Function does not exist');
  for (const q of ['1', '2', '$LATEST']) {
    await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', Qualifier: q, AuthType: 'NONE' })), 'ValidationException', 400, pattern(q));
    await expectError(h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'fn', Qualifier: q })), 'ValidationException', 400, pattern(q));
  }
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', Qualifier: 'ghost', AuthType: 'NONE' })), 'ResourceNotFoundException', 404, 'Function does not exist');
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: `${ARN}:fn:live`, Qualifier: 'other', AuthType: 'NONE' })), 'InvalidParameterValueException', 400,
    'The derived qualifier from the function name does not match the specified qualifier.');
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'NONE', InvokeMode: 'UNKNOWN' as never })), 'ValidationException', 400,
    /Value 'UNKNOWN' at 'invokeMode' failed to satisfy constraint: Member must satisfy enum value set: \[(RESPONSE_STREAM, BUFFERED|BUFFERED, RESPONSE_STREAM)\]/);
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'OPEN' as never })), 'ValidationException', 400, /authType/);
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'NONE', Cors: { MaxAge: 86401 } })), 'ValidationException', 400, /maxAge/i);
  await expectError(h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'fn', AuthType: 'NONE', Cors: { AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] } })), 'ValidationException', 400, /allowMethods/i);
});

test('url config: a URL survives a restart on another port — same url id, FunctionUrl naming the new port, still served', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-url-restart-'));
  try {
    const first = await startHarness({}, { dataDir });
    let id: string;
    try {
      await createFunction(first.client, 'kept');
      const u = (await first.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'kept', AuthType: 'NONE' }))).FunctionUrl!;
      await first.client.send(new AddPermissionCommand({ FunctionName: 'kept', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
      id = new URL(u).hostname.split('.')[0]!;
    } finally {
      await first.stop();
    }
    const second = await startHarness({}, { dataDir });
    try {
      const u = new URL((await second.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'kept' }))).FunctionUrl!);
      assert.equal(u.hostname.split('.')[0], id);
      assert.equal(u.port, new URL(second.endpoint).port);
      const r = await fetch(`${second.endpoint}/lambda-url/${id}/after`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { rawPath: string }).rawPath, '/after');
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
