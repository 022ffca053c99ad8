import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE } from '/work/main/test/helpers/flint-harness.js';
import { makeZip } from '/work/main/test/helpers/zip.js';

test('smoke', async () => {
  const h = await startHarness();
  try {
    const zip = await makeZip({ 'index.js': 'exports.handler = async (e, ctx) => { console.log("hello", e); return { got: e, ctx }; };' });
    await h.client.send(new CreateFunctionCommand({ FunctionName: 'smoke', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
    for (let i = 0; i < 50; i++) { const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'smoke' })); if (c.State === 'Active') break; await new Promise(r => setTimeout(r, 20)); }
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await h.client.send(new InvokeCommand({ FunctionName: 'smoke', Payload: Buffer.from('{"a":1}'), LogType: 'Tail' }));
      console.log(performance.now() - t, r.StatusCode, r.FunctionError, Buffer.from(r.Payload!).toString());
      console.log(Buffer.from(r.LogResult!, 'base64').toString());
    }
  } finally { await h.stop(); }
});
