import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { CliRun, startServer, type DevServer } from './dev-fixture.js';

let server: DevServer;
let work: string;

before(async () => {
  server = await startServer();
  work = realpathSync(mkdtempSync(join(tmpdir(), 'flint-dev-fn-')));
});

after(() => {
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const handler = (v: number | string) => `exports.handler = async (event) => {\n  console.log('version ${v} ' + event.name);\n  return { v: ${JSON.stringify(v)} };\n};\n`;

test('flint dev: creates the function from the folder, then every saved change is live on the next invocation without an upload; a broken save is reported and the loop goes on', async () => {
  const dir = join(work, 'hot');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.js'), handler(1));
  const dev = new CliRun(server, ['dev', dir, '--payload', '{"name":"dev"}']);
  try {
    await dev.waitFor(/^flint dev: created hot \(nodejs20\.x, index\.handler\)$/);
    assert.ok(dev.lines.includes('flint dev: using runtime nodejs20.x and handler index.handler (from index.js); pass --runtime/--handler to choose'), dev.lines.join('\n'));
    await dev.waitFor(new RegExp(`^flint dev: hot \\(\\$LATEST\\) runs from ${dir.replace(/[/.]/g, '\\$&')}; watching for changes \\(Ctrl-C to stop\\)$`));
    await dev.waitFor(/^invoke: \{"v":1\} \(\d+ ms\)$/);
    // The function's own log lines, read through the logs API.
    await dev.waitFor(/^log: \S+\t[0-9a-f-]{36}\tINFO\tversion 1 dev$/);
    await dev.waitFor(/^log: REPORT RequestId: [0-9a-f-]{36}\tDuration: /);
    const uploaded = (await server.client.send(new GetFunctionCommand({ FunctionName: 'hot' }))).Configuration!.CodeSha256;

    let mark = dev.mark;
    writeFileSync(join(dir, 'index.js'), handler(2));
    await dev.waitFor(/^reload: index\.js → hot \$LATEST \(\d+ ms\)$/, mark);
    await dev.waitFor(/^invoke: \{"v":2\} \(\d+ ms\)$/, mark);
    // Any invoker gets the new code, and its logs show in the terminal too.
    const direct = await server.client.send(new InvokeCommand({ FunctionName: 'hot', Payload: Buffer.from('{"name":"sdk"}') }));
    assert.equal(Buffer.from(direct.Payload!).toString(), '{"v":2}');
    await dev.waitFor(/^log: \S+\t[0-9a-f-]{36}\tINFO\tversion 2 sdk$/, mark);

    mark = dev.mark;
    writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => {\n  return { v: 3 ;\n};\n');
    assert.equal(await dev.waitFor(/^error: /, mark), "error: index.js:2: SyntaxError: Unexpected token ';'");
    await dev.waitFor(/^invoke: error Runtime\.UserCodeSyntaxError: SyntaxError: Unexpected token ';' \(\d+ ms\)$/, mark);

    mark = dev.mark;
    writeFileSync(join(dir, 'index.js'), handler(4));
    await dev.waitFor(/^invoke: \{"v":4\} \(\d+ ms\)$/, mark);
    assert.equal(dev.lines.slice(mark).filter((l) => l.startsWith('error:')).length, 0);
    // Nothing was uploaded: the stored code is the zip made at creation.
    assert.equal((await server.client.send(new GetFunctionCommand({ FunctionName: 'hot' }))).Configuration!.CodeSha256, uploaded);

    mark = dev.mark;
    dev.child.kill('SIGINT');
    assert.equal(await dev.exited, 0);
    assert.deepEqual(dev.lines.slice(mark).filter((l) => l.startsWith('flint dev:')), ['flint dev: stopped; hot $LATEST runs its uploaded code again']);
    assert.equal(dev.stderr, '');
    const after = await server.client.send(new InvokeCommand({ FunctionName: 'hot', Payload: Buffer.from('{"name":"x"}') }));
    assert.equal(Buffer.from(after.Payload!).toString(), '{"v":1}');
  } finally {
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
  }
});

test('flint dev: a folder that does not exist is one line on stderr and exit code 1', async () => {
  const dev = new CliRun(server, ['dev', join(work, 'missing')]);
  assert.equal(await dev.exited, 1);
  assert.equal(dev.stderr, `flint dev: ${join(work, 'missing')} is not a folder\n`);
});

test('flint dev: an unknown function without --runtime/--handler and no file to guess from says what to give', async () => {
  const dir = join(work, 'empty');
  mkdirSync(dir);
  const dev = new CliRun(server, ['dev', dir]);
  assert.equal(await dev.exited, 1);
  assert.equal(dev.stderr, `flint dev: cannot tell the runtime of ${dir}: no package.json "main", index.mjs, index.js, app.py, lambda_function.py or executable bootstrap; pass --runtime and --handler\n`);
});

test('flint dev: a folder holding a Flint data directory is refused, even where a deploy would ignore it (the folder is seen whole)', async () => {
  const dir = join(work, 'keys-inside');
  mkdirSync(join(dir, '.flint'), { recursive: true });
  writeFileSync(join(dir, 'index.js'), handler(1));
  writeFileSync(join(dir, '.flint', 'master.key'), 'x');
  const dev = new CliRun(server, ['dev', dir]);
  assert.equal(await dev.exited, 1);
  assert.equal(dev.stderr, `flint dev: Folder ${dir} holds a Flint data directory (${join(dir, '.flint', 'master.key')}); function code may not see it: move it out of the folder.\n`);
});

test('flint dev: a Flint data directory appearing while watching stops the loop and $LATEST runs its uploaded code again', async () => {
  const dir = join(work, 'keys-later');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.js'), handler('later'));
  const dev = new CliRun(server, ['dev', dir, '--no-logs']);
  try {
    await dev.waitFor(/watching for changes/);
    mkdirSync(join(dir, '.flint'));
    writeFileSync(join(dir, '.flint', 'flint.db'), '');
    assert.equal(await dev.exited, 1);
    assert.equal(dev.stderr, `flint dev: .flint/flint.db appeared in ${dir}: a Flint data directory must not be visible to function code; stopped\n`);
    assert.equal(dev.lines.at(-1), 'flint dev: stopped; keys-later $LATEST runs its uploaded code again');
  } finally {
    if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
  }
});

test('flint deploy --watch: deploys the folder, then keeps it live like flint dev', async () => {
  const dir = join(work, 'watched');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.js'), handler('deployed'));
  const run = new CliRun(server, ['deploy', dir, '--watch']);
  try {
    await run.waitFor(/^deployed arn:aws:lambda:us-east-1:000000000000:function:watched \(created, /);
    await run.waitFor(new RegExp(`^flint dev: watched \\(\\$LATEST\\) runs from ${dir.replace(/[/.]/g, '\\$&')}; watching for changes \\(Ctrl-C to stop\\)$`));
    const call = async () => Buffer.from((await server.client.send(new InvokeCommand({ FunctionName: 'watched', Payload: Buffer.from('{"name":"w"}') }))).Payload!).toString();
    assert.equal(await call(), '{"v":"deployed"}');
    const mark = run.mark;
    writeFileSync(join(dir, 'index.js'), handler('saved'));
    await run.waitFor(/^reload: index\.js → watched \$LATEST \(\d+ ms\)$/, mark);
    assert.equal(await call(), '{"v":"saved"}');
    await run.waitFor(/^log: \S+\t[0-9a-f-]{36}\tINFO\tversion saved w$/, mark);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
    assert.equal(run.lines.at(-1), 'flint dev: stopped; watched $LATEST runs its uploaded code again');
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
});
