import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { DeleteFunctionCommand, ListFunctionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { until } from '../helpers/until.js';
import { deploy, invoke, body } from '../invoke/fixture-functions.js';
import type { SandboxDriver } from '../../src/ports/sandbox-driver.js';
import { prepareNodeRuntime } from '../../src/runtimes/node-runtime-dir.js';

/**
 * A function reaches Flint's API from inside its sandbox with no code change, as a Lambda
 * function reaches AWS: the SDK is already there (SDK v3 under /var/runtime for Node.js, the
 * host's boto3 for Python), AWS_ENDPOINT_URL leads to Flint's front door and nothing else on the
 * host, and the environment's execution-role session signs the calls. Under the bwrap driver in
 * both network modes, and under the process driver.
 */

/** The answers a call from inside may get: Flint's own (a 200, or AccessDenied once policies are enforced). */
const FROM_FLINT = new Set(['ok', 'AccessDeniedException', 'AccessDenied']);

/** GetCallerIdentity needs no permission (as on AWS): it names the environment's assumed-role session. */
function assertCallerIdentity(out: { result: string; arn?: string; message?: string }, functionName: string): void {
  assert.equal(out.result, 'ok', JSON.stringify(out));
  assert.match(out.arn!, new RegExp(`^arn:aws:sts::\\d{12}:assumed-role/[^/]+/${functionName}$`));
}

const NODE_ESM = `
import { LambdaClient, GetFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import net from 'node:net';
const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
async function call(fn) {
  try { return { result: 'ok', ...(await fn()) }; }
  catch (e) { return { result: e.name, code: e.code, status: e.$metadata?.httpStatusCode, message: String(e.message).slice(0, 300) }; }
}
function probe(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve('connected'); });
    s.once('error', (e) => resolve(e.code));
  });
}
export const handler = async (event) => {
  const lambda = new LambdaClient({ maxAttempts: 1 });
  const sts = new STSClient({ maxAttempts: 1 });
  return {
    getFunction: await call(async () => ({ name: (await lambda.send(new GetFunctionCommand({ FunctionName: self }))).Configuration.FunctionName })),
    listFunctions: await call(async () => ({ count: (await lambda.send(new ListFunctionsCommand({}))).Functions.length })),
    callerIdentity: await call(async () => ({ arn: (await sts.send(new GetCallerIdentityCommand({}))).Arn })),
    probe: event.probePort ? await probe(event.probePort) : undefined,
    sdk: import.meta.resolve('@aws-sdk/client-lambda'),
    endpoint: process.env.AWS_ENDPOINT_URL,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN },
  };
};
`;

const NODE_CJS = `
const { LambdaClient, GetFunctionCommand } = require('@aws-sdk/client-lambda');
exports.handler = async () => {
  const lambda = new LambdaClient({ maxAttempts: 1 });
  try {
    const r = await lambda.send(new GetFunctionCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME }));
    return { getFunction: { result: 'ok', name: r.Configuration.FunctionName }, sdk: require.resolve('@aws-sdk/client-lambda') };
  } catch (e) {
    return { getFunction: { result: e.name, message: String(e.message).slice(0, 300) }, sdk: require.resolve('@aws-sdk/client-lambda') };
  }
};
`;

const PYTHON = `
import os
import socket
import boto3
import botocore
from botocore.exceptions import ClientError


def call(fn):
    try:
        return dict(result="ok", **fn())
    except ClientError as e:
        return dict(result=e.response["Error"]["Code"], status=e.response["ResponseMetadata"].get("HTTPStatusCode"))
    except Exception as e:  # noqa: BLE001
        return dict(result=type(e).__name__, message=str(e)[:300])


def probe(port):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        return "connected"
    except OSError as e:
        return "ECONNREFUSED" if isinstance(e, ConnectionRefusedError) else type(e).__name__
    finally:
        s.close()


def handler(event, context):
    me = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    lam = boto3.client("lambda")
    sts = boto3.client("sts")
    return {
        "getFunction": call(lambda: {"name": lam.get_function(FunctionName=me)["Configuration"]["FunctionName"]}),
        "listFunctions": call(lambda: {"count": len(lam.list_functions()["Functions"])}),
        "callerIdentity": call(lambda: {"arn": sts.get_caller_identity()["Arn"]}),
        "probe": probe(event["probePort"]) if event.get("probePort") else None,
        "botocore": botocore.__version__,
        "endpoint": lam.meta.endpoint_url,
    }
`;

/** A listener on the host's loopback that code in a sandbox must not reach. */
let bystander: Server;
let bystanderPort = 0;
before(async () => {
  bystander = createServer((s) => s.on('error', () => {}).end('you should not see this\n'));
  await new Promise<void>((r) => bystander.listen(0, '127.0.0.1', r));
  bystanderPort = (bystander.address() as { port: number }).port;
});
after(() => new Promise<void>((r) => bystander.close(() => r())));

async function startOrSkip(sandbox: 'bwrap' | 'process'): Promise<Harness | string> {
  try {
    return await startHarness({ sandbox });
  } catch (err) {
    if (sandbox === 'process' || (process.env['CI'] === 'true' && process.getuid?.() === 0)) throw err;
    return `the bwrap driver is not available here: ${(err as Error).message}`;
  }
}

for (const sandbox of ['bwrap', 'process'] as const) {
  let h: Harness | string = 'not started';
  before(async () => { h = await startOrSkip(sandbox); });
  after(async () => { if (typeof h !== 'string') await h.stop(); });
  const isolated = sandbox === 'bwrap';

  test(`flint api (${sandbox}): a Node.js ES module imports SDK v3 from /var/runtime and calls Lambda and STS on Flint with its role's session`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `sdk-esm-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'nodejs', zip: await makeZip({ 'index.mjs': NODE_ESM }) });
    const r = await invoke(h, name, { probePort: bystanderPort });
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const out = body(r);
    assert.ok(FROM_FLINT.has(out.getFunction.result), JSON.stringify(out.getFunction));
    if (out.getFunction.result === 'ok') assert.equal(out.getFunction.name, name);
    assert.ok(FROM_FLINT.has(out.listFunctions.result), JSON.stringify(out.listFunctions));
    assertCallerIdentity(out.callerIdentity, name);
    assert.match(out.credentials.accessKeyId, /^ASIA/);
    if (isolated) {
      assert.equal(out.endpoint, 'http://127.0.0.1:9002');
      assert.match(out.sdk, /^file:\/\/\/var\/runtime\/node_modules\/@aws-sdk\/client-lambda\//);
      assert.equal(out.probe, 'ECONNREFUSED', 'another service on the host loopback is out of reach');
    } else {
      assert.equal(out.endpoint, h.endpoint);
      assert.ok(out.sdk.includes('/flint-runtime/') || out.sdk.includes('/runtimes/nodejs-'), `the runtime's SDK, not Flint's own node_modules: ${out.sdk}`);
    }
  });

  test(`flint api (${sandbox}): a CommonJS handler requires the SDK through NODE_PATH`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `sdk-cjs-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'nodejs', zip: await makeZip({ 'index.js': NODE_CJS }) });
    const out = body(await invoke(h, name));
    assert.ok(FROM_FLINT.has(out.getFunction.result), JSON.stringify(out.getFunction));
    if (isolated) assert.match(out.sdk, /^\/var\/runtime\/node_modules\/@aws-sdk\/client-lambda\//);
  });

  test(`flint api (${sandbox}): Python's boto3 from the host reaches Flint through AWS_ENDPOINT_URL, even a botocore that predates it`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `sdk-python-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'python', handler: 'app.handler', zip: await makeZip({ 'app.py': PYTHON }) });
    const r = await invoke(h, name, { probePort: bystanderPort });
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const out = body(r);
    assert.ok(FROM_FLINT.has(out.getFunction.result), JSON.stringify(out));
    assert.ok(FROM_FLINT.has(out.listFunctions.result), JSON.stringify(out));
    assertCallerIdentity(out.callerIdentity, name);
    if (isolated) {
      assert.equal(out.endpoint, 'http://127.0.0.1:9002');
      assert.equal(out.probe, 'ECONNREFUSED');
    } else {
      assert.equal(out.endpoint, h.endpoint);
    }
  });

  test(`flint api (${sandbox}): a pre-initialized runtime, started before Flint knew its function, reaches Flint the same way`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const harness = h;
    if (!harness.app.dataPlane.prewarm.enabled) return t.skip('this driver offers no pre-initialized runtimes here');
    for (const [runtime, zip, handler] of [
      ['nodejs', await makeZip({ 'index.mjs': NODE_ESM }), 'index.handler'],
      ['python', await makeZip({ 'app.py': PYTHON }), 'app.handler'],
    ] as const) {
      // A memory size of its own: the first start is cold and makes the key known, the second takes a waiting runtime.
      const memory = runtime === 'nodejs' ? 320 : 330;
      await deploy(harness, { name: `sdk-first-${runtime}-${sandbox}`, scenario: '', runtime, handler, memory, zip });
      await invoke(harness, `sdk-first-${runtime}-${sandbox}`);
      await harness.app.dataPlane.prewarm.settled(30_000);
      const name = `sdk-stem-${runtime}-${sandbox}`;
      await deploy(harness, { name, scenario: '', runtime, handler, memory, zip });
      const r = await invoke(harness, name, { probePort: bystanderPort });
      assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
      assert.equal(harness.app.dataPlane.pool.environments(name, '$LATEST')[0]?.env.preInitialized, true, 'the start took a waiting runtime');
      const out = body(r);
      assert.ok(FROM_FLINT.has(out.getFunction.result), JSON.stringify(out.getFunction));
      assertCallerIdentity(out.callerIdentity, name);
      if (isolated) assert.equal(out.probe, 'ECONNREFUSED');
    }
  });

  test(`flint api (${sandbox}): an environment's session stops verifying when the environment ends`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `sdk-revoke-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'nodejs', zip: await makeZip({ 'index.mjs': NODE_ESM }) });
    const { credentials } = body(await invoke(h, name));
    const asFunction = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    try {
      // From outside, while the environment lives: the key verifies (allowed or denied, not unknown).
      const before = await asFunction.send(new ListFunctionsCommand({})).then(() => 'ok', (e: Error) => e.name);
      assert.ok(FROM_FLINT.has(before), before);
      await h.client.send(new DeleteFunctionCommand({ FunctionName: name }));
      await until(() => (h as Harness).app.dataPlane.pool.environments(name, '$LATEST').length === 0);
      const after = await asFunction.send(new ListFunctionsCommand({})).then(() => 'ok', (e: Error) => e.name);
      assert.ok(['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException'].includes(after), `after the environment ended: ${after}`);
    } finally {
      asFunction.destroy();
    }
  });

  if (isolated) {
    test('flint api (bwrap): an `isolated` sandbox reaches Flint at 127.0.0.1:9002 and nothing else on the host', async (t) => {
      if (typeof h === 'string') return t.skip(h);
      const harness = h;
      const driver: SandboxDriver = harness.app.dataPlane.driver;
      // The directory the server built (bootstrap + SDK): the same content gives the same directory.
      const nodeRuntime = prepareNodeRuntime({ dataDir: harness.dataDir });
      const script = `
        const { LambdaClient, ListFunctionsCommand } = require('/var/runtime/node_modules/@aws-sdk/client-lambda');
        const net = require('node:net');
        const probe = (port) => new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r('connected'); }); s.once('error', (e) => r(e.code)); });
        (async () => {
          let list;
          try { list = 'ok:' + (await new LambdaClient({ maxAttempts: 1 }).send(new ListFunctionsCommand({}))).Functions.length; } catch (e) { list = e.name + ': ' + e.message; }
          console.log(JSON.stringify({ list, bystander: await probe(${bystanderPort}), flint: await probe(${new URL(harness.endpoint).port}) }));
        })();`;
      let stdout = '';
      let stderr = '';
      const sandbox = await driver.start({
        id: `iso-api-${process.pid}`, taskRoot: nodeRuntime, runtimeDir: nodeRuntime, layers: [],
        argv: [process.execPath, '-e', script],
        env: {
          PATH: '/usr/bin:/bin', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9002',
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        },
        memoryMb: 256, ephemeralStorageMb: 64, runtimeApi: { host: '127.0.0.1', port: 9 }, network: 'isolated',
        onOutput: (c, s) => { if (s === 'stdout') stdout += c.toString(); else stderr += c.toString(); },
      });
      const timer = setTimeout(() => void sandbox.destroy(), 30_000);
      const exit = await sandbox.exited;
      clearTimeout(timer);
      await sandbox.destroy();
      assert.equal(exit.code, 0, stderr);
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      assert.match(out.list, /^ok:\d+$/);
      assert.equal(out.bystander, 'ECONNREFUSED');
      // Flint's own port on the host loopback is not reachable directly either: only the relay leads there.
      assert.equal(out.flint, 'ECONNREFUSED');
    });
  }
}
