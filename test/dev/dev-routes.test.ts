import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateFunctionCommand, DeleteFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import yazl from 'yazl';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { DevApi, DevApiError } from '../../src/cli/dev/dev-api.js';

let h: Harness;
let api: DevApi;
let folder: string;
const clients: LambdaClient[] = [];

before(async () => {
  h = await startHarness();
  api = new DevApi(h.client);
  folder = realpathSync(mkdtempSync(join(tmpdir(), 'flint-dev-routes-')));
  writeFileSync(join(folder, 'index.js'), 'exports.handler = async () => "from the folder";\n');
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('exports.handler = async () => "uploaded";\n'), 'index.js', { mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'routes', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: Buffer.concat(chunks) } }));
});

after(async () => {
  for (const c of clients) c.destroy();
  await h?.stop();
  rmSync(folder, { recursive: true, force: true });
});

async function rejected(p: Promise<unknown>): Promise<{ type: string; status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DevApiError, String(err));
    return { type: err.type, status: err.status, message: err.message };
  }
  throw new Error('the call succeeded');
}

const invoke = async (client: LambdaClient) => Buffer.from((await client.send(new InvokeCommand({ FunctionName: 'routes' }))).Payload!).toString();

test('code-folder: $LATEST runs from the folder while attached, the uploaded code again once detached', async () => {
  assert.equal(await invoke(h.client), '"uploaded"');
  assert.deepEqual(await api.attachFolder('routes', folder), { FunctionName: 'routes', Folder: folder });
  assert.equal(await invoke(h.client), '"from the folder"');
  assert.deepEqual(await api.detachFolder('routes'), { FunctionName: 'routes', Detached: true });
  assert.equal(await invoke(h.client), '"uploaded"');
  assert.deepEqual(await api.detachFolder('routes'), { FunctionName: 'routes', Detached: false });
});

test('code-folder: a relative, missing, non-directory folder or one overlapping the data directory is refused with InvalidParameterValueException', async () => {
  const cases: Array<[string, string]> = [
    ['fn', 'Folder must be an absolute path on the server\'s host, not "fn".'],
    [join(folder, 'missing'), `Folder ${join(folder, 'missing')} cannot be read by the server: ENOENT.`],
    [join(folder, 'index.js'), `Folder ${join(folder, 'index.js')} is not a directory.`],
    [h.dataDir, `Folder ${h.dataDir} overlaps Flint's data directory; function code may not see it.`],
    [dirname(h.dataDir), `Folder ${dirname(h.dataDir)} overlaps Flint's data directory; function code may not see it.`],
  ];
  for (const [f, message] of cases) {
    assert.deepEqual(await rejected(api.attachFolder('routes', f)), { type: 'InvalidParameterValueException', status: 400, message }, f);
  }
});

test('dev routes: an unknown function is ResourceNotFoundException (404); a bad port is InvalidParameterValueException', async () => {
  const missing = await rejected(api.attachFolder('nope', folder));
  assert.equal(missing.type, 'ResourceNotFoundException');
  assert.equal(missing.status, 404);
  assert.deepEqual(await rejected(api.enableDebug('routes', 70000)), { type: 'InvalidParameterValueException', status: 400, message: 'Port must be an integer from 0 to 65535 (0: any free port), not 70000.' });
});

test('dev routes: an unsigned request is refused', async () => {
  const r = await fetch(`${h.endpoint}/flint/dev/functions/routes/code-folder`, { method: 'PUT', body: JSON.stringify({ Folder: folder }) });
  assert.equal(r.status, 403);
  assert.equal(((await r.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');
});

test('dev routes: IAM applies — lambda:UpdateFunctionCode on the function is required', async () => {
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const userClient = async (name: string, actions: string[]): Promise<LambdaClient> => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }) }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const c = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const reader = new DevApi(await userClient('reader', ['lambda:GetFunction', 'lambda:InvokeFunction']));
  const denied = await rejected(reader.attachFolder('routes', folder));
  assert.equal(denied.type, 'AccessDeniedException');
  assert.equal(denied.status, 403);
  assert.match(denied.message, /arn:aws:iam::000000000000:user\/reader is not authorized to perform: lambda:UpdateFunctionCode on resource: arn:aws:lambda:us-east-1:000000000000:function:routes/);
  assert.equal((await rejected(reader.enableDebug('routes', 0))).type, 'AccessDeniedException');
  const developer = new DevApi(await userClient('developer', ['lambda:UpdateFunctionCode']));
  assert.deepEqual(await developer.attachFolder('routes', folder), { FunctionName: 'routes', Folder: folder });
  await developer.detachFolder('routes');
  iam.destroy();
});

test('dev routes: a caller off the loopback is refused (a host path means the same only on the server\'s machine)', async (t) => {
  const address = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  if (!address) return t.skip('this host has no non-loopback IPv4 address to call from');
  const wide = await startHarness({ host: '0.0.0.0' });
  const port = new URL(wide.endpoint).port;
  const remote = new LambdaClient({ endpoint: `http://${address}:${port}`, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    assert.deepEqual(await rejected(new DevApi(remote).attachFolder('routes', folder)), {
      type: 'AccessDeniedException',
      status: 403,
      message: 'The developer loop (code folders, debugging) is served to callers on the server\'s own host only.',
    });
  } finally {
    remote.destroy();
    await wide.stop();
  }
});

test('dev routes: deleting the function ends its folder and debug session', async () => {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('exports.handler = async () => "uploaded";\n'), 'index.js', { mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const create = () => h.client.send(new CreateFunctionCommand({ FunctionName: 'gone', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: Buffer.concat(chunks) } }));
  await create();
  await api.attachFolder('gone', folder);
  const port = await api.enableDebug('gone', 0);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'gone' }));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/json/list`));
  await create();
  assert.equal(Buffer.from((await h.client.send(new InvokeCommand({ FunctionName: 'gone' }))).Payload!).toString(), '"uploaded"');
});
