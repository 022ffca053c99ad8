import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { stackClients, type StackClients } from '../../src/cli/sam/stack-clients.js';
import { watchTemplate } from '../../src/cli/sam/template-watch.js';

/** `flint dev --template`'s loop: a saved change to a function's folder is redeployed, only that function. */
let h: Harness;
let c: StackClients;
let dir: string;
before(async () => {
  h = await startHarness();
  c = stackClients({ endpoint: h.endpoint, region: 'us-east-1', accountId: '000000000000', credentials: TEST_CREDENTIALS });
  dir = mkdtempSync(join(tmpdir(), 'flint-sam-watch-'));
  for (const fn of ['a', 'b']) {
    mkdirSync(join(dir, fn));
    writeFileSync(join(dir, fn, 'index.js'), `exports.handler = async () => '${fn}1';\n`);
  }
  writeFileSync(join(dir, 'template.yaml'), `Globals:
  Function:
    Runtime: nodejs20.x
    Handler: index.handler
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: a/
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: b/
`);
});
after(async () => {
  c?.destroy();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const invoke = async (name: string) => JSON.parse(Buffer.from((await h.client.send(new InvokeCommand({ FunctionName: name }))).Payload!).toString());

test('sam watch: deploys, then a saved change redeploys only the changed function; a broken template is one line and the watch goes on', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const stop = await watchTemplate({ template: join(dir, 'template.yaml'), stackName: 'w' }, c, { out: (l) => out.push(l), err: (l) => err.push(l) });
  try {
    assert.equal(await invoke('w-A'), 'a1');
    const before = out.length;
    writeFileSync(join(dir, 'a/index.js'), "exports.handler = async () => 'a2';\n");
    for (let i = 0; i < 500 && !out.slice(before).includes('Deployed stack w.'); i++) await new Promise((r) => setTimeout(r, 20));
    const redeploy = out.slice(before);
    assert.ok(redeploy.includes('  ~ update AWS::Serverless::Function A w-A (code)'), redeploy.join('\n'));
    assert.ok(redeploy.includes('  = same   AWS::Serverless::Function B w-B'));
    assert.equal(await invoke('w-A'), 'a2');

    writeFileSync(join(dir, 'template.yaml'), 'Resources:\n  A: [1\n');
    for (let i = 0; i < 500 && err.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(err, ['error: template.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  } finally {
    stop();
  }
});
