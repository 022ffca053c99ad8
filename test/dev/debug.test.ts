import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { DevApi, DevApiError } from '../../src/cli/dev/dev-api.js';
import { CliRun, startServer, type DevServer } from './dev-fixture.js';
import { InspectorClient } from './inspector-client.js';

let server: DevServer;

before(async () => {
  server = await startServer();
});

after(() => server?.stop());

async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name, { mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function createNode(client: LambdaClient, name: string, code: string, timeout: number): Promise<void> {
  await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/lambda-role', Timeout: timeout, Code: { ZipFile: await zipOf({ 'index.js': code }) } }));
  for (let i = 0; i < 100; i++) {
    if ((await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).State === 'Active') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const BREAK_ME = [
  'exports.handler = async (event) => {',
  '  const doubled = event.n * 2;',
  '  return { doubled };',
  '};',
  '',
].join('\n');

test('debug: the runtime waits for a debugger on the forwarded loopback port; a breakpoint by URL pauses the invocation, the 1 s timeout waits while paused, and resuming completes it', async () => {
  await createNode(server.client, 'dbg', BREAK_ME, 1);
  const api = new DevApi(server.client);
  const port = await api.enableDebug('dbg', 0);
  assert.ok(port > 0);
  const invocation = server.client.send(new InvokeCommand({ FunctionName: 'dbg', Payload: Buffer.from('{"n":21}') }));
  const inspector = await InspectorClient.attach(port);
  try {
    await inspector.send('Runtime.enable');
    await inspector.send('Debugger.enable');
    const bp = (await inspector.send('Debugger.setBreakpointByUrl', { urlRegex: 'index\\.js$', lineNumber: 2 })) as { breakpointId: string };
    await inspector.send('Runtime.runIfWaitingForDebugger');
    const paused = await inspector.next('Debugger.paused');
    assert.deepEqual(paused['hitBreakpoints'], [bp.breakpointId]);
    const frame = (paused['callFrames'] as Array<{ callFrameId: string; functionName: string; location: { lineNumber: number } }>)[0]!;
    assert.equal(frame.functionName, 'exports.handler');
    assert.equal(frame.location.lineNumber, 2);
    const value = (await inspector.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'doubled' })) as { result: { value: unknown } };
    assert.equal(value.result.value, 42);
    // Paused past the function's 1 s timeout: an attached debugger holds it.
    await new Promise((r) => setTimeout(r, 1500));
    await inspector.send('Debugger.resume');
    const out = await invocation;
    assert.equal(out.FunctionError, undefined);
    assert.equal(Buffer.from(out.Payload!).toString(), '{"doubled":42}');
  } finally {
    await inspector.close();
    await api.disableDebug('dbg');
  }
  // Debugging off: a fresh environment without the inspector, and the timeout applies again.
  const plain = await server.client.send(new InvokeCommand({ FunctionName: 'dbg', Payload: Buffer.from('{"n":2}') }));
  assert.equal(Buffer.from(plain.Payload!).toString(), '{"doubled":4}');
});

test('debug: with no debugger attached, the timeout applies as usual once the debugger has gone', async () => {
  await createNode(server.client, 'dbg-timeout', 'exports.handler = async () => { await new Promise((r) => setTimeout(r, 5000)); return 1; };\n', 1);
  const api = new DevApi(server.client);
  const port = await api.enableDebug('dbg-timeout', 0);
  const invocation = server.client.send(new InvokeCommand({ FunctionName: 'dbg-timeout', Payload: Buffer.from('{}') }));
  const inspector = await InspectorClient.attach(port);
  await inspector.send('Runtime.runIfWaitingForDebugger');
  await inspector.close();
  const out = await invocation;
  await api.disableDebug('dbg-timeout');
  assert.equal(out.FunctionError, 'Unhandled');
  assert.match(Buffer.from(out.Payload!).toString(), /"errorType":"Sandbox.Timedout"/);
});

test('flint invoke --inspect: prints the attach lines, stops at a `debugger;` statement, prints the result after resume and ends debugging', async () => {
  await createNode(server.client, 'dbg-cli', 'exports.handler = async (event) => {\n  debugger;\n  return { hello: event.who };\n};\n', 3);
  const run = new CliRun(server, ['invoke', 'dbg-cli', '{"who":"cli"}', '--inspect', '0']);
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no attach line: ${run.stderr}`)), 20_000);
    run.child.stderr!.on('data', () => {
      const m = /^debugger: dbg-cli waits for a debugger on 127\.0\.0\.1:(\d+) \(timeouts wait while one is attached\)$/m.exec(run.stderr);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
  });
  const inspector = await InspectorClient.attach(port);
  await inspector.send('Debugger.enable');
  await inspector.send('Runtime.runIfWaitingForDebugger');
  const paused = await inspector.next('Debugger.paused');
  assert.equal(paused['reason'], 'other'); // a `debugger;` statement
  await inspector.send('Debugger.resume');
  assert.equal(await run.exited, 0);
  await inspector.close().catch(() => {});
  assert.deepEqual(run.lines, ['{"hello":"cli"}']);
  const err = run.stderr.split('\n');
  assert.equal(err[1], `  Chrome: open chrome://inspect, add 127.0.0.1:${port} under "Configure…", then "inspect" the target`);
  assert.equal(err[2], `  VS Code: add to launch.json: {"type":"node","request":"attach","name":"flint: dbg-cli","address":"127.0.0.1","port":${port},"continueOnAttach":true}`);
  // Debugging ended with the command: the forward is closed.
  await assert.rejects(fetch(`http://127.0.0.1:${port}/json/list`));
});

test('debug: a port in use is a ResourceConflictException naming it', async () => {
  const api = new DevApi(server.client);
  const port = await api.enableDebug('dbg', 0);
  try {
    await assert.rejects(api.enableDebug('dbg-cli', port), (err: unknown) => {
      assert.ok(err instanceof DevApiError);
      assert.equal(err.type, 'ResourceConflictException');
      assert.equal(err.status, 409);
      assert.equal(err.message, `Port ${port} on 127.0.0.1 is in use: choose another with --inspect-port, or 0 for any free one.`);
      return true;
    });
  } finally {
    await api.disableDebug('dbg');
  }
});

test('debug: a Python function of a debugged function runs undebugged (no debugpy): nothing waits and its timeout applies', async () => {
  const zip = await zipOf({ 'app.py': 'import time\ndef handler(event, context):\n    time.sleep(event["s"])\n    return "py"\n' });
  await server.client.send(new CreateFunctionCommand({ FunctionName: 'dbg-py', Runtime: 'python3.11', Handler: 'app.handler', Role: 'arn:aws:iam::000000000000:role/lambda-role', Timeout: 1, Code: { ZipFile: zip } }));
  for (let i = 0; i < 100 && (await server.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'dbg-py' }))).State !== 'Active'; i++) await new Promise((r) => setTimeout(r, 100));
  const api = new DevApi(server.client);
  await api.enableDebug('dbg-py', 0);
  try {
    assert.equal(Buffer.from((await server.client.send(new InvokeCommand({ FunctionName: 'dbg-py', Payload: Buffer.from('{"s":0}') }))).Payload!).toString(), '"py"');
    const slow = await server.client.send(new InvokeCommand({ FunctionName: 'dbg-py', Payload: Buffer.from('{"s":3}') }));
    assert.match(Buffer.from(slow.Payload!).toString(), /"errorType":"Sandbox.Timedout"/);
  } finally {
    await api.disableDebug('dbg-py');
  }
});
