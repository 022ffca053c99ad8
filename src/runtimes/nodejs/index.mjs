// Flint's Node.js runtime: loads the handler named by _HANDLER from LAMBDA_TASK_ROOT and serves
// invocations over the Lambda Runtime API (2018-06-01) at AWS_LAMBDA_RUNTIME_API, with the handler
// contract of Lambda's Node.js runtimes: async and callback handlers, the context object,
// callbackWaitsForEmptyEventLoop, console lines `<time>\t<requestId>\t<LEVEL>\t<message>`, and
// Lambda's error types and messages for init and invocation failures.
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import Module, { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { RuntimeApiClient } from './runtime-api-client.mjs';
import { installAwsLambdaGlobal, isStreamingHandler, runStreamingHandler } from './response-streaming.mjs';

const RUNTIME_FILE = path.join(process.env.LAMBDA_RUNTIME_DIR ?? path.dirname(new URL(import.meta.url).pathname), 'index.mjs');
const api = process.env.AWS_LAMBDA_RUNTIME_API ?? '127.0.0.1:9001';

let currentRequestId; // undefined while initializing: Lambda prints "undefined" there too
let initializing = true;

// ---- console: Lambda's text or JSON format (AWS_LAMBDA_LOG_FORMAT), filtered by AWS_LAMBDA_LOG_LEVEL ----
// Text: `<time>\t<requestId>\t<LEVEL>\t<message>`, inner newlines become \r so one call stays one log
// event. JSON: one object per call, `{timestamp, level, requestId, message}` — a single argument is
// the message as a JSON value (an Error as {errorType, errorMessage, stackTrace, ...its own
// properties}; util.format's text if it cannot be serialized), several arguments are util.format's
// text plus errorType/errorMessage/stackTrace of the first Error among them (Lambda's Node.js runtime
// client, LogPatch).
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
let jsonFormat = false;

function textLine(level, args) {
  const msg = util.format(...args).replace(/\n/g, '\r');
  return `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${msg}`;
}

/** An Error as Lambda's JSON records show it; its own enumerable properties follow. */
function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: errorClassName(value),
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

/** The error's class name, as the runtime client reports it (its Runtime.* errors are classes without the prefix). */
function errorClassName(err) {
  if (err instanceof RuntimeError) return err.name.replace(/^Runtime\./, '');
  return err?.constructor?.name ?? 'UnknownError';
}

function jsonLine(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length === 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch {
      record.message = util.format(args[0]);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const err = args.find((a) => a instanceof Error);
  if (err) {
    record.errorType = errorClassName(err);
    record.errorMessage = err.message;
    record.stackTrace = typeof err.stack === 'string' ? err.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

function logLine(level, args) {
  const line = jsonFormat ? jsonLine(level, args).replace(/\n/g, '\r') : textLine(level, args);
  process.stdout.write(line + '\n');
}

// Writes to a socket-backed stdout queue in memory when the reader is slower than the function:
// everything the invocation printed is handed to the kernel before its reply is posted, so the
// log shows it before END.
function flushOutput() {
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) return undefined;
  return Promise.all(
    [process.stdout, process.stderr].map((s) => (s.writableLength > 0 ? new Promise((resolve) => s.write('', resolve)) : undefined)),
  );
}
// Read again after a pre-initialized runtime is bound (its function's variables arrive then).
// Levels below AWS_LAMBDA_LOG_LEVEL become no-ops (unset: everything is written); console.log is
// INFO; console.fatal is added, as Lambda's runtime adds it.
function patchConsole() {
  jsonFormat = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const min = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  // (msg, ...params): console.log() logs `undefined`, as Lambda's runtime does.
  const method = (level) => (LEVELS[level] >= min ? (msg, ...params) => logLine(level, [msg, ...params]) : () => {});
  console.trace = method('TRACE');
  console.debug = method('DEBUG');
  console.info = method('INFO');
  console.log = console.info;
  console.warn = method('WARN');
  console.error = method('ERROR');
  console.fatal = (msg, ...params) => logLine('FATAL', [msg, ...params]);
}
patchConsole();

// ---- Runtime API client (runtime-api-client.mjs) ----
const client = new RuntimeApiClient(api);

function call(method, urlPath, body, errorType) {
  return client.request(method, `/2018-06-01/runtime/${urlPath}`, body, errorType);
}

function request(method, fullPath, body) {
  return client.request(method, fullPath, body);
}

function fatal(message) {
  process.stderr.write(`flint runtime: ${message}\n`);
  process.exit(1);
}

// ---- errors, shaped as Lambda's Node.js runtime reports them ----
// Its stack is the runtime's own, headed `<type>: <message>` (Lambda's traces look the same).
class RuntimeError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

function errorBody(err) {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message, trace: String(err.stack ?? '').split('\n') };
  }
  if (err && typeof err === 'object') {
    return { errorType: err.errorType ?? err.name ?? 'object', errorMessage: err.errorMessage ?? err.message ?? JSON.stringify(err), trace: [] };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

// Text: `<prefix> \t{"errorType","errorMessage","stack"}`; JSON: the error itself as the message of
// an ERROR record (a thrown non-Error becomes an Error of its text), as Lambda's runtime logs them.
function logError(prefix, err) {
  if (jsonFormat) {
    console.error(err instanceof Error ? err : new Error(err));
    return;
  }
  const { errorType, errorMessage, trace } = errorBody(err);
  console.error(`${prefix} \t${JSON.stringify({ errorType, errorMessage, stack: trace })}`);
}

async function postInitError(err) {
  const body = errorBody(err);
  logError('Uncaught Exception', err);
  await flushOutput();
  await call('POST', 'init/error', JSON.stringify(body), body.errorType).catch(() => {});
}

async function postError(requestId, err) {
  const body = errorBody(err);
  await flushOutput();
  await call('POST', `invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(body), body.errorType);
}

// An exception nobody caught ends the environment, as on Lambda: reported against the invocation in
// flight (or the init), then exit 129 (128 for an unhandled rejection).
let inFlight; // request id between /next and the reply
async function crash(prefix, err, code) {
  try {
    if (initializing) await postInitError(err);
    else {
      logError(prefix, err);
      if (inFlight) await postError(inFlight, err).catch(() => {});
    }
  } finally {
    process.exit(code);
  }
}
process.on('uncaughtException', (err) => void crash('Uncaught Exception', err, 129));
process.on('unhandledRejection', (reason) => {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  const err = new RuntimeError('Runtime.UnhandledPromiseRejection', message);
  // Lambda's trace for a rejection carries the reason's own frames under the runtime's header.
  err.stack = `Runtime.UnhandledPromiseRejection: ${message}` + (reason instanceof Error && reason.stack ? reason.stack.slice(String(reason).length) : '');
  void crash('Unhandled Promise Rejection', err, 128);
});

// ---- loading the handler ----
function nearestPackageType(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).type === 'module' ? 'module' : 'commonjs';
    } catch {
      // no (readable) package.json here
    }
    if (d === path.dirname(d)) return 'commonjs';
  }
}

async function loadHandler() {
  const handlerString = process.env._HANDLER ?? '';
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const base = path.basename(handlerString);
  const dot = base.indexOf('.');
  if (dot <= 0) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const moduleName = base.slice(0, dot);
  const propertyPath = base.slice(dot + 1).split('.');
  const moduleRoot = path.resolve(taskRoot, path.dirname(handlerString));
  const stem = path.join(moduleRoot, moduleName);
  const require = createRequire(RUNTIME_FILE);
  let mod;
  try {
    if (fs.existsSync(`${stem}.js`)) {
      mod = nearestPackageType(moduleRoot) === 'module' ? await import(pathToFileURL(`${stem}.js`).href) : require(`${stem}.js`);
    } else if (fs.existsSync(`${stem}.mjs`)) {
      mod = await import(pathToFileURL(`${stem}.mjs`).href);
    } else if (fs.existsSync(`${stem}.cjs`)) {
      mod = require(`${stem}.cjs`);
    } else {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${RUNTIME_FILE}`);
    }
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    if (err instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', String(err));
    if (err && (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_MODULE_NOT_FOUND')) throw new RuntimeError('Runtime.ImportModuleError', String(err));
    throw err;
  }
  let target = mod;
  for (const p of propertyPath) target = target == null ? undefined : target[p];
  if (typeof target !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${base} is undefined or not exported`);
  return target;
}

// ---- running one invocation ----
let beforeExitHook; // runs when the event loop has nothing left to do
process.on('beforeExit', () => {
  const hook = beforeExitHook;
  beforeExitHook = undefined;
  if (hook) hook();
});

function parseJsonHeader(v) {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

function makeContext(headers, settle) {
  const env = process.env;
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  let waits = true;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waits;
    },
    set callbackWaitsForEmptyEventLoop(v) {
      waits = Boolean(v);
    },
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers['lambda-runtime-client-context']),
    identity: parseJsonHeader(headers['lambda-runtime-cognito-identity']),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The legacy completion methods, still present on Lambda's context.
    succeed: (value) => settle(null, value),
    fail: (err) => settle(err ?? new Error('handled')),
    done: (err, value) => settle(err, value),
  };
  return context;
}

function runHandler(handler, event, headers) {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (outcome) => {
      if (finished) return;
      finished = true;
      beforeExitHook = undefined;
      resolve(outcome);
    };
    // callback(err, value): with callbackWaitsForEmptyEventLoop (the default) the reply waits until
    // the event loop is empty, as on Lambda; otherwise it goes at once.
    const settle = (err, value) => {
      const outcome = err !== undefined && err !== null ? { error: err } : { value };
      if (context.callbackWaitsForEmptyEventLoop) beforeExitHook = () => finish(outcome);
      else finish(outcome);
    };
    const context = makeContext(headers, settle);
    // A handler that neither returns a promise nor calls back replies null once the loop is empty.
    beforeExitHook = () => finish({ value: undefined });
    try {
      const ret = handler(event, context, settle);
      if (ret && typeof ret.then === 'function') ret.then((v) => finish({ value: v }), (e) => finish({ error: e ?? new Error('Promise rejected without a reason') }));
    } catch (err) {
      finish({ error: err });
    }
  });
}

// ---- pre-initialized start ("stem cell") ----
// Started before its function was known (FLINT_STEM_KEYS lists the variables Flint started it
// with), the runtime asks Flint which function it now runs, then takes on exactly the environment
// a cold start would have had: the function's variables replace Flint's start variables (what the
// sandbox itself added, such as TMPDIR, stays, as it would on a cold start), the working directory
// becomes the task root and NODE_PATH is read again. Only then is the handler loaded.
async function warmUpModuleLoaders() {
  try {
    await import(new URL('./warm-up/warm-up.mjs', import.meta.url).href);
    createRequire(import.meta.url)('./warm-up/warm-up.cjs');
    // A cold start loads it at the first streaming invocation (response-streaming.mjs); a runtime
    // waiting for its function has the time now, and most handlers' SDKs load it anyway.
    await import('node:http');
  } catch {
    // Only a warm-up: without it the bind is slower, nothing else.
  }
}

async function bindFunction() {
  const startKeys = new Set(process.env.FLINT_STEM_KEYS.split(','));
  let res;
  try {
    // A first round trip, a file import of each module kind, a handler run and the lazily made
    // stdio streams while nothing waits on them: the HTTP client's, the module loaders' and the
    // invocation path's code is compiled now, not during the bind and first invocation a caller
    // waits for.
    await request('POST', '/2018-06-01/flint/ping', JSON.stringify({ warm: true }));
    await warmUpModuleLoaders();
    await runHandler(async () => null, {}, {});
    util.format('%s %d %j %o', { a: [1, 'x', { b: null }] }, 1, { c: 2 }, new Error('warm-up'));
    new Date().toISOString();
    void process.stdout.writableLength;
    void process.stderr.writableLength;
    res = await request('GET', '/2018-06-01/flint/bind');
  } catch (err) {
    fatal(`the Runtime API went away: ${err.message}`);
  }
  if (res.status !== 200) fatal(`GET /2018-06-01/flint/bind answered ${res.status}: ${res.body}`);
  const doc = JSON.parse(res.body.toString('utf8'));
  const kept = {};
  for (const k of Object.keys(process.env)) if (!startKeys.has(k)) kept[k] = process.env[k];
  for (const k of Object.keys(process.env)) delete process.env[k];
  // Flint's CA variables are defaults the sandbox adds: a function's own value wins, as on a cold start.
  for (const k of SANDBOX_DEFAULTS) if (doc.env[k] !== undefined) delete kept[k];
  Object.assign(process.env, doc.env, kept);
  process.chdir(doc.taskRoot);
  Module._initPaths();
  patchConsole();
}

/** Variables the sandbox sets only when the function does not (Flint's CA for TLS). */
const SANDBOX_DEFAULTS = ['AWS_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS'];

async function main() {
  if (process.env.FLINT_STEM_KEYS !== undefined) await bindFunction();
  let handler;
  installAwsLambdaGlobal();
  try {
    handler = await loadHandler();
  } catch (err) {
    await postInitError(err);
    process.exit(129);
  }
  initializing = false;
  for (;;) {
    currentRequestId = undefined;
    let next;
    try {
      next = await call('GET', 'invocation/next');
    } catch (err) {
      fatal(`the Runtime API went away: ${err.message}`);
    }
    if (next.status !== 200) fatal(`GET /runtime/invocation/next answered ${next.status}: ${next.body}`);
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    inFlight = requestId;
    const trace = next.headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8') || 'null');
    } catch (err) {
      await postError(requestId, new RuntimeError('Runtime.UnmarshalError', `Unable to parse event: ${err.message}`));
      inFlight = undefined;
      continue;
    }
    if (isStreamingHandler(handler)) {
      try {
        const context = makeContext(next.headers, () => {});
        await runStreamingHandler({ handler, event, context, requestId, address: api, errorBody, onError: (err) => logError('Invoke Error', err) });
      } catch (err) {
        fatal(`streaming the reply failed: ${err.message}`);
      }
      inFlight = undefined;
      continue;
    }
    const outcome = await runHandler(handler, event, next.headers);
    let body;
    if (!('error' in outcome)) {
      try {
        body = JSON.stringify(outcome.value === undefined ? null : outcome.value);
      } catch (err) {
        outcome.error = err;
      }
    }
    try {
      if ('error' in outcome) {
        logError('Invoke Error', outcome.error);
        await postError(requestId, outcome.error);
      } else {
        await flushOutput();
        await call('POST', `invocation/${encodeURIComponent(requestId)}/response`, body);
      }
    } catch (err) {
      fatal(`posting the reply failed: ${err.message}`);
    }
    inFlight = undefined;
  }
}

void main();
