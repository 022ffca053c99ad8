import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import type { ResponseStream } from '../../src/ports/invoker.js';
import { AwsError, ResourceNotFoundException, ServiceException, TooManyRequestsException } from '../../src/domain/errors.js';
import { StreamedResponse } from '../../src/invoke/streamed-response.js';
import { systemClock } from '../../src/app/system-clock.js';
import { callWorker } from '../../src/cluster/worker-call.js';
import { WorkerSessions } from '../../src/cluster/worker-sessions.js';
import { admit, shareBound } from '../../src/cluster/worker-admission.js';
import { makeTestCa } from '../helpers/cluster-certs.js';
import { deferred, echo, startRpcCluster, type RpcCluster } from '../helpers/rpc-cluster.js';

/** What each stream test's function writes, and when: the test releases the second chunk. */
const streams = new Map<string, { second: Promise<void> }>();

let holdGate = deferred();
let c: RpcCluster;
let apiSessions: WorkerSessions;
before(async () => {
  c = await startRpcCluster({
    workers: 1,
    capacity: 2,
    handler: async (worker, req) => {
      if (req.functionName === 'missing') throw new ResourceNotFoundException(`Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing`);
      if (req.functionName === 'throttled') {
        throw new TooManyRequestsException('Rate Exceeded.', { fields: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }, headers: { 'retry-after': '1' } });
      }
      if (req.functionName === 'kms') throw new AwsError('KMSAccessDeniedException', 'Lambda was unable to decrypt the environment variables.', { status: 502 });
      if (req.functionName === 'hold') await holdGate.promise;
      if (req.functionName === 'bug') throw new TypeError('cannot read properties of undefined');
      if (req.functionName === 'stream') {
        const s = new StreamedResponse('text/plain', systemClock);
        req.onStream!(s, { executedVersion: '3' });
        s.write(Buffer.from('first '));
        await streams.get(req.requestId!)!.second;
        s.write(Buffer.from('second'));
        s.fail({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'too large' });
        return { ...echo(worker, req), executedVersion: '3', payload: Buffer.alloc(0), functionError: 'Unhandled', logResult: 'bG9n' };
      }
      return {
        ...echo(worker, req),
        functionError: 'Handled',
        logResult: Buffer.from('START RequestId: x').toString('base64'),
        traceId: req.traceId ?? 'none',
        startType: 'cold',
      };
    },
  });
  apiSessions = new WorkerSessions(c.apiTls, 2000);
});
after(async () => {
  apiSessions.close();
  await c.close();
});

const target = () => ({ address: c.workers[0]!.address, epoch: c.workers[0]!.epoch });
const api = () => apiSessions;

test('mutual TLS: a client without a certificate of the cluster CA gets no answer', async () => {
  const w = c.workers[0]!;
    const noCert = await new Promise<string>((resolve) => {
    const session = connect(`https://${w.address}`, { ca: c.ca.caPem });
    session.on('error', (e) => resolve(e.message));
    const r = session.request({ ':method': 'POST', ':path': '/invoke' });
    r.on('response', (h) => resolve(`answered ${h[':status']}`));
    r.on('error', (e) => resolve(e.message));
    r.on('close', () => session.destroy());
    r.end();
  });
  assert.doesNotMatch(noCert, /^answered/);
  const other = await (await makeTestCa('Another CA')).issue('intruder');
  const outcome = await callWorker(new WorkerSessions({ ...other, ca: c.ca.caPem }, 2000), target(), { functionName: 'fn', payload: Buffer.from('{}') }, 'fn:$LATEST');
  // TLS 1.3: the client's handshake ends before the server checks its certificate, so the refusal comes as a closed connection.
  assert.ok(outcome.kind === 'unreachable' || outcome.kind === 'lost', outcome.kind);
  assert.equal(w.invoker.calls.filter((r) => r.functionName === 'fn' && r.payload.toString() === '{}').length, 0);
});

