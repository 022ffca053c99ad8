import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { until } from '../helpers/until.js';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, fixtureZip, invoke, tail, waitActive } from './fixture-functions.js';

let h: Harness;
before(async () => {
  // Host paths are asserted below: the unisolated process sandbox is the one under test here.
  h = await startHarness({ sandbox: 'process' });
  await Promise.all([
    deploy(h, { name: 'echo', scenario: 'echo', runtime: 'nodejs' }),
    deploy(h, { name: 'error', scenario: 'error', runtime: 'nodejs' }),
    deploy(h, { name: 'context', scenario: 'context', runtime: 'nodejs', timeout: 7 }),
    deploy(h, { name: 'env', scenario: 'env-dump', runtime: 'nodejs', memory: 256, env: { GREETING: 'hello', TZ: 'ignored?' } }),
    deploy(h, { name: 'esm', scenario: 'esm', runtime: 'nodejs' }),
    deploy(h, { name: 'callback', scenario: 'callback', runtime: 'nodejs' }),
  ]);
});
after(async () => {
  await h.stop();
});

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';

test('invoke/nodejs: RequestResponse returns the handler result with StatusCode 200 and ExecutedVersion', async () => {
  const r = await invoke(h, 'echo', { hello: 'world', n: [1, 2] });
  assert.equal(r.StatusCode, 200);
  assert.equal(r.ExecutedVersion, '$LATEST');
  assert.equal(r.FunctionError, undefined);
  assert.deepEqual(body(r), { hello: 'world', n: [1, 2] });
});

test('invoke/nodejs: an empty payload reaches the handler as {}', async () => {
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'echo' }));
  assert.deepEqual(body(r), {});
});

test('invoke/nodejs: LogType Tail returns START, console lines, END and REPORT; Init Duration only on the cold start', async () => {
  await deploy(h, { name: 'logs', scenario: 'echo', runtime: 'nodejs' });
  const cold = await invoke(h, 'logs', { n: 1 }, { LogType: 'Tail' });
  const id = cold.$metadata.requestId!;
  const lines = tail(cold).split('\n');
  assert.equal(lines[0], `START RequestId: ${id} Version: $LATEST`);
  assert.match(lines[1]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tINFO\\t\\{ n: 1 \\}$`));
  assert.equal(lines[2], `END RequestId: ${id}`);
  assert.match(lines[3]!, new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t$`));
  assert.equal(lines[4], '');
  const warm = await invoke(h, 'logs', { n: 2 }, { LogType: 'Tail' });
  assert.match(tail(warm), /\tMax Memory Used: \d+ MB\t\n$/);
  assert.doesNotMatch(tail(warm), /Init Duration/);
  // Without Tail there is no LogResult.
  assert.equal((await invoke(h, 'logs', {})).LogResult, undefined);
});

