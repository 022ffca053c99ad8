// Response streaming in Flint's Node.js runtime, as Lambda's Node.js runtimes offer it: the global
// `awslambda` with `streamifyResponse(handler, {highWaterMark})` (marks a handler as streaming) and
// `HttpResponseStream.from(stream, metadata)` (a function URL's status, headers and cookies as a
// JSON prelude, then 8 NUL bytes, then the body). A streaming handler's reply is one chunked POST
// to /runtime/invocation/{id}/response with `Lambda-Runtime-Function-Response-Mode: streaming`;
// a failure after it began travels in the trailers Lambda-Runtime-Function-Error-Type and
// Lambda-Runtime-Function-Error-Body (base64 of the error document).
// node:http is loaded at the first streaming invocation, not at start: compiling it and the
// modules it pulls in was about a quarter of the runtime's start-up CPU, and only streaming
// handlers need it (the Runtime API client speaks HTTP over node:net itself).
let http;
let agent;

// The symbols Lambda's runtime client marks handlers with (shared with aws-lambda-ric via Symbol.for).
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER = new Uint8Array(8);

class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(PRELUDE_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(PRELUDE_DELIMITER);
    };
    return underlyingStream;
  }
}

/** Sets the global `awslambda` (unless AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA is 1/true, as on Lambda). */
export function installAwsLambdaGlobal() {
  const off = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = 'response';
      if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = Math.trunc(options.highWaterMark);
      return handler;
    },
    HttpResponseStream,
  };
}

export function isStreamingHandler(handler) {
  return handler?.[HANDLER_STREAMING] === 'response';
}

/**
 * Runs a streaming handler for one invocation: `handler(event, responseStream, context)`. Resolves
 * once the Runtime API acknowledged the whole stream. `onError(err)` logs a failure (Invoke Error).
 */
export async function runStreamingHandler({ handler, event, context, requestId, address, errorBody, onError }) {
  http ??= (await import('node:http')).default;
  agent ??= new http.Agent({ keepAlive: true, maxSockets: 1 });
  const colon = address.lastIndexOf(':');
  const req = http.request({
    agent,
    host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'),
    port: Number(address.slice(colon + 1)),
    method: 'POST',
    path: `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      'Content-Type': 'application/octet-stream',
    },
    highWaterMark: handler[HANDLER_HIGHWATERMARK],
  });
  const acknowledged = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const stream = responseStreamOf(req);
  const fail = (err) => {
    onError(err);
    if (stream.writableEnded) return;
    const body = errorBody(err);
    req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': body.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    req.end();
  };
  try {
    const ret = handler(event, stream, context);
    if (!ret || typeof ret.then !== 'function') fail(new Error('Streaming does not support non-async handlers.'));
    else {
      const value = await ret;
      if (value !== undefined) console.warn('Streaming handlers ignore return values.');
      if (!stream.writableEnded) fail(new Error('Response stream is not finished.'));
    }
  } catch (err) {
    fail(err ?? new Error('Promise rejected without a reason'));
  }
  await acknowledged;
}

/** The request as the handler's writable stream: writes run the prelude first; setContentType works until the first write. */
function responseStreamOf(req) {
  let written = false;
  const firstWrite = () => {
    if (written) return;
    written = true;
    const before = req._onBeforeFirstWrite;
    if (typeof before === 'function') before((chunk) => origWrite(chunk));
  };
  const origWrite = req.write.bind(req);
  const origEnd = req.end.bind(req);
  req.setContentType = (type) => {
    if (written) throw new Error('Cannot set content-type, too late.');
    req.setHeader('Content-Type', type);
  };
  req.write = (chunk, encoding, cb) => {
    firstWrite();
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    return origWrite(chunk, encoding, cb);
  };
  req.end = (chunk, encoding, cb) => {
    firstWrite();
    if (chunk !== undefined && typeof chunk !== 'function' && typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) chunk = JSON.stringify(chunk);
    return origEnd(chunk, encoding, cb);
  };
  return req;
}