test('a result crosses back with every field of the InvokeResult, and the request with every field of the InvokeRequest', async () => {
  const req = { functionName: 'arn:aws:lambda:us-east-1:000000000000:function:fn', qualifier: 'live', payload: Buffer.from('{"a":"é"}'), clientContext: 'eyJhIjoxfQ==', logType: 'Tail' as const, requestId: 'rid-1', traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1', enqueuedAt: 1700000000000, async: true };
  const outcome = await callWorker(api(), target(), req, 'fn:7');
  assert.equal(outcome.kind, 'result');
  if (outcome.kind !== 'result') return;
  assert.deepEqual(outcome.result, {
    requestId: 'rid-1',
    statusCode: 200,
    payload: Buffer.from(JSON.stringify({ worker: 'w1', got: '{"a":"é"}' })),
    executedVersion: 'live',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:arn:aws:lambda:us-east-1:000000000000:function:fn',
    functionError: 'Handled',
    logResult: Buffer.from('START RequestId: x').toString('base64'),
    startType: 'cold',
    traceId: req.traceId,
  });
  const got = c.workers[0]!.invoker.calls.find((r) => r.requestId === 'rid-1')!;
  assert.deepEqual({ ...got }, req);
});

test('typed errors cross back intact: type, message, status, body fields, headers and class', async () => {
  const call = async (functionName: string) => {
    const o = await callWorker(api(), target(), { functionName, payload: Buffer.alloc(0) }, `${functionName}:$LATEST`);
    assert.equal(o.kind, 'error');
    return (o as { error: AwsError }).error;
  };
  const throttled = await call('throttled');
  assert.ok(throttled instanceof TooManyRequestsException);
  assert.equal(throttled.message, 'Rate Exceeded.');
  assert.deepEqual(throttled.fields, { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  assert.deepEqual(throttled.headers, { 'retry-after': '1' });
  const missing = await call('missing');
  assert.ok(missing instanceof ResourceNotFoundException);
  assert.equal(missing.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing');
  const kms = await call('kms');
  assert.equal(kms.type, 'KMSAccessDeniedException');
  assert.equal(kms.status, 502);
  // An unexpected failure is the front door's ServiceException; its cause stays on the worker.
  const bug = await call('bug');
  assert.ok(bug instanceof ServiceException);
  assert.doesNotMatch(bug.message, /undefined/);
});

test('a streamed response: chunks arrive before the function ends, then its error and result from the trailers', async () => {
  const second = deferred();
  streams.set('rid-stream', { second: second.promise });
  const started = deferred<{ stream: ResponseStream; executedVersion: string }>();
  const calling = callWorker(api(), target(), { functionName: 'stream', payload: Buffer.alloc(0), requestId: 'rid-stream', onStream: (stream, meta) => started.resolve({ stream, executedVersion: meta.executedVersion }) }, 'stream:3');
  const { stream, executedVersion } = await started.promise;
  assert.equal(executedVersion, '3');
  assert.equal(stream.contentType, 'text/plain');
  const it = stream.chunks()[Symbol.asyncIterator]();
  const first = await it.next();
  // The function is still held: this chunk crossed before its end.
  assert.equal(Buffer.from(first.value as Buffer).toString(), 'first ');
  second.resolve();
  const rest: string[] = [];
  for (let n = await it.next(); !n.done; n = await it.next()) rest.push(Buffer.from(n.value as Buffer).toString());
  assert.equal(rest.join(''), 'second');
  const outcome = await calling;
  assert.equal(outcome.kind, 'result');
  assert.deepEqual(stream.error, { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'too large' });
  if (outcome.kind === 'result') {
    assert.equal(outcome.result.functionError, 'Unhandled');
    assert.equal(outcome.result.logResult, 'bG9n');
    assert.equal(outcome.result.executedVersion, '3');
  }
});

test('a request routed with a stale epoch, or to a fenced worker, is refused with its own reason and runs nothing', async () => {
  const w = c.workers[0]!;
  const before = w.invoker.calls.length;
  const stale = await callWorker(api(), { address: w.address, epoch: w.epoch - 1 }, { functionName: 'fn', payload: Buffer.alloc(0) }, 'fn:$LATEST');
  assert.deepEqual(stale, { kind: 'refused', reason: 'StaleEpoch' });
  w.fenced = true;
  try {
    const fenced = await callWorker(api(), target(), { functionName: 'fn', payload: Buffer.alloc(0) }, 'fn:$LATEST');
    assert.deepEqual(fenced, { kind: 'refused', reason: 'Fenced' });
  } finally {
    w.fenced = false;
  }
  assert.equal(w.invoker.calls.length, before);
});

test('admission: warm on an idle environment whatever the load; cold under capacity and the (1+ε) share; else full', () => {
  const base = { capacity: 10, shareFactor: 1.25, busy: 0, busyForKey: 0, activeKeys: 0, idle: undefined };
  assert.equal(admit(base), 'cold');
  assert.equal(admit({ ...base, busy: 10, activeKeys: 3 }), 'full');
  assert.equal(admit({ ...base, busy: 10, activeKeys: 3, idle: 1 }), 'warm');
  // Alone on the worker, a function may use all of it.
  assert.equal(admit({ ...base, busy: 9, busyForKey: 9, activeKeys: 1 }), 'cold');
  // With another function running, its share is ⌈1.25 × 10 / 2⌉ = 7.
  assert.equal(shareBound({ ...base, busyForKey: 6, activeKeys: 2 }), 7);
  assert.equal(admit({ ...base, busy: 7, busyForKey: 6, activeKeys: 2 }), 'cold');
  assert.equal(admit({ ...base, busy: 8, busyForKey: 7, activeKeys: 2 }), 'full');
  // A newcomer counts itself among the active functions, and always gets at least one.
  assert.equal(shareBound({ ...base, busyForKey: 0, activeKeys: 30 }), 1);
});

test('a streamed response through RemoteInvoker: the caller reads chunks as they come, then the invocation resolves with its result', async () => {
  const second = deferred();
  streams.set('rid-remote-stream', { second: second.promise });
  const started = deferred<ResponseStream>();
  const remote = c.remote();
  const invoking = remote.invoke({ functionName: 'stream', payload: Buffer.alloc(0), requestId: 'rid-remote-stream', onStream: (s) => started.resolve(s) });
  const stream = await started.promise;
  const it = stream.chunks()[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await it.next()).value as Buffer).toString(), 'first ');
  second.resolve();
  let rest = '';
  for (let n = await it.next(); !n.done; n = await it.next()) rest += Buffer.from(n.value as Buffer).toString();
  assert.equal(rest, 'second');
  const result = await invoking;
  assert.equal(result.requestId, 'rid-remote-stream');
  assert.equal(stream.error?.errorType, 'Function.ResponseSizeTooLarge');
});

test('an api node that goes away mid-invocation leaves the worker serving: the answer is dropped, nothing crashes', async () => {
  holdGate = deferred();
  const w = c.workers[0]!;
  const leaving = new WorkerSessions(c.apiTls, 2000);
  const before = w.invoker.calls.length;
  const call = callWorker(leaving, target(), { functionName: 'hold', payload: Buffer.alloc(0) }, 'hold:$LATEST');
  while (w.invoker.calls.length === before) await new Promise((r) => setImmediate(r));
  leaving.close();
  assert.equal((await call).kind, 'lost');
  holdGate.resolve();
  while (w.server.busy > 0) await new Promise((r) => setImmediate(r));
  const next = await callWorker(api(), target(), { functionName: 'fn', payload: Buffer.from('{}') }, 'fn:$LATEST');
  assert.equal(next.kind, 'result');
});
