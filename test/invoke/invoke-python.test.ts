import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, fixtureZip, invoke, tail } from './fixture-functions.js';

let h: Harness;
before(async () => {
  // Host paths are asserted below: the unisolated process sandbox is the one under test here.
  h = await startHarness({ sandbox: 'process' });
  await Promise.all([
    deploy(h, { name: 'echo', scenario: 'echo', runtime: 'python' }),
    deploy(h, { name: 'error', scenario: 'error', runtime: 'python' }),
    deploy(h, { name: 'context', scenario: 'context', runtime: 'python', timeout: 9 }),
    deploy(h, { name: 'env', scenario: 'env-dump', runtime: 'python', memory: 1024, env: { TEST_KEY: 'TEST_VAL' } }),
    deploy(h, { name: 'state', scenario: 'tmp-persistence', runtime: 'python' }),
    deploy(h, { name: 'crash', scenario: 'crash', runtime: 'python' }),
  ]);
});
after(async () => {
  await h.stop();
});

test('invoke/python: handler(event, context) returns JSON; print() lines go to the log as they are', async () => {
  const r = await invoke(h, 'echo', { a: [1, 'two'] }, { LogType: 'Tail' });
  assert.equal(r.StatusCode, 200);
  assert.deepEqual(body(r), { a: [1, 'two'] });
  const id = r.$metadata.requestId;
  assert.deepEqual(tail(r).split('\n').slice(0, 3), [`START RequestId: ${id} Version: $LATEST`, "{'a': [1, 'two']}", `END RequestId: ${id}`]);
  assert.deepEqual(body(await h.client.send(new InvokeCommand({ FunctionName: 'echo' }))), {});
});