test('invoke/nodejs: a thrown error is FunctionError Unhandled with {errorType, errorMessage, trace}', async () => {
  const r = await invoke(h, 'error', {}, { LogType: 'Tail' });
  assert.equal(r.StatusCode, 200);
  assert.equal(r.FunctionError, 'Unhandled');
  const e = body(r);
  assert.deepEqual(Object.keys(e), ['errorType', 'errorMessage', 'trace']);
  assert.equal(e.errorType, 'ValidationError');
  assert.equal(e.errorMessage, 'Handler fails');
  assert.equal(e.trace[0], 'ValidationError: Handler fails');
  assert.match(tail(r), /\tERROR\tInvoke Error \t\{"errorType":"ValidationError","errorMessage":"Handler fails","stack":\["ValidationError: Handler fails"/);
});

test('invoke/nodejs: throwing a non-Error reports its typeof as errorType; callback(err) fails the invocation', async () => {
  assert.deepEqual(body(await invoke(h, 'error', { kind: 'string' })), { errorType: 'string', errorMessage: 'plain string failure', trace: [] });
  await deploy(h, { name: 'cb-error', scenario: 'error', runtime: 'nodejs', handler: 'index.callbackError' });
  const r = await invoke(h, 'cb-error');
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(body(r).errorMessage, 'callback failure');
});

test('invoke/nodejs: init failures carry Lambda error types and messages', async () => {
  const cases: Array<[string, string, string | RegExp]> = [
    ['missing.handler', 'Runtime.ImportModuleError', /^Error: Cannot find module 'missing'\nRequire stack:\n- .*\/index\.mjs$/],
    ['requires-missing.handler', 'Runtime.ImportModuleError', /^Error: Cannot find module 'a-package-that-is-not-there'\nRequire stack:\n- .*requires-missing\.js\n- .*\/index\.mjs$/],
    ['nohandler.handler', 'Runtime.HandlerNotFound', 'nohandler.handler is undefined or not exported'],
    ['syntax.handler', 'Runtime.UserCodeSyntaxError', "SyntaxError: Unexpected token ';'"],
    ['throws.handler', 'Error', 'Runtime startup fails'],
    ['index', 'Runtime.MalformedHandlerName', 'Bad handler'],
  ];
  const zip = await fixtureZip('init-error', 'nodejs');
  for (const [i, [handler]] of cases.entries()) await deploy(h, { name: `init-${i}`, scenario: 'init-error', runtime: 'nodejs', handler, zip });
  for (const [i, [handler, type, message]] of cases.entries()) {
    const r = await invoke(h, `init-${i}`, {}, { LogType: 'Tail' });
    assert.equal(r.FunctionError, 'Unhandled', handler);
    const e = body(r);
    assert.equal(e.errorType, type, handler);
    if (typeof message === 'string') assert.equal(e.errorMessage, message, handler);
    else assert.match(e.errorMessage, message, handler);
    assert.equal(e.trace[0], `${type}: ${e.errorMessage.split('\n')[0]}`, handler);
    assert.match(tail(r), new RegExp(`INIT_REPORT Init Duration: \\d+\\.\\d\\d ms\\tPhase: init\\tStatus: error\\tError Type: ${type.replace('.', '\\.')}\\n`));
  }
});

test('invoke/nodejs: the context object carries what Lambda puts in it', async () => {
  const clientContext = { custom: { foo: 'bar' }, client: { snap: ['crackle', 'pop'] }, env: { fizz: 'buzz' } };
  const r = await invoke(h, 'context', {}, { ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64') });
  const b = body(r);
  const stream = b.context.logStreamName;
  assert.match(stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.deepEqual(b.context, {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: '$LATEST',
    functionName: 'context',
    memoryLimitInMB: '128',
    logGroupName: '/aws/lambda/context',
    logStreamName: stream,
    clientContext,
    invokedFunctionArn: `${ARN}:context`,
    awsRequestId: r.$metadata.requestId,
  });
  assert.ok(b.remaining > 5000 && b.remaining <= 7000, `remaining ${b.remaining}`);
  assert.match(b.traceId, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  assert.equal(b.identity, null);
});

test('invoke/nodejs: invokedFunctionArn is the ARN as called, qualified or not', async () => {
  assert.equal(body(await invoke(h, 'context', {}, { Qualifier: '$LATEST' })).context.invokedFunctionArn, `${ARN}:context:$LATEST`);
  assert.equal(body(await invoke(h, `${ARN}:context`)).context.invokedFunctionArn, `${ARN}:context`);
});

test('invoke/nodejs: the process sees Lambda environment variables, its own variables and temporary credentials', async () => {
  const b = body(await invoke(h, 'env'));
  const env = b.env as Record<string, string>;
  assert.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'env');
  assert.equal(env['AWS_LAMBDA_FUNCTION_VERSION'], '$LATEST');
  assert.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '256');
  assert.equal(env['AWS_LAMBDA_LOG_GROUP_NAME'], '/aws/lambda/env');
  assert.match(env['AWS_LAMBDA_LOG_STREAM_NAME']!, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.equal(env['AWS_REGION'], 'us-east-1');
  assert.equal(env['AWS_DEFAULT_REGION'], 'us-east-1');
  assert.equal(env['_HANDLER'], 'index.handler');
  assert.equal(env['AWS_EXECUTION_ENV'], 'AWS_Lambda_nodejs20.x');
  assert.equal(env['AWS_LAMBDA_INITIALIZATION_TYPE'], 'on-demand');
  assert.match(env['AWS_LAMBDA_RUNTIME_API']!, /^127\.0\.0\.1:\d+$/);
  assert.equal(env['LAMBDA_TASK_ROOT'], b.cwd);
  // Flint's runtime directory: the bootstrap and the AWS SDK v3 it provides (built once per content).
  assert.match(env['LAMBDA_RUNTIME_DIR']!, /flint-runtime\/nodejs-[0-9a-f]{16}$/);
  assert.equal(env['LANG'], 'en_US.UTF-8');
  assert.equal(env['GREETING'], 'hello');
  // A function may set TZ (it is not reserved), like LANG or PATH.
  assert.equal(env['TZ'], 'ignored?');
  assert.match(env['AWS_ACCESS_KEY_ID']!, /^ASIA[A-Z2-7]{16}$/);
  assert.ok(env['AWS_SECRET_ACCESS_KEY'] && env['AWS_SESSION_TOKEN']);
  // SDKs inside reach Flint: the general endpoint and one per service Flint serves.
  assert.equal(env['AWS_ENDPOINT_URL'], h.endpoint);
  for (const s of ['LAMBDA', 'IAM', 'STS', 'KMS', 'CLOUDWATCH_LOGS', 'CLOUDWATCH', 'SQS', 'EVENTBRIDGE', 'SCHEDULER', 'XRAY', 'CLOUDTRAIL', 'CONFIG_SERVICE']) {
    assert.equal(env[`AWS_ENDPOINT_URL_${s}`], h.endpoint, s);
  }
  const nodePath = env['NODE_PATH']!.split(':');
  assert.ok(nodePath[0]!.endsWith('/opt/nodejs/node20/node_modules') && nodePath[1]!.endsWith('/opt/nodejs/node_modules') && nodePath.at(-1) === b.cwd, env['NODE_PATH']);
  assert.ok(env['TMPDIR'], 'TMPDIR points at the environment /tmp');
  // Nothing of the server's own environment leaks in.
  for (const k of Object.keys(env)) assert.ok(!k.startsWith('FLINT_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS' && k !== 'HOME', `leaked ${k}`);
  // V8's old generation is sized from MemorySize (256 MB: 231 MB old space, 12 MB semi-spaces).
  assert.deepEqual(b.execArgv.filter((a: string) => a.startsWith('--max-')), ['--max-semi-space-size=12', '--max-old-space-size=231']);
});

test("invoke/nodejs: the environment's temporary credentials authenticate as the execution role's session, only with their session token", async () => {
  const env = body(await invoke(h, 'env')).env as Record<string, string>;
  const asFunction = new LambdaClient({
    endpoint: h.endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']!, sessionToken: env['AWS_SESSION_TOKEN']! },
  });
  const withoutToken = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID']!, secretAccessKey: env['AWS_SECRET_ACCESS_KEY']! } });
  try {
    // The quick-start role may only write logs: the session authenticates, and is then refused by
    // policy — least privilege, not a bad signature.
    await assert.rejects(asFunction.send(new GetFunctionConfigurationCommand({ FunctionName: 'echo' })), (err: any) => {
      assert.equal(err.name, 'AccessDeniedException');
      assert.match(err.message, /^User: arn:aws:sts::000000000000:assumed-role\/lambda-role\/env is not authorized to perform: lambda:GetFunctionConfiguration/);
      return true;
    });
    await assert.rejects(withoutToken.send(new GetFunctionConfigurationCommand({ FunctionName: 'echo' })), (err: any) => {
      assert.equal(err.name, 'UnrecognizedClientException');
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
  } finally {
    asFunction.destroy();
    withoutToken.destroy();
  }
});

test('invoke/nodejs: ESM handlers load from .mjs, from .js under "type": "module", from .cjs, and through property paths', async () => {
  assert.deepEqual(body(await invoke(h, 'esm', { a: 1 })), { module: 'esm', hash: '015abd7f' });
  const zip = await fixtureZip('esm', 'nodejs');
  await deploy(h, { name: 'esm-pkg', scenario: 'esm', runtime: 'nodejs', handler: 'pkg/app.handler', zip });
  await deploy(h, { name: 'esm-cjs', scenario: 'esm', runtime: 'nodejs', handler: 'common.handler', zip });
  await deploy(h, { name: 'esm-nested', scenario: 'esm', runtime: 'nodejs', handler: 'pkg/app.nested.deeper.handler', zip });
  assert.deepEqual(body(await invoke(h, 'esm-pkg')), { module: 'esm-by-package-type' });
  assert.deepEqual(body(await invoke(h, 'esm-cjs')), { module: 'cjs' });
  assert.deepEqual(body(await invoke(h, 'esm-nested')), { module: 'nested-property-path' });
});

test('invoke/nodejs: a callback reply waits for the event loop to empty unless callbackWaitsForEmptyEventLoop is false', async () => {
  let t = performance.now();
  const waited = body(await invoke(h, 'callback', { timerMs: 1200 }));
  const waitedMs = performance.now() - t;
  assert.deepEqual(waited, { timersFiredBeforeReply: 0, waits: true });
  assert.ok(waitedMs >= 1190, `replied after ${waitedMs} ms`);
  t = performance.now();
  const now = body(await invoke(h, 'callback', { timerMs: 1200, noWait: true }));
  const noWaitMs = performance.now() - t;
  assert.ok(noWaitMs < 1190, `replied after ${noWaitMs} ms`);
  // The timer of the first invocation ran before its reply; this one's had not.
  assert.deepEqual(now, { timersFiredBeforeReply: 1, waits: false });
  await new Promise((r) => setTimeout(r, 1250));
});

test('invoke/nodejs: a handler that neither returns a promise nor calls back answers null; context.succeed works', async () => {
  const zip = await fixtureZip('callback', 'nodejs');
  await deploy(h, { name: 'no-reply', scenario: 'callback', runtime: 'nodejs', handler: 'index.noReply', zip });
  await deploy(h, { name: 'legacy', scenario: 'callback', runtime: 'nodejs', handler: 'index.legacy', zip });
  const r = await invoke(h, 'no-reply');
  assert.equal(Buffer.from(r.Payload!).toString(), 'null');
  assert.deepEqual(body(await invoke(h, 'legacy')), { legacy: true });
});

test('invoke/nodejs: a response up to 6291556 bytes is returned; one byte more is Function.ResponseSizeTooLarge', async () => {
  await deploy(h, { name: 'large', scenario: 'large-response', runtime: 'nodejs', memory: 512 });
  const ok = await invoke(h, 'large', { size: 6_291_554 });
  assert.equal(ok.FunctionError, undefined);
  assert.equal(ok.Payload!.length, 6_291_556);
  const tooBig = await invoke(h, 'large', { size: 6_291_555 });
  assert.equal(tooBig.FunctionError, 'Unhandled');
  assert.deepEqual(body(tooBig), { errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).', errorType: 'Function.ResponseSizeTooLarge' });
  // The environment stays usable.
  assert.equal((await invoke(h, 'large', { size: 3 })).Payload!.length, 5);
});

test('invoke/nodejs: a payload that is not JSON is 400 InvalidRequestContentException with the parser message', async () => {
  await assert.rejects(h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('not json') })), (err: any) => {
    assert.equal(err.name, 'InvalidRequestContentException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(
      err.message,
      "Could not parse request body into json: Could not parse payload into json: Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 4]",
    );
    return true;
  });
});

test('invoke/nodejs: a request over 6 MB is 413 RequestTooLargeException', async () => {
  await assert.rejects(h.client.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify('x'.repeat(6_291_456))) })), (err: any) => {
    assert.equal(err.name, 'RequestTooLargeException');
    assert.equal(err.$metadata.httpStatusCode, 413);
    assert.equal(err.message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
    return true;
  });
});

test('invoke/nodejs: an unknown function is 404 naming :$LATEST; DryRun answers 204 without running it', async () => {
  await assert.rejects(invoke(h, 'doesnotexist'), (err: any) => {
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.equal(err.message, `Function not found: ${ARN}:doesnotexist:$LATEST`);
    return true;
  });
  const dry = await invoke(h, 'echo', {}, { InvocationType: 'DryRun' });
  assert.equal(dry.StatusCode, 204);
  assert.equal(dry.Payload?.length ?? 0, 0);
  await assert.rejects(invoke(h, 'doesnotexist', {}, { InvocationType: 'DryRun' }), (err: any) => err.name === 'ResourceNotFoundException');
});

test('invoke/nodejs: versions and aliases run their own code; ExecutedVersion and the invoked ARN follow the qualifier', async () => {
  const v1 = await makeZip({ 'index.js': "exports.handler = async (e, c) => ({ code: 'v1', arn: c.invokedFunctionArn, version: c.functionVersion });" });
  const v2 = await makeZip({ 'index.js': "exports.handler = async (e, c) => ({ code: 'v2', arn: c.invokedFunctionArn, version: c.functionVersion });" });
  await deploy(h, { name: 'versioned', scenario: 'echo', runtime: 'nodejs', zip: v1, publish: true });
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: v2 }));
  await waitActive(h, 'versioned');
  await h.client.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'live', FunctionVersion: '1' }));
  const latest = await invoke(h, 'versioned');
  assert.equal(latest.ExecutedVersion, '$LATEST');
  assert.deepEqual(body(latest), { code: 'v2', arn: `${ARN}:versioned`, version: '$LATEST' });
  const one = await invoke(h, 'versioned', {}, { Qualifier: '1' });
  assert.equal(one.ExecutedVersion, '1');
  assert.deepEqual(body(one), { code: 'v1', arn: `${ARN}:versioned:1`, version: '1' });
  const live = await invoke(h, 'versioned:live');
  assert.equal(live.ExecutedVersion, '1');
  assert.deepEqual(body(live), { code: 'v1', arn: `${ARN}:versioned:live`, version: '1' });
});

