import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';
import { waitSettled } from '../helpers/functions.js';
import { createLambdaRole } from '../helpers/iam.js';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

let h: Harness;
let keyArn: string;
let zip: Buffer;
before(async () => {
  h = await startHarness();
  await createLambdaRole(h.endpoint, 'other');
  const kms = new KMSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  keyArn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  kms.destroy();
  zip = await makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
});
after(async () => { await h.stop(); });

const create = (name: string, extra: Partial<CreateFunctionCommandInput> = {}) =>
  h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra }));

/** Lambda settles asynchronously; Flint does so before the next request is served, but poll to be safe. */
const settled = (name: string, qualifier?: string) => waitSettled(h.client, name, qualifier);

test('create-function: answers 201 Pending with Lambda defaults, then turns Active with a new RevisionId', async () => {
  const created = await create('fn-create');
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.equal(created.State, 'Pending');
  assert.equal(created.StateReason, 'The function is being created.');
  assert.equal(created.StateReasonCode, 'Creating');
  assert.equal(created.LastUpdateStatus, undefined);
  assert.equal(created.FunctionArn, `${ARN}:fn-create`);
  assert.equal(created.Version, '$LATEST');
  assert.equal(created.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  assert.equal(created.CodeSize, zip.length);
  assert.deepEqual(
    [created.Timeout, created.MemorySize, created.Description, created.PackageType, created.TracingConfig?.Mode],
    [3, 128, '', 'Zip', 'PassThrough'],
  );
  assert.deepEqual(created.Architectures, ['x86_64']);
  assert.deepEqual(created.EphemeralStorage, { Size: 512 });
  assert.deepEqual(created.SnapStart, { ApplyOn: 'None', OptimizationStatus: 'Off' });
  assert.deepEqual(created.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/fn-create' });
  assert.match(created.RuntimeVersionConfig?.RuntimeVersionArn ?? '', /^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/);
  assert.equal(created.Environment, undefined, 'no Environment member unless one was sent');
  assert.match(created.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  const active = await settled('fn-create');
  assert.equal(active.StateReason, undefined);
  assert.notEqual(active.RevisionId, created.RevisionId);
});

test('create-function: rejects an unknown or upper-case runtime with InvalidParameterValueException and AWS’s runtime list', async () => {
  const list =
    '[nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2]';
  for (const runtime of ['non-existent-runtime', 'PYTHON3.9']) {
    await expectAwsError(create('fn-bad-runtime', { Runtime: runtime as any }), {
      name: 'InvalidParameterValueException',
      status: 400,
      message: `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ${list} or be a valid ARN`,
    });
  }
});

test('create-function: rejects a deprecated runtime with Lambda’s deprecation text', async () => {
  await expectAwsError(create('fn-old-runtime', { Runtime: 'python3.7' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message:
      'The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
  });
});

test('create-function: rejects a 65-character name with InvalidParameterValueException', async () => {
  const name = 'a'.repeat(65);
  await expectAwsError(create(name), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  });
});

test('create-function: rejects a malformed role with the model’s ValidationException', async () => {
  await expectAwsError(create('fn-bad-role', { Role: 'r1' }), {
    name: 'ValidationException',
    status: 400,
    message:
      "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
  });
});

test('create-function: a Zip function without a handler is refused', async () => {
  await expectAwsError(create('fn-no-handler', { Handler: undefined }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
  });
});

test('create-function: rejects reserved environment variable keys with InvalidParameterValueException', async () => {
  for (const [vars, keys] of [
    [{ AWS_REGION: 'x' }, 'AWS_REGION'],
    [{ OK: '1', LAMBDA_TASK_ROOT: 'x', AWS_LAMBDA_RUNTIME_API: 'y' }, 'LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API'],
  ] as const) {
    await expectAwsError(create('fn-reserved-env', { Environment: { Variables: vars } }), {
      name: 'InvalidParameterValueException',
      status: 400,
      message:
        'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. ' +
        `Reserved keys used in this request: ${keys}`,
    });
  }
});

test('create-function: environment over 4 KB (as JSON) is refused; exactly 4 KB is accepted', async () => {
  const over = { SMALL_VAR: 'ok', LARGE_VAR: 'x'.repeat(4081) };
  await expectAwsError(create('fn-env-big', { Environment: { Variables: over } }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${JSON.stringify(over)}`,
  });
  // {"LARGE_VAR":"..."} with 4080 characters measures exactly 4096 bytes (recorded as accepted by AWS).
  const atLimit = await create('fn-env-limit', { Environment: { Variables: { LARGE_VAR: 'x'.repeat(4080) } } });
  assert.equal(atLimit.Environment?.Variables?.['LARGE_VAR']?.length, 4080);
});

test('create-function: ephemeral storage outside 512–10240 MB fails the model check', async () => {
  await expectAwsError(create('fn-eph', { EphemeralStorage: { Size: 10241 } }), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240",
  });
  await expectAwsError(create('fn-eph', { EphemeralStorage: { Size: 511 } }), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value '511' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
  });
});

test('create-function: timeout over 900 s and memory over 10240 MB are both reported', async () => {
  await expectAwsError(create('fn-limits', { Timeout: 901, MemorySize: 10241 }), {
    name: 'ValidationException',
    status: 400,
    message:
      "2 validation errors detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900; " +
      "Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
  });
});

test('create-function: S3 code, container images and missing or broken zips get clear InvalidParameterValueExceptions', async () => {
  const cases: Array<[Partial<CreateFunctionCommandInput>, string]> = [
    [{ Code: { S3Bucket: 'my-bucket', S3Key: 'k.zip' } }, 'Flint does not fetch deployment packages from Amazon S3 (S3Bucket/S3Key/S3ObjectVersion). Upload the package as ZipFile instead (up to 50 MB zipped).'],
    [{ Code: { ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest' } }, 'Flint does not run container images (Code.ImageUri). Upload the deployment package as Code.ZipFile.'],
    [{ PackageType: 'Image' }, 'Flint does not run container-image functions (PackageType Image). Package the function as a .zip archive (PackageType Zip) and upload it as Code.ZipFile.'],
    [{ Code: {} }, 'Please provide a source for function code.'],
    [{ Code: { ZipFile: Buffer.from('not a zip') } }, 'Could not unzip uploaded file. Please check your file, then try to upload again.'],
  ];
  for (const [extra, message] of cases) {
    await expectAwsError(create('fn-code-source', extra), { name: 'InvalidParameterValueException', status: 400, message });
  }
});

test('create-function: a second function with the same name is a ResourceConflictException', async () => {
  await create('fn-dup');
  await expectAwsError(create('fn-dup'), { name: 'ResourceConflictException', status: 409, message: 'Function already exist: fn-dup' });
});

test('create-function: Publish=true answers with Version 1 and publishes it', async () => {
  const created = await create('fn-publish', { Publish: true, Tags: { team: 'flint' } });
  assert.equal(created.Version, '1');
  assert.equal(created.FunctionArn, `${ARN}:fn-publish`);
  const v1 = await settled('fn-publish', '1');
  assert.equal(v1.FunctionArn, `${ARN}:fn-publish:1`);
  assert.equal(v1.Version, '1');
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'fn-publish' }));
  assert.deepEqual(got.Tags, { team: 'flint' });
});

test('create-function: more than 50 tags are refused with Lambda’s tag-limit text', async () => {
  const Tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`${i}_key`, `${i}_value`]));
  await expectAwsError(create('fn-tags', { Tags }), { name: 'InvalidParameterValueException', status: 400, message: 'Number of tags exceeds resource tag limit.' });
});

test('get-function: Code.Location downloads the exact zip without credentials; a tampered link is refused', async () => {
  await create('fn-code');
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'fn-code' }));
  assert.equal(got.Code?.RepositoryType, 'S3');
  assert.ok(got.Code?.Location?.startsWith(`${h.endpoint}/flint/code/`));
  const res = await fetch(got.Code!.Location!);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), zip);
  const tampered = got.Code!.Location!.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  const bad = await fetch(tampered);
  assert.equal(bad.status, 403);
  assert.match(await bad.text(), /<Code>AccessDenied<\/Code>/);
  assert.equal(got.Tags, undefined, 'no Tags member for an untagged function');
  assert.equal(got.Concurrency, undefined);
});

test('get-function: by name, partial ARN and ARN; $LATEST named explicitly shows the :$LATEST ARN', async () => {
  await create('fn-names');
  for (const name of ['fn-names', `${ARN}:fn-names`, '000000000000:function:fn-names', 'function:fn-names']) {
    const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    assert.equal(c.FunctionArn, `${ARN}:fn-names`, name);
  }
  for (const [name, qualifier] of [['fn-names', '$LATEST'], [`${ARN}:fn-names:$LATEST`, undefined], ['fn-names:$LATEST', '$LATEST']] as const) {
    const got = await h.client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }));
    assert.equal(got.Configuration?.FunctionArn, `${ARN}:fn-names:$LATEST`);
  }
});

test('list-functions: pages with opaque markers and shows configurations without state members', async () => {
  const before = await h.client.send(new ListFunctionsCommand({ MaxItems: 10000 }));
  const all: string[] = [];
  let marker: string | undefined;
  do {
    const p = await h.client.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
    assert.ok(p.Functions!.length <= 2);
    for (const f of p.Functions!) {
      all.push(f.FunctionName!);
      assert.equal(f.State, undefined);
      assert.equal(f.LastUpdateStatus, undefined);
      assert.equal(f.RuntimeVersionConfig, undefined);
      assert.equal(f.FunctionArn, `${ARN}:${f.FunctionName}`);
    }
    marker = p.NextMarker;
    if (marker) assert.doesNotMatch(marker, /fn-/, 'markers are opaque');
  } while (marker);
  assert.deepEqual(all, before.Functions!.map((f) => f.FunctionName));
  assert.ok(all.length >= 3);
  await expectAwsError(h.client.send(new ListFunctionsCommand({ Marker: 'garbage!' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Invalid marker: garbage!',
  });
});

test('list-functions: FunctionVersion=ALL lists every version, $LATEST with its :$LATEST ARN; bad values fail the enum', async () => {
  await create('fn-listall', { Publish: true });
  const p = await h.client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL', MaxItems: 10000 }));
  const mine = p.Functions!.filter((f) => f.FunctionName === 'fn-listall').map((f) => [f.Version, f.FunctionArn]);
  assert.deepEqual(mine, [['$LATEST', `${ARN}:fn-listall:$LATEST`], ['1', `${ARN}:fn-listall:1`]]);
  await expectAwsError(h.client.send(new ListFunctionsCommand({ FunctionVersion: 'invalid' as any })), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]",
  });
});

test('update-function-code: new code goes InProgress, then Successful; stale RevisionId is a 412', async () => {
  const created = await create('fn-code-update');
  const active = await settled('fn-code-update');
  const zip2 = await makeZip({ 'index.js': 'exports.handler = async () => 2;' });
  await expectAwsError(h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-code-update', ZipFile: zip2, RevisionId: created.RevisionId })), {
    name: 'PreconditionFailedException',
    status: 412,
    message: REVISION_MISMATCH,
  });
  const updated = await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-code-update', ZipFile: zip2, RevisionId: active.RevisionId }));
  assert.equal(updated.LastUpdateStatus, 'InProgress');
  assert.equal(updated.LastUpdateStatusReason, 'The function is being created.');
  assert.equal(updated.LastUpdateStatusReasonCode, 'Creating');
  assert.equal(updated.State, 'Active');
  assert.equal(updated.CodeSha256, createHash('sha256').update(zip2).digest('base64'));
  const after = await settled('fn-code-update');
  assert.notEqual(after.RevisionId, updated.RevisionId);
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'fn-code-update' }));
  assert.deepEqual(Buffer.from(await (await fetch(got.Code!.Location!)).arrayBuffer()), zip2);
});

test('update-function-code: DryRun changes nothing; Publish returns the new version Pending; images are refused', async () => {
  await create('fn-code-dry');
  const before = await settled('fn-code-dry');
  const zip2 = await makeZip({ 'index.js': 'exports.handler = async () => "dry";' });
  const dry = await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-code-dry', ZipFile: zip2, DryRun: true }));
  assert.equal(dry.CodeSha256, createHash('sha256').update(zip2).digest('base64'));
  const still = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn-code-dry' }));
  assert.equal(still.CodeSha256, before.CodeSha256);
  assert.equal(still.RevisionId, before.RevisionId);

  const published = await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-code-dry', ZipFile: zip2, Publish: true }));
  assert.equal(published.Version, '1');
  assert.equal(published.FunctionArn, `${ARN}:fn-code-dry:1`);
  assert.equal(published.State, 'Pending');
  assert.equal(published.StateReasonCode, 'Creating');
  const v1 = await settled('fn-code-dry', '1');
  assert.equal(v1.CodeSha256, dry.CodeSha256);

  await expectAwsError(h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-code-dry', ImageUri: 'repo/x:latest' })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: "Please don't provide ImageUri when updating a function with packageType Zip.",
  });
  await expectAwsError(h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'fn-missing', ZipFile: zip2 })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:fn-missing`,
  });
});

test('update-function-configuration: every mutable member changes, with the same validation as create', async () => {
  await create('fn-config');
  const before = await settled('fn-config');
  const updated = await h.client.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: 'fn-config',
      RevisionId: before.RevisionId,
      Role: 'arn:aws:iam::000000000000:role/other',
      Handler: 'other.handler',
      Description: 'Changed-Description',
      Timeout: 10,
      MemorySize: 512,
      Runtime: 'python3.12',
      Environment: { Variables: { ENV_A: 'a' } },
      TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
      KMSKeyArn: keyArn,
      EphemeralStorage: { Size: 1024 },
      LoggingConfig: { LogFormat: 'JSON' },
    }),
  );
  assert.equal(updated.LastUpdateStatus, 'InProgress');
  assert.deepEqual(
    [updated.Role, updated.Handler, updated.Description, updated.Timeout, updated.MemorySize, updated.Runtime],
    ['arn:aws:iam::000000000000:role/other', 'other.handler', 'Changed-Description', 10, 512, 'python3.12'],
  );
  assert.deepEqual(updated.Environment, { Variables: { ENV_A: 'a' } });
  assert.deepEqual(updated.TracingConfig, { Mode: 'Active' });
  assert.deepEqual(updated.DeadLetterConfig, { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
  assert.equal(updated.KMSKeyArn, keyArn);
  assert.deepEqual(updated.EphemeralStorage, { Size: 1024 });
  assert.deepEqual(updated.LoggingConfig, { LogFormat: 'JSON', LogGroup: '/aws/lambda/fn-config', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' });
  const settledConfig = await settled('fn-config');
  assert.equal(settledConfig.Description, 'Changed-Description');

  // Back to Text drops the log levels; an empty dead-letter target removes the queue.
  const text = await h.client.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-config', LoggingConfig: { LogFormat: 'Text' }, DeadLetterConfig: { TargetArn: '' } }),
  );
  assert.deepEqual(text.LoggingConfig, { LogFormat: 'Text', LogGroup: '/aws/lambda/fn-config' });
  assert.equal(text.DeadLetterConfig, undefined);
  await settled('fn-config');

  await expectAwsError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-config', RevisionId: before.RevisionId, Timeout: 5 })), {
    name: 'PreconditionFailedException',
    status: 412,
    message: REVISION_MISMATCH,
  });
  await expectAwsError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-config', Runtime: 'go1.x' as any })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message:
      'The runtime parameter of go1.x is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.',
  });
  await expectAwsError(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'fn-config', Environment: { Variables: { AWS_SESSION_TOKEN: 't' } } })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message:
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_SESSION_TOKEN',
  });
});
