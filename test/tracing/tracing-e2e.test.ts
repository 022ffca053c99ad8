import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetFunctionConfigurationCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/**
 * Tracing end to end: a real Flint with FLINT_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver
 * started here (a plain node:http server decoding the exporter's JSON), functions invoked with
 * an X-Amzn-Trace-Id and with TracingConfig Active, the spans that arrive, the header the
 * function sees, and the AWS CLI reading the same traces through the X-Ray API.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  status?: { code?: number; message?: string };
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const ROOT_WARM = '1-5759e989-00000000000000000000abcd';
const ROOT_ASYNC = '1-5759e990-0000000000000000000a5e0c';
const ROOT_PY = '1-5759e992-00000000000000000000000b';
const CALLER_PARENT = '53995c3f42cd8ad8';
const ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

let h: Harness;
let receiver: Server;
const spans: OtlpSpan[] = [];
const contentTypes = new Set<string>();

function attrs(list: Array<{ key: string; value: Record<string, unknown> }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = value['stringValue'] ?? value['boolValue'] ?? (value['intValue'] !== undefined ? Number(value['intValue']) : value['doubleValue']);
  return out;
}

async function startReceiver(): Promise<number> {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const msg = JSON.parse(body.toString('utf8')) as { resourceSpans: Array<{ resource: { attributes: any }; scopeSpans: Array<{ spans: any[] }> }> };
      for (const rs of msg.resourceSpans) {
        const resource = attrs(rs.resource.attributes);
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, attributes: attrs(s.attributes), resource });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  return (receiver.address() as { port: number }).port;
}

const otel = (root: string) => root.slice(2, 10) + root.slice(11);

async function spansOf(root: string, until: (s: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
  for (let i = 0; i < 300; i++) {
    const mine = spans.filter((s) => s.traceId === otel(root));
    if (until(mine)) return mine;
    await sleep(50);
  }
  throw new Error(`spans of ${root} did not arrive; have ${JSON.stringify(spans.map((s) => [s.traceId, s.name]))}`);
}

/** Invokes with an X-Amzn-Trace-Id header (the SDK sets one only inside Lambda). */
async function invoke(name: string, header: string | undefined, type: 'RequestResponse' | 'Event' = 'RequestResponse') {
  const cmd = new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"x":1}'), InvocationType: type });
  if (header !== undefined) {
    cmd.middlewareStack.add((next) => async (args: any) => {
      args.request.headers['X-Amzn-Trace-Id'] = header;
      return next(args);
    }, { step: 'build', name: 'traceHeader' });
  }
  const out = await h.client.send(cmd);
  return { out, body: out.Payload && out.Payload.length ? JSON.parse(Buffer.from(out.Payload).toString('utf8')) : undefined };
}

// Sends a subsegment under the function segment named in _X_AMZN_TRACE_ID with boto3's X-Ray client.
const SENDER_PY = `import json, os, time, boto3
def handler(event, context):
    h = dict(p.split('=', 1) for p in os.environ['_X_AMZN_TRACE_ID'].split(';'))
    now = time.time()
    doc = {'id': 'bbbbbbbbbbbbbbbb', 'trace_id': h['Root'], 'parent_id': h['Parent'], 'type': 'subsegment', 'name': 'sdk-call', 'start_time': now, 'end_time': now + 0.001, 'annotations': {'from_sdk': True}}
    try:
        out = boto3.client('xray').put_trace_segments(TraceSegmentDocuments=[json.dumps(doc)])
        return {'unprocessed': out['UnprocessedTraceSegments'], 'parent': h['Parent']}
    except Exception as e:
        return {'error': type(e).__name__ + ':' + str(e)}
`;

// A custom runtime answering with the Lambda-Runtime-Trace-Id header of its /invocation/next.
const HEADER_BOOTSTRAP = `#!/usr/bin/env node
const http = require('node:http');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method, path: '/2018-06-01/runtime/' + path }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  for (;;) {
    const next = await call('GET', 'invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    await call('POST', 'invocation/' + id + '/response', JSON.stringify({ header: next.headers['lambda-runtime-trace-id'] }));
  }
})();
`;

