import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/** Requests the SDK would not send as-is (raw, signed), and every form of function name and qualifier. */
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
/** NamespacedFunctionName's pattern as AWS answers today (the published model's plus `(eusc-)?`). */
const NAMESPACED_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';

let h: Harness;
let zipB64: string;
before(async () => {
  h = await startHarness();
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  zipB64 = zip.toString('base64');
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'named', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
});
after(async () => { await h.stop(); });

const createBody = (extra: Record<string, unknown>) =>
  JSON.stringify({ FunctionName: 'raw-fn', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zipB64 }, ...extra });

test('create-function (raw): a malformed JSON body is InvalidRequestContentException 400', async () => {
  const body = '{"FunctionName": "raw-fn", ';
  let parseMessage = '';
  try {
    JSON.parse(body);
  } catch (err) {
    parseMessage = (err as Error).message;
  }
  const res = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  assert.equal(res.json.message, `Could not parse request body into json: ${parseMessage}`);
});

test('create-function (raw): wrong JSON types are InvalidRequestContentException naming the member', async () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ Timeout: 'ten' }, "Could not parse request body into json: Cannot deserialize value of type `java.lang.Integer` from String value ('ten') at 'timeout'"],
    [{ Publish: 'yes' }, "Could not parse request body into json: Cannot deserialize value of type `java.lang.Boolean` from String value ('yes') at 'publish'"],
    [{ Layers: 'arn' }, "Could not parse request body into json: Cannot deserialize value of type `java.util.ArrayList` from String value ('arn') at 'layers'"],
  ];
  for (const [extra, message] of cases) {
    const res = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body: createBody(extra) });
    assert.equal(res.status, 400, JSON.stringify(extra));
    assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
    assert.equal(res.json.message, message);
  }
});

test('create-function (raw): unknown enum values fail the model with AWS’s wording; Runtime gets Lambda’s own', async () => {
  const arch = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body: createBody({ Architectures: ['X86_64'] }) });
  assert.equal(arch.status, 400);
  assert.equal(arch.headers.get('x-amzn-errortype'), 'ValidationException');
  assert.equal(
    arch.json.message,
    "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
  );
  const two = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body: createBody({ Architectures: ['x86_64', 'arm64'] }) });
  assert.equal(two.json.message, "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1");
  const runtime = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body: createBody({ Runtime: 'cobol85' }) });
  assert.equal(runtime.status, 400);
  assert.equal(runtime.headers.get('x-amzn-errortype'), 'InvalidParameterValueException');
  assert.equal(runtime.json.Type, 'User');
  assert.match(runtime.json.message, /^Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[nodejs20\.x, .*\] or be a valid ARN$/);
  const snap = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions', { body: createBody({ SnapStart: { ApplyOn: 'invalidOption' } }) });
  assert.equal(snap.json.message, "1 validation error detected: Value 'invalidOption' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]");
});

test('list-functions (raw): the AWS CLI v2 trailing-slash path is served', async () => {
  const res = await signedFetch(h.endpoint, 'GET', '/2015-03-31/functions/', { query: 'MaxItems=50' });
  assert.equal(res.status, 200);
  assert.ok(res.json.Functions.some((f: any) => f.FunctionName === 'named'));
});

test('get-function: invalid names and qualifiers fail the model check', async () => {
  for (const name of ['my-function!', '*', 'invalid-account:function:my-function', `${ARN}:my-function:1:2`, 'function:my-function:$LATEST:extra', 'arn:aws:lambda::000000000000:function:my-function']) {
    await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: name })), {
      name: 'ValidationException',
      status: 400,
      message: `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAMESPACED_NAME_PATTERN}`,
    });
  }
  await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: 'named', Qualifier: 'invalid!' })), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+",
  });
  const long = 'a'.repeat(129);
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'named', Qualifier: long })), {
    name: 'ValidationException',
    status: 400,
    message: `1 validation error detected: Value '${long}' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128`,
  });
});

test('get-function: well-formed names that lead nowhere are 404s naming the ARN as addressed', async () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['a'.repeat(65), undefined, `${ARN}:${'a'.repeat(65)}`],
    [`${ARN}`, undefined, `${ARN}:function`],
    [`${ARN}:named`, '$latest', `${ARN}:named:$latest`],
    ['named', '1221', `${ARN}:named:1221`],
    [`${ARN}:some-function:$LATEST`, '$LATEST', `${ARN}:some-function:$LATEST`],
  ];
  for (const [FunctionName, Qualifier, arn] of cases) {
    await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName, Qualifier })), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: `Function not found: ${arn}`,
    });
  }
  // DeleteFunction names the unqualified function when it is missing.
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: `${ARN}:ghost`, Qualifier: '$latest' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: `Function not found: ${ARN}:ghost`,
  });
  await expectAwsError(h.client.send(new DeleteFunctionCommand({ FunctionName: 'ghost', Qualifier: 'a'.repeat(65) })), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Deletion of aliases is not currently supported.',
  });
});

test('get-function: a qualifier that contradicts the ARN, another region or another account are refused', async () => {
  for (const send of [
    () => h.client.send(new GetFunctionCommand({ FunctionName: `${ARN}:named:$LATEST`, Qualifier: '1' })),
    () => h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'named:1', Qualifier: '$LATEST' })),
    () => h.client.send(new DeleteFunctionCommand({ FunctionName: `${ARN}:named:1`, Qualifier: '2' })),
  ]) {
    await expectAwsError(send(), {
      name: 'InvalidParameterValueException',
      status: 400,
      message: 'The derived qualifier from the function name does not match the specified qualifier.',
    });
  }
  for (const send of [
    () => h.client.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:ap-southeast-1:000000000000:function:named' })),
    () => h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ap-southeast-1:000000000000:function:named' })),
    () => h.client.send(new DeleteFunctionCommand({ FunctionName: 'arn:aws:lambda:ap-southeast-1:000000000000:function:named' })),
  ]) {
    await expectAwsError(send(), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')",
    });
  }
  await expectAwsError(h.client.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:named' })), {
    name: 'AccessDeniedException',
    status: 403,
    message: 'Cross-account access is not supported: function named is in account 123456789012, this endpoint serves account 000000000000.',
  });
});
