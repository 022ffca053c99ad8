import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import yazl from 'yazl';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { DevApi, DevApiError } from '../../src/cli/dev/dev-api.js';
import { InspectorClient } from './inspector-client.js';

/** The developer loop on the isolating driver: the folder bound read-only into sandboxes, the inspector reached in the sandbox's own network namespace. */
let h: Harness;
let api: DevApi;
let folder: string;
let skip: string | false = false;

before(async () => {
  try {
    h = await startHarness({ sandbox: 'bwrap' });
  } catch (err) {
    skip = `the bwrap driver is not available here: ${(err as Error).message}`;
    return;
  }
  api = new DevApi(h.client);
  folder = realpathSync(mkdtempSync(join(tmpdir(), 'flint-dev-bwrap-')));
  writeFileSync(join(folder, 'index.js'), 'exports.handler = async () => "folder v1";\n', { mode: 0o644 });
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('exports.handler = async (e) => {\n  debugger;\n  return "uploaded " + e.x;\n};\n'), 'index.js', { mtime: new Date(0), mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'iso', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Timeout: 2, Code: { ZipFile: Buffer.concat(chunks) } }));
});

after(async () => {
  await h?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const invoke = async (payload = '{}') => Buffer.from((await h.client.send(new InvokeCommand({ FunctionName: 'iso', Payload: Buffer.from(payload) }))).Payload!).toString();

test('bwrap: a folder other users cannot read is refused (the function runs under its own uid); readable, it is bound as /var/task and each reload is live', async (t) => {
  if (skip) return t.skip(skip);
  chmodSync(folder, 0o700);
  await assert.rejects(api.attachFolder('iso', folder), (err: unknown) => {
    assert.ok(err instanceof DevApiError);
    assert.equal(err.type, 'InvalidParameterValueException');
    assert.equal(err.message, `Folder ${folder} is not readable by other users (mode 0700); the sandbox runs the function under a user of its own: chmod o+rx it (and o+r its files).`);
    return true;
  });
  chmodSync(folder, 0o755);
  await api.attachFolder('iso', folder);
  assert.equal(await invoke(), '"folder v1"');
  writeFileSync(join(folder, 'index.js'), 'exports.handler = async () => require("fs").readdirSync("/var/task").join(",") + " v2";\n');
  await api.attachFolder('iso', folder);
  assert.equal(await invoke(), '"index.js v2"');
  await api.detachFolder('iso');
});

test('bwrap: the inspector inside the sandbox is reached through the host loopback port; a `debugger;` statement pauses and the invocation completes after resume', async (t) => {
  if (skip) return t.skip(skip);
  const port = await api.enableDebug('iso', 0);
  try {
    const invocation = invoke('{"x":7}');
    const inspector = await InspectorClient.attach(port);
    try {
      await inspector.send('Debugger.enable');
      await inspector.send('Runtime.runIfWaitingForDebugger');
      const paused = await inspector.next('Debugger.paused');
      const frame = (paused['callFrames'] as Array<{ callFrameId: string }>)[0]!;
      const where = (await inspector.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'process.cwd() + " " + e.x' })) as { result: { value: unknown } };
      assert.equal(where.result.value, '/var/task 7');
      await inspector.send('Debugger.resume');
      assert.equal(await invocation, '"uploaded 7"');
    } finally {
      await inspector.close();
    }
  } finally {
    await api.disableDebug('iso');
  }
});
