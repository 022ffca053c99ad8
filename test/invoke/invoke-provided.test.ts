import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, fixtureZip, invoke, tail } from './fixture-functions.js';

let h: Harness;
before(async () => {
  // Host paths are asserted below: the unisolated process sandbox is the one under test here.
  h = await startHarness({ sandbox: 'process' });
  await Promise.all([
    deploy(h, { name: 'echo', scenario: 'echo', runtime: 'provided' }),
    deploy(h, { name: 'error', scenario: 'error', runtime: 'provided' }),
    deploy(h, { name: 'init', scenario: 'init-error', runtime: 'provided' }),
    deploy(h, { name: 'env', scenario: 'env-dump', runtime: 'provided', runtimeId: 'provided.al2', env: { TEST_KEY: 'TEST_VAL' } }),
  ]);
});
after(async () => {
  await h.stop();
});

test("invoke/provided: the function's own bootstrap serves invocations over the Runtime API", async () => {
  const r = await invoke(h, 'echo', { custom: 'runtime' });
  assert.equal(r.StatusCode, 200);
  assert.deepEqual(body(r), { custom: 'runtime' });
  assert.deepEqual(body(await invoke(h, 'echo', [1, 2, 3])), [1, 2, 3]);
});

test('invoke/provided: an error posted by the runtime is returned as posted, FunctionError Unhandled', async () => {
  const r = await invoke(h, 'error', {}, { LogType: 'Tail' });
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(body(r), { errorType: 'CustomFailure', errorMessage: 'the custom runtime failed' });
  assert.match(tail(r), /^START RequestId: /);
});

test('invoke/provided: /runtime/init/error fails the invocation with the posted error', async () => {
  const r = await invoke(h, 'init', {}, { LogType: 'Tail' });
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(body(r), { errorType: 'Custom.InitFailure', errorMessage: 'could not load the configuration' });
  assert.match(tail(r), /^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Custom\.InitFailure\n/);
});

test('invoke/provided: no bootstrap in the code or a layer is Runtime.InvalidEntrypoint', async () => {
  await deploy(h, { name: 'no-bootstrap', scenario: 'echo', runtime: 'provided', zip: await makeZip({ 'function.sh': 'echo hi' }) });
  const r = await invoke(h, 'no-bootstrap');
  assert.equal(r.FunctionError, 'Unhandled');
  const e = body(r);
  assert.equal(e.errorType, 'Runtime.InvalidEntrypoint');
  assert.match(e.errorMessage, new RegExp(`^RequestId: ${r.$metadata.requestId} Error: Couldn't find valid bootstrap\\(s\\): \\[\\S+/bootstrap \\S+/opt/bootstrap\\]$`));
});

test('invoke/provided: a bootstrap that is not executable is Runtime.InvalidEntrypoint (permission denied)', async () => {
  await deploy(h, { name: 'not-exec', scenario: 'echo', runtime: 'provided', zip: await makeZip({ bootstrap: { data: '#!/bin/sh\nexit 0\n', mode: 0o100644 } }) });
  const r = await invoke(h, 'not-exec');
  const e = body(r);
  assert.equal(e.errorType, 'Runtime.InvalidEntrypoint');
  assert.match(e.errorMessage, /Error: fork\/exec \S+\/bootstrap: permission denied$/);
});

test('invoke/provided: the bootstrap sees the Lambda variables (no AWS_EXECUTION_ENV) and every Runtime API header', async () => {
  const r = await invoke(h, 'env', {}, { ClientContext: Buffer.from('{"custom":{"k":"v"}}').toString('base64') });
  const b = body(r);
  const env = b.env as Record<string, string>;
  assert.equal(env['AWS_EXECUTION_ENV'], undefined);
  assert.equal(env['_HANDLER'], 'function.handler');
  assert.equal(env['TEST_KEY'], 'TEST_VAL');
  assert.equal(env['AWS_LAMBDA_FUNCTION_NAME'], 'env');
  assert.equal(env['LAMBDA_TASK_ROOT'], b.cwd);
  assert.equal(b.headers['lambda-runtime-aws-request-id'], r.$metadata.requestId);
  assert.equal(b.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:000000000000:function:env');
  assert.match(b.headers['lambda-runtime-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/);
  assert.equal(b.headers['lambda-runtime-client-context'], '{"custom":{"k":"v"}}');
  const deadline = Number(b.headers['lambda-runtime-deadline-ms']);
  assert.ok(deadline > Date.now() && deadline <= Date.now() + 3000, `deadline ${deadline}`);
});

test('invoke/provided: a runtime that never answers times out with Sandbox.Timedout', async () => {
  await deploy(h, { name: 'silent', scenario: 'timeout', runtime: 'provided', timeout: 1 });
  const r = await invoke(h, 'silent');
  assert.deepEqual(body(r), { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Task timed out after 1.00 seconds` });
});

// The official Node.js runtime interface client (npm aws-lambda-ric 3.3.0, a native build) run
// unmodified as the function's custom runtime.
const ric = (() => {
  try {
    const pkg = createRequire(import.meta.url).resolve('aws-lambda-ric/package.json');
    const bin = join(dirname(pkg), 'bin', 'index.mjs');
    return existsSync(join(dirname(pkg), 'dist', 'rapid-client.node')) ? bin : undefined;
  } catch {
    return undefined;
  }
})();

test('invoke/provided: the official aws-lambda-ric 3.3.0 runs against Flint unmodified', { skip: ric ? false : 'aws-lambda-ric (devDependency, native build) is not installed' }, async () => {
  const zip = await fixtureZip('echo', 'nodejs', {
    bootstrap: { data: `#!/bin/sh\nexec "${process.execPath}" "${ric}" "$_HANDLER"\n`, mode: 0o100755 },
    'index.js': [
      'exports.handler = async (event, context) => {',
      "  console.log('ric event', event);",
      "  if (event.fail) throw new TypeError('ric failure');",
      '  return { event, functionName: context.functionName, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() > 0 };',
      '};',
    ].join('\n'),
  });
  await deploy(h, { name: 'ric', scenario: 'echo', runtime: 'provided', handler: 'index.handler', zip });
  const ok = await invoke(h, 'ric', { n: 1 }, { LogType: 'Tail' });
  assert.equal(ok.FunctionError, undefined);
  assert.deepEqual(body(ok), { event: { n: 1 }, functionName: 'ric', requestId: ok.$metadata.requestId, remaining: true });
  assert.match(tail(ok), new RegExp(`\\t${ok.$metadata.requestId}\\tINFO\\tric event \\{ n: 1 \\}\\n`));
  // aws-lambda-ric posts {errorType, errorMessage, trace} without Lambda-Runtime-Function-Error-Type.
  const failed = await invoke(h, 'ric', { fail: true });
  assert.equal(failed.FunctionError, 'Unhandled');
  const e = body(failed);
  assert.equal(e.errorType, 'TypeError');
  assert.equal(e.errorMessage, 'ric failure');
  assert.equal(e.trace[0], 'TypeError: ric failure');
  assert.deepEqual(body(await invoke(h, 'ric', { n: 2 })).event, { n: 2 });
});