test("invoke/python: an exception is Unhandled with Lambda's {errorMessage, errorType, requestId, stackTrace}", async () => {
  const r = await invoke(h, 'error', {}, { LogType: 'Tail' });
  assert.equal(r.FunctionError, 'Unhandled');
  const e = body(r);
  assert.deepEqual(Object.keys(e), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
  assert.equal(e.errorMessage, 'Handler fails');
  assert.equal(e.errorType, 'ValidationError');
  assert.equal(e.requestId, r.$metadata.requestId);
  // Only the function's frames, formatted as traceback.format_list does.
  assert.equal(e.stackTrace.length, 1);
  assert.match(e.stackTrace[0], /^ {2}File ".*\/handler\.py", line 6, in handler\n {4}raise ValidationError\("Handler fails"\)\n$/);
  assert.match(tail(r), /\n\[ERROR\] ValidationError: Handler fails\rTraceback \(most recent call last\):\r {2}File /);
});

test('invoke/python: a result json.dumps cannot encode is Runtime.MarshalError', async () => {
  await deploy(h, { name: 'marshal', scenario: 'error', runtime: 'python', handler: 'handler.not_serializable' });
  const r = await invoke(h, 'marshal');
  assert.equal(r.FunctionError, 'Unhandled');
  assert.deepEqual(body(r), {
    errorMessage: 'Unable to marshal response: Object of type object is not JSON serializable',
    errorType: 'Runtime.MarshalError',
    requestId: r.$metadata.requestId,
    stackTrace: [],
  });
});

test('invoke/python: init failures carry Lambda error types and messages, with an empty requestId', async () => {
  const zip = await fixtureZip('init-error', 'python');
  const cases: Array<[string, string, string]> = [
    ['nothere.handler', 'Runtime.ImportModuleError', "Unable to import module 'nothere': No module named 'nothere'"],
    ['no_handler.handler', 'Runtime.HandlerNotFound', "Handler 'handler' missing on module 'no_handler'"],
    ['handler', 'Runtime.MalformedHandlerName', "Bad handler 'handler': not enough values to unpack (expected 2, got 1)"],
    ['raises.handler', 'Exception', 'Runtime startup fails'],
  ];
  for (const [i, [handler]] of cases.entries()) await deploy(h, { name: `init-${i}`, scenario: 'init-error', runtime: 'python', handler, zip });
  for (const [i, [handler, errorType, errorMessage]] of cases.entries()) {
    const r = await invoke(h, `init-${i}`);
    assert.equal(r.FunctionError, 'Unhandled', handler);
    const e = body(r);
    assert.equal(e.errorType, errorType, handler);
    assert.equal(e.errorMessage, errorMessage, handler);
    assert.equal(e.requestId, '', handler);
  }
  // Raised at import: the traceback ends in the module's own line (recorded: test_lambda_runtime_error).
  const raised = body(await invoke(h, 'init-3'));
  assert.match(raised.stackTrace.at(-1), /raises\.py", line 1, in <module>\n {4}raise Exception\("Runtime startup fails"\)\n$/);
  await deploy(h, { name: 'init-syntax', scenario: 'init-error', runtime: 'python', handler: 'syntax_error.handler', zip });
  const syntax = body(await invoke(h, 'init-syntax'));
  assert.equal(syntax.errorType, 'Runtime.UserCodeSyntaxError');
  assert.match(syntax.errorMessage, /^Syntax error in module 'syntax_error': .* \(syntax_error\.py, line 2\)$/);
  assert.match(syntax.stackTrace[0], /syntax_error\.py" Line 2\n {8}return \{"broken": \}\n$/);
});

test('invoke/python: the context object and the root logger format', async () => {
  const cc = { custom: { foo: 'bar' }, env: {}, client: {} };
  const r = await invoke(h, 'context', {}, { LogType: 'Tail', ClientContext: Buffer.from(JSON.stringify(cc)).toString('base64') });
  const b = body(r);
  const id = r.$metadata.requestId;
  assert.equal(b.aws_request_id, id);
  assert.equal(b.function_name, 'context');
  assert.equal(b.function_version, '$LATEST');
  assert.equal(b.invoked_function_arn, 'arn:aws:lambda:us-east-1:000000000000:function:context');
  assert.equal(b.memory_limit_in_mb, '128');
  assert.equal(b.log_group_name, '/aws/lambda/context');
  assert.match(b.log_stream_name, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.ok(b.remaining > 7000 && b.remaining <= 9000, String(b.remaining));
  assert.deepEqual(b.client_context_custom, { foo: 'bar' });
  assert.match(b.trace_id, /^Root=1-/);
  // Lambda's Python log line: [LEVEL]\t<ISO time with ms>Z\t<requestId>\t<message> (recorded: test_request_id_invoke).
  assert.match(tail(r), new RegExp(`\\n\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tRequestId log message\\n`));
});

test('invoke/python: the process sees the Python runtime variables and sys.path starts at the task root', async () => {
  const b = body(await invoke(h, 'env'));
  const env = b.env as Record<string, string>;
  assert.equal(env['AWS_EXECUTION_ENV'], 'AWS_Lambda_python3.12');
  assert.equal(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], '1024');
  assert.equal(env['LC_CTYPE'], 'C.UTF-8');
  assert.match(env['PYTHONPATH']!, /src\/runtimes\/python$/);
  assert.equal(env['TEST_KEY'], 'TEST_VAL');
  assert.equal(env['_HANDLER'], 'handler.handler');
  assert.equal(env['TZ'], ':UTC');
  assert.equal(env['LAMBDA_TASK_ROOT'], b.cwd);
  assert.equal(env['PYTHONUNBUFFERED'], undefined);
  assert.equal(b.sys_path[0], b.cwd);
  assert.match(b.sys_path[1], /\/opt\/python\/lib\/python3\.\d+\/site-packages$/);
  assert.match(b.sys_path[2], /\/opt\/python$/);
});

test('invoke/python: module state and /tmp survive between invocations of a warm environment', async () => {
  const first = body(await invoke(h, 'state', { write: 'kept' }));
  const second = body(await invoke(h, 'state', {}));
  assert.equal(first.invocations, 1);
  assert.deepEqual({ invocations: second.invocations, tmp: second.tmp }, { invocations: 2, tmp: 'kept' });
  assert.notEqual(second.tmpdir, '/tmp', 'the process sandbox gives each environment its own /tmp');
});

test('invoke/python: sys.exit and os._exit end the environment with Runtime.ExitError', async () => {
  const zero = await invoke(h, 'crash', { how: 'exit', code: 0 });
  assert.deepEqual(body(zero), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${zero.$metadata.requestId} Error: Runtime exited without providing a reason` });
  const two = await invoke(h, 'crash', { how: 'os_exit', code: 2 });
  assert.deepEqual(body(two), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${two.$metadata.requestId} Error: Runtime exited with error: exit status 2` });
  assert.equal(body(await invoke(h, 'crash', {})), 'survived');
});

test('invoke/python: everything printed before the reply is in the log before END', async () => {
  const zip = await makeZip({ 'handler.py': 'def handler(event, context):\n    for i in range(5000):\n        print("line", i)\n    return "done"\n' });
  await deploy(h, { name: 'chatty', scenario: 'echo', runtime: 'python', zip });
  const r = await invoke(h, 'chatty', {}, { LogType: 'Tail' });
  assert.equal(body(r), 'done');
  assert.match(tail(r), /\nline 4999\nEND RequestId: \S+\nREPORT RequestId: /);
});
