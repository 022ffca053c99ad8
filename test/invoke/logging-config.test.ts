import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { body, deploy, invoke, tail, waitActive, type DeployOptions } from './fixture-functions.js';
import type { LogEventRecord } from '../../src/ports/log-events.js';

/*
 * LoggingConfig applied end to end, in the unisolated process sandbox and in bwrap, for Flint's
 * Node.js and Python runtimes. The shapes are those of Lambda's managed runtimes and platform:
 * Node.js records {timestamp, level, requestId, message} (+ errorType/errorMessage/stackTrace),
 * Python records {timestamp, level, message, logger, [stackTrace, errorType, errorMessage],
 * requestId, [location], extras} (the runtime interface clients' LogPatch.js and
 * lambda_runtime_log_utils.py), platform events {time, type, record} with the Telemetry API's
 * record fields, filtered by SystemLogLevel; AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL set
 * for JSON functions only.
 */

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
type Runtime = 'nodejs' | 'python';
const RUNTIMES: Runtime[] = ['nodejs', 'python'];

for (const sandbox of ['process', 'bwrap'] as const) describe(`logging-config in the ${sandbox} sandbox`, () => {
  let h: Harness | undefined;
  let skip: string | false = false;
  const events: LogEventRecord[] = [];

  const fn = (runtime: Runtime, what: string) => `lc-${sandbox}-${runtime}-${what}`;

  before(async () => {
    try {
      h = await startHarness({ sandbox });
    } catch (err) {
      if (sandbox === 'process' || (process.env['CI'] === 'true' && process.getuid?.() === 0)) throw err;
      skip = `the bwrap sandbox is not available here: ${(err as Error).message}`;
      return;
    }
    h.app.dataPlane.logs.subscribe((e) => events.push(e));
    const deployments: DeployOptions[] = [];
    for (const runtime of RUNTIMES) {
      deployments.push(
        { name: fn(runtime, 'json'), scenario: 'log-levels', runtime, logging: { LogFormat: 'JSON' } },
        { name: fn(runtime, 'debug'), scenario: 'log-levels', runtime, logging: { LogFormat: 'JSON', ApplicationLogLevel: 'TRACE', SystemLogLevel: 'DEBUG' } },
        { name: fn(runtime, 'quiet'), scenario: 'log-levels', runtime, logging: { LogFormat: 'JSON', ApplicationLogLevel: 'ERROR', SystemLogLevel: 'WARN' } },
        { name: fn(runtime, 'text'), scenario: 'log-levels', runtime },
        { name: fn(runtime, 'group'), scenario: 'log-levels', runtime, logging: { LogFormat: 'JSON', LogGroup: `custom/${sandbox}-${runtime}` } },
      );
    }
    for (const d of deployments) await deploy(h, d);
  });
  after(async () => { await h?.stop(); });

  /** The invocation's lines (LogType Tail), each JSON line parsed. */
  const records = (log: string) => log.split('\n').filter(Boolean).map((l) => (l.startsWith('{') ? JSON.parse(l) : l));
  const app = (rs: any[]) => rs.filter((r) => typeof r === 'string' || (r.type === undefined));

  // First, while the pool of pre-initialized runtimes is fresh.
  for (const runtime of RUNTIMES) {
    test(`logging-config/${sandbox}/${runtime}: a pre-initialized runtime bound to a JSON function logs JSON at its level`, async (t) => {
      if (skip) return t.skip(skip);
      if (!h!.app.dataPlane.features.preInitialized) return t.skip('this driver offers no pre-initialized runtimes');
      // A cold start of a Text function makes the key (runtime, 256 MB) known; the pool then starts a runtime for it.
      await deploy(h!, { name: fn(runtime, 'stem-text'), scenario: 'log-levels', runtime, memory: 256 });
      await invoke(h!, fn(runtime, 'stem-text'), {});
      // Under load a waiting runtime may take a while (or the pool backs off after runtimes that died).
      const key = `${runtime}/256/512`;
      const ready = () => h!.app.dataPlane.prewarm.sizes().some((x) => x.key === key && x.ready > 0);
      for (let waited = 0; waited < 20_000 && !ready(); waited += 200) await new Promise((r) => setTimeout(r, 200));
      if (!ready()) return t.skip(`no pre-initialized ${key} runtime became ready: ${JSON.stringify(h!.app.dataPlane.prewarm.sizes())}`);
      const name = fn(runtime, 'stem-json');
      await deploy(h!, { name, scenario: 'log-levels', runtime, memory: 256, logging: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG' } });
      const r = await invoke(h!, name, {}, { LogType: 'Tail' });
      assert.equal(h!.app.dataPlane.pool.environments(name, '$LATEST')[0]!.env.preInitialized, true);
      assert.deepEqual(body(r), { format: 'JSON', level: 'DEBUG', group: `/aws/lambda/${name}` });
      const levels = app(records(tail(r))).map((x) => (typeof x === 'string' ? 'text' : x.level));
      assert.deepEqual(levels, runtime === 'nodejs' ? ['DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL', 'text'] : ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'text']);
    });
  }

  for (const runtime of RUNTIMES) {
    test(`logging-config/${sandbox}/${runtime}: JSON at INFO — JSON records, platform.start and platform.report, the variables`, async (t) => {
      if (skip) return t.skip(skip);
      const name = fn(runtime, 'json');
      const r = await invoke(h!, name, {}, { LogType: 'Tail' });
      const id = r.$metadata.requestId!;
      assert.deepEqual(body(r), { format: 'JSON', level: 'INFO', group: `/aws/lambda/${name}` });
      const rs = records(tail(r));
      assert.deepEqual(Object.keys(rs[0]), ['time', 'type', 'record']);
      assert.match(rs[0].time, ISO_MS);
      assert.deepEqual([rs[0].type, rs[0].record], ['platform.start', { requestId: id, version: '$LATEST' }]);
      const report = rs.at(-1);
      assert.equal(report.type, 'platform.report');
      assert.deepEqual(Object.keys(report.record), ['requestId', 'metrics', 'status']);
      assert.equal(report.record.requestId, id);
      assert.equal(report.record.status, 'success');
      assert.deepEqual(Object.keys(report.record.metrics), ['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB', 'initDurationMs']);
      assert.equal(report.record.metrics.memorySizeMB, 128);
      assert.ok(Number.isInteger(report.record.metrics.billedDurationMs));
      // No END line and no DEBUG-level platform.runtimeDone at the default SystemLogLevel INFO.
      assert.ok(!rs.some((x) => x === `END RequestId: ${id}` || x.type === 'platform.runtimeDone'));
      const lines = app(rs);
      if (runtime === 'nodejs') {
        assert.deepEqual(lines.map((x) => (typeof x === 'string' ? x : x.level)), ['INFO', 'INFO', 'WARN', 'ERROR', 'FATAL', 'raw stdout line']);
        const [info, log, warn, error, fatal] = lines;
        assert.deepEqual(Object.keys(info), ['timestamp', 'level', 'requestId', 'message']);
        assert.match(info.timestamp, ISO_MS);
        assert.deepEqual({ ...info, timestamp: 0 }, { timestamp: 0, level: 'INFO', requestId: id, message: 'info-msg' });
        assert.equal(log.message, 'log-msg 42 { a: 1 }');
        // A single object argument stays a JSON value.
        assert.deepEqual(warn.message, { warned: true, list: [1, 2] });
        assert.deepEqual(Object.keys(error), ['timestamp', 'level', 'requestId', 'message', 'errorType', 'errorMessage', 'stackTrace']);
        assert.match(error.message, /^error-msg TypeError: bad type\n {4}at /);
        assert.deepEqual([error.errorType, error.errorMessage, error.stackTrace[0]], ['TypeError', 'bad type', 'TypeError: bad type']);
        assert.equal(fatal.message, 'fatal-msg');
      } else {
        assert.deepEqual(lines.map((x) => (typeof x === 'string' ? x : x.level)), ['INFO', 'WARNING', 'ERROR', 'plain print']);
        const [info, warn, error] = lines;
        assert.deepEqual(Object.keys(info), ['timestamp', 'level', 'message', 'logger', 'requestId']);
        assert.match(info.timestamp, ISO_MS);
        assert.deepEqual({ ...info, timestamp: 0 }, { timestamp: 0, level: 'INFO', message: 'info-msg 42', logger: 'app', requestId: id });
        // `extra` fields follow the standard ones.
        assert.deepEqual(Object.keys(warn), ['timestamp', 'level', 'message', 'logger', 'requestId', 'orderId']);
        assert.equal(warn.orderId, 'o-1');
        assert.deepEqual(Object.keys(error), ['timestamp', 'level', 'message', 'logger', 'stackTrace', 'errorType', 'errorMessage', 'requestId', 'location']);
        assert.deepEqual([error.message, error.errorType, error.errorMessage], ['error-msg', 'ValueError', 'bad value']);
        assert.match(error.stackTrace[0], /handler\.py", line \d+, in handler/);
        assert.match(error.location, /handler\.py:handler:\d+$/);
      }
    });

    test(`logging-config/${sandbox}/${runtime}: the stream starts with platform.initStart; a warm invocation reports no initDurationMs`, async (t) => {
      if (skip) return t.skip(skip);
      const name = fn(runtime, 'json');
      const warm = records(tail(await invoke(h!, name, {}, { LogType: 'Tail' })));
      assert.deepEqual(Object.keys(warm.at(-1).record.metrics), ['durationMs', 'billedDurationMs', 'memorySizeMB', 'maxMemoryUsedMB']);
      const init = events.find((e) => e.logGroupName === `/aws/lambda/${name}` && e.message.includes('platform.initStart'));
      assert.ok(init, 'platform.initStart written');
      const rec = JSON.parse(init.message);
      assert.equal(rec.type, 'platform.initStart');
      assert.deepEqual(Object.keys(rec.record), ['initializationType', 'phase', 'runtimeVersion', 'runtimeVersionArn', 'functionName', 'functionVersion']);
      assert.deepEqual([rec.record.initializationType, rec.record.phase, rec.record.functionName, rec.record.functionVersion], ['on-demand', 'init', name, '$LATEST']);
    });

    test(`logging-config/${sandbox}/${runtime}: TRACE/DEBUG levels show debug records and platform.runtimeDone`, async (t) => {
      if (skip) return t.skip(skip);
      const r = await invoke(h!, fn(runtime, 'debug'), {}, { LogType: 'Tail' });
      assert.deepEqual(body(r).level, 'TRACE');
      const rs = records(tail(r));
      const levels = app(rs).map((x) => (typeof x === 'string' ? 'text' : x.level));
      // Python has no TRACE: Lambda's Python runtime maps it to DEBUG.
      assert.deepEqual(levels, runtime === 'nodejs' ? ['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL', 'text'] : ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'text']);
      const done = rs.find((x) => x.type === 'platform.runtimeDone');
      assert.ok(done, 'platform.runtimeDone at DEBUG');
      assert.deepEqual([done.record.requestId, done.record.status], [r.$metadata.requestId, 'success']);
      assert.deepEqual(rs.filter((x) => x.type).map((x) => x.type), ['platform.start', 'platform.runtimeDone', 'platform.report']);
    });

    test(`logging-config/${sandbox}/${runtime}: ERROR application and WARN system levels leave only errors`, async (t) => {
      if (skip) return t.skip(skip);
      const r = await invoke(h!, fn(runtime, 'quiet'), {}, { LogType: 'Tail' });
      assert.equal(body(r).level, 'ERROR');
      const rs = records(tail(r));
      // No platform record at WARN; plain output counts as INFO and is filtered too.
      assert.deepEqual(rs.map((x) => x.level), runtime === 'nodejs' ? ['ERROR', 'FATAL'] : ['ERROR']);
      // A failure is still logged (ERROR) and reported to the caller.
      const failed = await invoke(h!, fn(runtime, 'quiet'), { fail: true }, { LogType: 'Tail' });
      assert.equal(failed.FunctionError, 'Unhandled');
      const last = records(tail(failed)).at(-1);
      if (runtime === 'nodejs') {
        assert.equal(last.level, 'ERROR');
        assert.deepEqual([last.message.errorType, last.message.errorMessage, last.message.stackTrace[0]], ['RangeError', 'boom', 'RangeError: boom']);
      } else {
        assert.deepEqual(Object.keys(last), ['timestamp', 'log_level', 'errorMessage', 'errorType', 'requestId', 'stackTrace']);
        assert.deepEqual([last.log_level, last.errorType, last.errorMessage, last.requestId], ['ERROR', 'RuntimeError', 'boom', failed.$metadata.requestId]);
        assert.match(last.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
    });

    test(`logging-config/${sandbox}/${runtime}: a JSON function's failure is an ERROR record and a report with status error`, async (t) => {
      if (skip) return t.skip(skip);
      const r = await invoke(h!, fn(runtime, 'json'), { fail: true }, { LogType: 'Tail' });
      const rs = records(tail(r));
      const report = rs.at(-1);
      assert.deepEqual([report.type, report.record.status, report.record.errorType], ['platform.report', 'error', runtime === 'nodejs' ? 'RangeError' : 'RuntimeError']);
      const logged = rs.at(-2);
      if (runtime === 'nodejs') assert.deepEqual([logged.level, logged.message.errorType, logged.message.errorMessage], ['ERROR', 'RangeError', 'boom']);
      else assert.deepEqual([logged.log_level, logged.errorType], ['ERROR', 'RuntimeError']);
    });

    test(`logging-config/${sandbox}/${runtime}: Text stays Lambda's text format with no log-format variables`, async (t) => {
      if (skip) return t.skip(skip);
      const r = await invoke(h!, fn(runtime, 'text'), {}, { LogType: 'Tail' });
      const id = r.$metadata.requestId!;
      assert.deepEqual(body(r), { format: null, level: null, group: `/aws/lambda/${fn(runtime, 'text')}` });
      const lines = tail(r).split('\n');
      assert.equal(lines[0], `START RequestId: ${id} Version: $LATEST`);
      assert.equal(lines.at(-3), `END RequestId: ${id}`);
      assert.match(lines.at(-2)!, new RegExp(`^REPORT RequestId: ${id}\\tDuration: `));
      assert.ok(!lines.some((l) => l.startsWith('{')));
      if (runtime === 'nodejs') {
        // Every console level is written in Text (no AWS_LAMBDA_LOG_LEVEL).
        assert.deepEqual(lines.slice(1, 8).map((l) => l.split('\t')[2]), ['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL']);
        assert.match(lines[2]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tDEBUG\\tdebug-msg$`));
      } else {
        // The root logger stays at WARNING in Text.
        assert.match(lines[1]!, new RegExp(`^\\[WARNING\\]\\t[\\dT:.-]+Z\\t${id}\\twarn-msg$`));
        assert.match(lines[2]!, /^\[ERROR\]\t.*\terror-msg\rTraceback \(most recent call last\):/);
        assert.equal(lines[3], 'plain print');
      }
    });

    test(`logging-config/${sandbox}/${runtime}: a custom LogGroup is the function's group`, async (t) => {
      if (skip) return t.skip(skip);
      const name = fn(runtime, 'group');
      const group = `custom/${sandbox}-${runtime}`;
      const r = await invoke(h!, name, {});
      assert.equal(body(r).group, group);
      const mine = events.filter((e) => e.message.includes(r.$metadata.requestId!));
      assert.ok(mine.length > 0);
      assert.deepEqual([...new Set(mine.map((e) => e.logGroupName))], [group]);
      // Through the CloudWatch Logs API: the lines are in the custom group, none in /aws/lambda/<fn>.
      const logs = new CloudWatchLogsClient({ endpoint: h!.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      try {
        const found = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${r.$metadata.requestId}"` }));
        assert.ok(found.events!.some((e) => e.message!.includes('"type":"platform.report"')));
        const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${name}` }));
        assert.deepEqual(groups.logGroups, []);
      } finally {
        logs.destroy();
      }
    });

    test(`logging-config/${sandbox}/${runtime}: UpdateFunctionConfiguration to JSON takes effect at the next invocation`, async (t) => {
      if (skip) return t.skip(skip);
      const name = fn(runtime, 'switch');
      await deploy(h!, { name, scenario: 'log-levels', runtime });
      assert.equal(body(await invoke(h!, name, {})).format, null);
      await h!.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN' } }));
      await waitActive(h!, name);
      const r = await invoke(h!, name, {}, { LogType: 'Tail' });
      assert.equal(body(r).format, 'JSON');
      const rs = records(tail(r));
      assert.ok(rs.every((x) => typeof x === 'string' || x.type === undefined), 'no platform records at WARN');
      assert.ok(rs.some((x) => x.level === 'INFO'));
    });

  }

  // Last: crashing runtimes make the pre-initialized pool back off, which the test above needs.
  test(`logging-config/${sandbox}: timeouts, crashes and failed inits of a JSON function are platform records, not text lines`, async (t) => {
    if (skip) return t.skip(skip);
    const logging = { LogFormat: 'JSON' as const };
    const timeout = fn('nodejs', 'timeout');
    await deploy(h!, { name: timeout, scenario: 'timeout', runtime: 'nodejs', timeout: 1, logging });
    const timedOut = records(tail(await invoke(h!, timeout, { ms: 5000 }, { LogType: 'Tail' })));
    assert.ok(timedOut.every((x) => typeof x === 'object'), 'only JSON lines');
    assert.deepEqual([timedOut.at(-1).type, timedOut.at(-1).record.status, timedOut.at(-1).record.errorType], ['platform.report', 'timeout', 'Sandbox.Timedout']);

    const crash = fn('nodejs', 'crash');
    await deploy(h!, { name: crash, scenario: 'crash', runtime: 'nodejs', logging });
    const exited = records(tail(await invoke(h!, crash, { how: 'exit', code: 3 }, { LogType: 'Tail' })));
    assert.ok(exited.every((x) => typeof x === 'object'), 'only JSON lines');
    assert.deepEqual([exited.at(-1).record.status, exited.at(-1).record.errorType], ['error', 'Runtime.ExitError']);
    const uncaught = records(tail(await invoke(h!, crash, { how: 'uncaught' }, { LogType: 'Tail' })));
    const logged = uncaught.find((x) => x.level === 'ERROR');
    assert.deepEqual([logged.message.errorType, logged.message.errorMessage], ['Error', 'thrown from a timer']);
    const rejected = records(tail(await invoke(h!, crash, { how: 'rejection' }, { LogType: 'Tail' })));
    const rejection = rejected.find((x) => x.level === 'ERROR');
    assert.deepEqual([rejection.message.errorType, rejection.message.errorMessage], ['UnhandledPromiseRejection', 'Error: nobody handles this']);

    const init = fn('nodejs', 'init');
    await deploy(h!, { name: init, scenario: 'init-error', runtime: 'nodejs', handler: 'throws.handler', logging });
    const failed = await invoke(h!, init, {}, { LogType: 'Tail' });
    assert.equal(failed.FunctionError, 'Unhandled');
    const initReport = events.find((e) => e.logGroupName === `/aws/lambda/${init}` && e.message.includes('platform.initReport'));
    assert.ok(initReport);
    const rec = JSON.parse(initReport.message).record;
    assert.deepEqual([rec.initializationType, rec.phase, rec.status, rec.errorType], ['on-demand', 'init', 'error', 'Error']);
    assert.deepEqual(Object.keys(rec.metrics), ['durationMs']);
    const initLog = events.find((e) => e.logGroupName === `/aws/lambda/${init}` && e.message.includes('Runtime startup fails'));
    assert.deepEqual(JSON.parse(initLog!.message).message.errorMessage, 'Runtime startup fails');
  });
});