test('invoke/nodejs: an alias with weighted routing sends invocations to both versions', async () => {
  const zip = (tag: string) => makeZip({ 'index.js': `exports.handler = async () => '${tag}';` });
  await deploy(h, { name: 'weighted', scenario: 'echo', runtime: 'nodejs', zip: await zip('a'), publish: true });
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'weighted', ZipFile: await zip('b') }));
  await waitActive(h, 'weighted');
  await h.client.send(new PublishVersionCommand({ FunctionName: 'weighted' }));
  await h.client.send(new CreateAliasCommand({ FunctionName: 'weighted', Name: 'split', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } }));
  const seen = new Map<string, string>();
  for (let i = 0; i < 30 && seen.size < 2; i++) {
    const r = await invoke(h, 'weighted', {}, { Qualifier: 'split' });
    seen.set(r.ExecutedVersion!, body(r));
  }
  assert.deepEqual(Object.fromEntries(seen), { '1': 'a', '2': 'b' });
});

test('invoke/nodejs: after an update the next invocation runs the new code (old environments are retired)', async () => {
  await deploy(h, { name: 'updated', scenario: 'echo', runtime: 'nodejs', zip: await makeZip({ 'index.js': "exports.handler = async () => 'old';" }) });
  assert.equal(body(await invoke(h, 'updated')), 'old');
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: await makeZip({ 'index.js': "exports.handler = async () => 'new';" }) }));
  await waitActive(h, 'updated');
  assert.equal(body(await invoke(h, 'updated')), 'new');
  // The old environment stops in the background (its log stream is synced to disk before it goes).
  const live = () => h.app.dataPlane.pool.environments('updated', '$LATEST');
  await until(() => live().length === 1);
});