before(async () => {
  const port = await startReceiver();
  h = await startHarness({ otlpEndpoint: `http://127.0.0.1:${port}`, traceSampleRate: 1, asyncRetryScale: 0.01 });
  const envZip = await makeZip({ 'index.js': 'exports.handler = async (e, ctx) => { if (e && e.fail) throw new Error("boom"); return { env: process.env._X_AMZN_TRACE_ID, requestId: ctx.awsRequestId }; };' });
  await createFunction(h.client, 'traced-node', { Code: { ZipFile: envZip } });
  await createFunction(h.client, 'traced-active', {
    Runtime: 'provided.al2023', Handler: 'x', TracingConfig: { Mode: 'Active' },
    Code: { ZipFile: await makeZip({ bootstrap: { data: HEADER_BOOTSTRAP, mode: 0o100755 } }) },
  });
  await createFunction(h.client, 'traced-python', {
    Runtime: 'python3.12', Handler: 'handler.handler',
    Code: { ZipFile: await makeZip({ 'handler.py': 'import os\ndef handler(event, context):\n    return {"env": os.environ.get("_X_AMZN_TRACE_ID")}\n' }) },
  });
  // A function sending its own subsegment through the X-Ray API, as daemon-less X-Ray clients do,
  // under a role with the AWS managed AWSXRayDaemonWriteAccess policy.
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateRoleCommand({ RoleName: 'xray-writer', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'xray-writer', PolicyArn: 'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess' }));
  iam.destroy();
  const sender = await makeZip({ 'handler.py': SENDER_PY });
  await createFunction(h.client, 'xray-sender', { Runtime: 'python3.12', Handler: 'handler.handler', Timeout: 30, Role: 'arn:aws:iam::000000000000:role/xray-writer', Code: { ZipFile: sender } });
  await createFunction(h.client, 'xray-sender-denied', { Runtime: 'python3.12', Handler: 'handler.handler', Timeout: 30, Code: { ZipFile: sender } });
  await createFunction(h.client, 'async-src', { Code: { ZipFile: envZip } });
  await createFunction(h.client, 'async-dest', { Code: { ZipFile: envZip } });
  await h.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'async-src', DestinationConfig: { OnSuccess: { Destination: ARN('async-dest') } } }));
});

after(async () => {
  await h?.stop();
  await new Promise((r) => receiver?.close(r));
});

test('tracing: TracingConfig defaults to PassThrough and is returned as Active once set', async () => {
  const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'traced-node' }));
  assert.deepEqual(c.TracingConfig, { Mode: 'PassThrough' });
  const a = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'traced-active' }));
  assert.deepEqual(a.TracingConfig, { Mode: 'Active' });
});

