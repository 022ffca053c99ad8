import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CliRun, startServer, type DevServer } from './dev-fixture.js';

/** `flint dev --template`: the real CLI deploys a SAM template, redeploys a saved change, stops on Ctrl-C. */
let server: DevServer;
let work: string;

before(async () => {
  server = await startServer();
  work = realpathSync(mkdtempSync(join(tmpdir(), 'flint-dev-tpl-')));
  mkdirSync(join(work, 'hello'));
  writeFileSync(join(work, 'hello', 'index.js'), "exports.handler = async () => 'one';\n");
  writeFileSync(join(work, 'template.yaml'), `Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Runtime: nodejs20.x
      Handler: index.handler
`);
});

after(() => {
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const invoke = async (name: string) => JSON.parse(Buffer.from((await server.client.send(new InvokeCommand({ FunctionName: name }))).Payload!).toString());

test('flint dev --template: deploys the template, a saved change is redeployed, Ctrl-C exits 0', async () => {
  const dev = new CliRun(server, ['dev', '--template', join(work, 'template.yaml'), '--stack-name', 'tpl']);
  try {
    await dev.waitFor(/^flint dev: watching .*template\.yaml and its code folders \(Ctrl-C to stop\)$/);
    assert.equal(await invoke('tpl-Hello'), 'one');
    const mark = dev.mark;
    writeFileSync(join(work, 'hello', 'index.js'), "exports.handler = async () => 'two';\n");
    await dev.waitFor(/^  ~ update AWS::Serverless::Function Hello tpl-Hello \(code\)$/, mark);
    await dev.waitFor(/^Deployed stack tpl\.$/, mark);
    assert.equal(await invoke('tpl-Hello'), 'two');
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
    assert.equal(dev.lines.at(-1), 'flint dev: stopped');
  } finally {
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
  }
});

test('flint dev: a folder and --template together, or neither, is a usage error (exit 2)', async () => {
  const both = new CliRun(server, ['dev', work, '--template', join(work, 'template.yaml')]);
  assert.equal(await both.exited, 2);
  assert.match(both.stderr, /give a folder or --template, not both/);
  const neither = new CliRun(server, ['dev']);
  assert.equal(await neither.exited, 2);
  assert.match(neither.stderr, /missing argument 'dir' \(or give --template\)/);
});