test('invoke/nodejs: AWS_LAMBDA_EXEC_WRAPPER runs the wrapper with the runtime command; a missing wrapper exits 127', async () => {
  const wrapper = { data: '#!/bin/sh\nexport WRAPPED=yes\nexec "$@"\n', mode: 0o100755 };
  const zip = await fixtureZip('env-dump', 'nodejs', { wrapper });
  // The wrapper's path is the task root's; with the process sandbox that is a host directory.
  await deploy(h, { name: 'wrapped', scenario: 'env-dump', runtime: 'nodejs', zip });
  const cfgDir = body(await invoke(h, 'wrapped')).cwd;
  await deploy(h, { name: 'wrapped2', scenario: 'env-dump', runtime: 'nodejs', zip, env: { AWS_LAMBDA_EXEC_WRAPPER: `${cfgDir}/wrapper` } });
  assert.equal(body(await invoke(h, 'wrapped2')).env.WRAPPED, 'yes');
  await deploy(h, { name: 'wrapped3', scenario: 'env-dump', runtime: 'nodejs', zip, env: { AWS_LAMBDA_EXEC_WRAPPER: '/var/task/not-there' } });
  const r = await invoke(h, 'wrapped3');
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(body(r), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: exit status 127` });
});

test('invoke/nodejs: layers are merged under /opt in order and their node_modules resolve through NODE_PATH', async () => {
  const publish = async (name: string, files: Record<string, string>) =>
    (await h.client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await makeZip(files) } }))).LayerVersionArn!;
  const base = await publish('base', {
    'nodejs/node_modules/greeting/index.js': "module.exports = 'hello from the base layer';",
    'nodejs/node_modules/shared/index.js': "module.exports = 'base';",
    'data/only-in-base.txt': 'base file',
  });
  const override = await publish('override', { 'nodejs/node_modules/shared/index.js': "module.exports = 'override';" });
  const zip = await makeZip({
    'index.js': [
      "const fs = require('node:fs');",
      "const path = require('node:path');",
      'exports.handler = async () => ({',
      "  greeting: require('greeting'),",
      "  shared: require('shared'),",
      "  baseFile: fs.readFileSync(path.join(process.env.NODE_PATH.split(':')[1], '..', '..', 'data', 'only-in-base.txt'), 'utf8'),",
      '});',
    ].join('\n'),
  });
  await h.client.send(
    new CreateFunctionCommand({ FunctionName: 'layered', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Layers: [base, override] }),
  );
  await waitActive(h, 'layered');
  assert.deepEqual(body(await invoke(h, 'layered')), { greeting: 'hello from the base layer', shared: 'override', baseFile: 'base file' });
});

test('invoke/nodejs: older nodejs runtimes run on the host Node.js; newer ones than the host are InvalidRuntimeException', async () => {
  const hostMajor = Number(process.versions.node.split('.')[0]);
  await deploy(h, { name: 'older', scenario: 'env-dump', runtime: 'nodejs', runtimeId: 'nodejs18.x' });
  assert.equal(body(await invoke(h, 'older')).env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs18.x');
  const newer = `nodejs${hostMajor + 2}.x`;
  await deploy(h, { name: 'newer', scenario: 'echo', runtime: 'nodejs', runtimeId: newer });
  await assert.rejects(invoke(h, 'newer'), (err: any) => {
    assert.equal(err.name, 'InvalidRuntimeException');
    assert.equal(err.$metadata.httpStatusCode, 502);
    assert.equal(err.message, `Flint runs ${newer} on the host's Node.js, which is v${process.versions.node}; ${newer} needs Node.js ${hostMajor + 2} or later on the Flint host.`);
    return true;
  });
});

test('invoke/nodejs: LogResult is the last 4 KB of a long log, ending with its REPORT line', async () => {
  await deploy(h, { name: 'chatty', scenario: 'echo', runtime: 'nodejs', zip: await makeZip({ 'index.js': "exports.handler = async () => { for (let i = 0; i < 2000; i++) console.log('line', i); return 'done'; };" }) });
  const r = await invoke(h, 'chatty', {}, { LogType: 'Tail' });
  const bytes = Buffer.from(r.LogResult!, 'base64');
  assert.equal(bytes.length, 4096);
  const text = bytes.toString('utf8');
  assert.match(text, /\tINFO\tline 1999\nEND RequestId: \S+\nREPORT RequestId: [^\n]+\t\n$/);
  assert.doesNotMatch(text, /START RequestId/);
});