test('tracing: an Invoke with X-Amzn-Trace-Id Sampled=1 reaches the function and the OTLP receiver as spans; cold then warm', async () => {
  const cold = await invoke('traced-node', `Root=${ROOT};Parent=${CALLER_PARENT};Sampled=1;Lineage=a87bd80c:1`);
  assert.match(cold.body.env, new RegExp(`^Root=${ROOT};Parent=([0-9a-f]{16});Sampled=1;Lineage=a87bd80c:1$`));
  const functionSegment = /Parent=([0-9a-f]{16})/.exec(cold.body.env)![1]!;
  const requestId = cold.out.$metadata.requestId!;

  const got = await spansOf(ROOT, (s) => s.some((x) => x.name === 'Initialization') && s.some((x) => x.name === 'Invocation') && s.length >= 4);
  const service = got.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda')!;
  const fn = got.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda::Function')!;
  assert.ok(service && fn);
  // The trace id maps by the X-Ray propagator's rule; the caller's segment is the root's parent.
  assert.equal(service.traceId, '5759e988bd862e3fe1be46a994272793');
  assert.equal(service.parentSpanId, CALLER_PARENT);
  assert.equal(fn.parentSpanId, service.spanId);
  assert.equal(fn.spanId, functionSegment);
  assert.equal(service.name, 'traced-node');
  assert.equal(service.kind, 2); // SERVER
  const children = got.filter((s) => s.parentSpanId === fn.spanId).map((s) => s.name).sort();
  assert.deepEqual(children.filter((n) => n !== 'Overhead'), ['Initialization', 'Invocation']);
  assert.equal(fn.attributes['faas.coldstart'], true);
  assert.equal(fn.attributes['faas.invocation_id'], requestId);
  assert.equal(service.attributes['faas.invocation_id'], requestId);
  assert.equal(service.attributes['http.response.status_code'], 200);
  assert.equal(fn.resource['service.name'], 'traced-node');
  assert.equal(fn.resource['cloud.provider'], 'aws');
  assert.equal(fn.resource['cloud.platform'], 'aws_lambda');
  assert.equal(fn.resource['faas.name'], 'traced-node');
  assert.equal(fn.resource['cloud.resource_id'], ARN('traced-node'));
  assert.equal(fn.resource['cloud.account.id'], '000000000000');
  assert.ok(BigInt(fn.endTimeUnixNano) >= BigInt(fn.startTimeUnixNano));

  const warm = await invoke('traced-node', `Root=${ROOT_WARM};Sampled=1`);
  assert.match(warm.body.env, new RegExp(`^Root=${ROOT_WARM};Parent=[0-9a-f]{16};Sampled=1$`));
  const warmSpans = await spansOf(ROOT_WARM, (s) => s.some((x) => x.name === 'Invocation'));
  const warmFn = warmSpans.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda::Function')!;
  assert.equal(warmFn.attributes['faas.coldstart'], false);
  assert.equal(warmSpans.some((s) => s.name === 'Initialization'), false);
  assert.equal(warmSpans.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda')!.parentSpanId, undefined);
  assert.ok([...contentTypes].every((c) => c.startsWith('POST /v1/traces application/json')), [...contentTypes].join());
});

test('tracing: without a header a PassThrough function gets an unsampled header and records nothing; a malformed header is ignored', async () => {
  const plain = await invoke('traced-node', undefined);
  assert.match(plain.body.env, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  const bad = await invoke('traced-node', 'Root=garbage;Sampled=1');
  assert.match(bad.body.env, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  await h.app.tracing.recorder.flush();
  const roots = [plain, bad].map((r) => otel(/^Root=([^;]+)/.exec(r.body.env)![1]!));
  assert.deepEqual(spans.filter((s) => roots.includes(s.traceId)), []);
  assert.deepEqual(h.app.tracing.xray.batchGetTraces(roots.map((r) => `1-${r.slice(0, 8)}-${r.slice(8)}`), undefined)['Traces'], []);
});

test('tracing: Flint\'s Python runtime sets _X_AMZN_TRACE_ID from the invocation\'s header too', async () => {
  const r = await invoke('traced-python', `Root=${ROOT_PY};Parent=${CALLER_PARENT};Sampled=1`);
  assert.match(r.body.env, new RegExp(`^Root=${ROOT_PY};Parent=[0-9a-f]{16};Sampled=1$`));
  const plain = await invoke('traced-python', undefined);
  assert.match(plain.body.env, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
});

test('tracing: an Active function starts a trace; the runtime gets it as Lambda-Runtime-Trace-Id', async () => {
  const r = await invoke('traced-active', undefined);
  const m = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$/.exec(r.body.header);
  assert.ok(m, r.body.header);
  const got = await spansOf(m[1]!, (s) => s.some((x) => x.name === 'Invocation'));
  const fn = got.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda::Function')!;
  assert.equal(fn.spanId, m[2]);
  assert.equal(fn.attributes['faas.coldstart'], true);
});

test('tracing: a function error sets the function span\'s status to ERROR (X-Ray fault)', async () => {
  const root = '1-5759e991-00000000000000000000fa17';
  const cmd = new InvokeCommand({ FunctionName: 'traced-node', Payload: Buffer.from('{"fail":true}') });
  cmd.middlewareStack.add((next) => async (args: any) => { args.request.headers['X-Amzn-Trace-Id'] = `Root=${root};Sampled=1`; return next(args); }, { step: 'build' });
  const out = await h.client.send(cmd);
  assert.equal(out.FunctionError, 'Unhandled');
  const got = await spansOf(root, (s) => s.some((x) => x.name === 'Invocation'));
  const fn = got.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda::Function')!;
  assert.equal(fn.status?.code, 2);
  assert.equal(fn.attributes['aws.xray.fault'], true);
  assert.equal(fn.attributes['error.type'], 'Error');
});

test('tracing: an async invocation keeps its trace through the queue (Dwell Time) to its destination', async () => {
  const r = await invoke('async-src', `Root=${ROOT_ASYNC};Parent=${CALLER_PARENT};Sampled=1`, 'Event');
  assert.equal(r.out.StatusCode, 202);
  const got = await spansOf(ROOT_ASYNC, (s) => s.filter((x) => x.name === 'Invocation').length >= 2);
  const services = got.filter((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda');
  const src = services.find((s) => s.name === 'async-src')!;
  const dest = services.find((s) => s.name === 'async-dest')!;
  assert.ok(src && dest, JSON.stringify(got.map((s) => s.name)));
  assert.equal(src.parentSpanId, CALLER_PARENT);
  assert.ok(got.some((s) => s.name === 'Dwell Time' && s.parentSpanId === src.spanId));
  // The destination's invocation continues the trace under the source's function segment.
  const srcFn = got.find((s) => s.attributes['aws.xray.origin'] === 'AWS::Lambda::Function' && s.name === 'async-src')!;
  assert.equal(dest.parentSpanId, srcFn.spanId);
  assert.equal(src.attributes['faas.trigger'], 'pubsub');
});

test('tracing: an Active function\'s async event gets one trace at acceptance', async () => {
  const before = new Set(spans.map((s) => s.traceId));
  await invoke('traced-active', undefined, 'Event');
  for (let i = 0; i < 300 && !spans.some((s) => !before.has(s.traceId) && s.name === 'Dwell Time'); i++) await sleep(50);
  const dwell = spans.find((s) => !before.has(s.traceId) && s.name === 'Dwell Time');
  assert.ok(dwell);
});

test('tracing: a function whose role allows xray:PutTraceSegments adds its own subsegment to its trace; without it the call is denied', async () => {
  const root = '1-5759e993-0000000000000000000000cc';
  const r = await invoke('xray-sender', `Root=${root};Sampled=1`);
  assert.deepEqual(r.body.unprocessed, [], JSON.stringify(r.body));
  const got = await spansOf(root, (s) => s.some((x) => x.name === 'sdk-call'));
  assert.equal(got.find((x) => x.name === 'sdk-call')!.parentSpanId, r.body.parent);
  assert.equal(got.find((x) => x.attributes['aws.xray.origin'] === 'AWS::Lambda::Function')!.spanId, r.body.parent);
  const denied = await invoke('xray-sender-denied', `Root=${root};Sampled=1`);
  assert.match(denied.body.error, /AccessDenied.*xray:PutTraceSegments/);
});

test('tracing: the AWS CLI finds the traces with get-trace-summaries and reads them with batch-get-traces', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'flint-aws-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const aws = async (args: string[]) => {
    const env = { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
    const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', ...args], { env });
    return JSON.parse(stdout);
  };
  // The header's trace ids carry 2016 times (0x5759e988): TraceId ranges find them there.
  const start = String(0x5759e900);
  const end = String(0x5759ea00);
  const all = await aws(['xray', 'get-trace-summaries', '--start-time', start, '--end-time', end]);
  const ids = all.TraceSummaries.map((s: any) => s.Id);
  for (const id of [ROOT, ROOT_WARM, ROOT_ASYNC]) assert.ok(ids.includes(id), `${id} in ${ids}`);
  const cold = all.TraceSummaries.find((s: any) => s.Id === ROOT);
  assert.equal(cold.EntryPoint.Type, 'AWS::Lambda');
  assert.equal(cold.HasFault, false);
  const filtered = await aws(['xray', 'get-trace-summaries', '--start-time', start, '--end-time', end, '--filter-expression', 'service("async-dest")']);
  assert.deepEqual(filtered.TraceSummaries.map((s: any) => s.Id), [ROOT_ASYNC]);
  const faults = await aws(['xray', 'get-trace-summaries', '--start-time', start, '--end-time', end, '--filter-expression', 'fault AND annotation.ColdStart = false']);
  assert.deepEqual(faults.TraceSummaries.map((s: any) => s.Id), ['1-5759e991-00000000000000000000fa17']);
  // An Active function's trace carries today's time: found by a range around now.
  const now = Math.floor(Date.now() / 1000);
  const recent = await aws(['xray', 'get-trace-summaries', '--start-time', String(now - 600), '--end-time', String(now + 60), '--filter-expression', 'service("traced-active")']);
  assert.ok(recent.TraceSummaries.length >= 1);

  const got = await aws(['xray', 'batch-get-traces', '--trace-ids', ROOT, '1-5759e988-000000000000000000000000']);
  assert.equal(got.Traces.length, 1);
  assert.deepEqual(got.UnprocessedTraceIds, ['1-5759e988-000000000000000000000000']);
  const docs = got.Traces[0].Segments.map((s: any) => JSON.parse(s.Document));
  assert.deepEqual(docs.map((d: any) => d.origin).sort(), ['AWS::Lambda', 'AWS::Lambda::Function']);
  const fnDoc = docs.find((d: any) => d.origin === 'AWS::Lambda::Function');
  assert.equal(fnDoc.aws.function_arn, ARN('traced-node'));
  assert.equal(fnDoc.annotations.ColdStart, true);
  assert.ok(fnDoc.subsegments.some((s: any) => s.name === 'Initialization'));

  // PutTraceSegments: segments a function's X-Ray SDK would send, in the same trace.
  const seg = { id: 'aaaaaaaaaaaaaaaa', trace_id: ROOT, parent_id: fnDoc.id, name: 'downstream', start_time: fnDoc.start_time, end_time: fnDoc.end_time, annotations: { tenant: 'blue' } };
  const put = await aws(['xray', 'put-trace-segments', '--trace-segment-documents', JSON.stringify(seg), '{"bad":1}']);
  assert.equal(put.UnprocessedTraceSegments.length, 1);
  const withSdk = await aws(['xray', 'get-trace-summaries', '--start-time', start, '--end-time', end, '--filter-expression', 'annotation.tenant = "blue"']);
  assert.deepEqual(withSdk.TraceSummaries.map((s: any) => s.Id), [ROOT]);
  const sdkSpan = await spansOf(ROOT, (s) => s.some((x) => x.name === 'downstream'));
  assert.equal(sdkSpan.find((x) => x.name === 'downstream')!.parentSpanId, fnDoc.id);
});
