import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlatformLogLines } from '../../src/invoke/platform-log-lines.js';

const AT = Date.UTC(2026, 11, 4, 12, 0, 0, 123);
const REPORT = { requestId: 'r-1', durationMs: 12.3456, billedDurationMs: 13, memorySizeMb: 128, maxMemoryUsedMb: 40 };

test('platform-log-lines: Text is Lambda text, unchanged, and keeps every application line', () => {
  const p = new PlatformLogLines({ LogFormat: 'Text' });
  assert.equal(p.start(AT, 'r-1', '$LATEST'), 'START RequestId: r-1 Version: $LATEST');
  assert.equal(p.end(AT, { requestId: 'r-1', durationMs: 1, status: 'success' }), 'END RequestId: r-1');
  assert.equal(p.report(AT, REPORT), 'REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t');
  // A function error names no Status in Text; a timeout does.
  assert.doesNotMatch(p.report(AT, { ...REPORT, errorType: 'TypeError' })!, /Status|Error Type/);
  assert.match(p.report(AT, { ...REPORT, status: 'timeout', errorType: 'Sandbox.Timedout' })!, /\tStatus: timeout\tError Type: Sandbox.Timedout\t$/);
  assert.equal(p.timeout(AT, 'r-1', 3), '2026-12-04T12:00:00.123Z r-1 Task timed out after 3.00 seconds');
  assert.deepEqual(p.runtimeExited('r-1', 'Runtime exited with error: exit status 3', 'Runtime.ExitError'), ['RequestId: r-1 Error: Runtime exited with error: exit status 3', 'Runtime.ExitError']);
  assert.equal(p.keeps('{"level":"DEBUG"}'), true);
});

test('platform-log-lines: JSON events are {time, type, record}; SystemLogLevel decides which are written', () => {
  const info = new PlatformLogLines({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' });
  assert.equal(info.start(AT, 'r-1', '7'), '{"time":"2026-12-04T12:00:00.123Z","type":"platform.start","record":{"requestId":"r-1","version":"7"}}');
  assert.equal(info.end(AT, { requestId: 'r-1', durationMs: 1, status: 'success' }), undefined);
  assert.deepEqual(JSON.parse(info.report(AT, { ...REPORT, initDurationMs: 100.1234 })!).record, {
    requestId: 'r-1',
    metrics: { durationMs: 12.346, billedDurationMs: 13, memorySizeMB: 128, maxMemoryUsedMB: 40, initDurationMs: 100.123 },
    status: 'success',
  });
  assert.deepEqual(JSON.parse(info.report(AT, { ...REPORT, errorType: 'TypeError' })!).record.status, 'error');
  assert.equal(info.timeout(AT, 'r-1', 3), undefined);
  const debug = new PlatformLogLines({ LogFormat: 'JSON', SystemLogLevel: 'DEBUG' });
  assert.deepEqual(JSON.parse(debug.end(AT, { requestId: 'r-1', durationMs: 2.5, status: 'error', errorType: 'Boom' })!), {
    time: '2026-12-04T12:00:00.123Z', type: 'platform.runtimeDone', record: { requestId: 'r-1', status: 'error', errorType: 'Boom', metrics: { durationMs: 2.5 } },
  });
  const warn = new PlatformLogLines({ LogFormat: 'JSON', SystemLogLevel: 'WARN' });
  assert.deepEqual([warn.start(AT, 'r', '1'), warn.report(AT, REPORT), warn.initReport(AT, { initializationType: 'on-demand', durationMs: 1, status: 'error' })], [undefined, undefined, undefined]);
});

test('platform-log-lines: application lines are at their JSON level (Python names too), anything else at INFO', () => {
  const warn = new PlatformLogLines({ LogFormat: 'JSON', ApplicationLogLevel: 'WARN' });
  assert.deepEqual(
    ['{"level":"INFO"}', '{"level":"warn"}', '{"level":"WARNING"}', '{"level":"CRITICAL"}', '{"log_level":"ERROR"}', 'plain text', '{"level":"nonsense"}', '{broken', '{"msg":"no level"}'].map((l) => warn.keeps(l)),
    [false, true, true, true, true, false, false, false, false],
  );
  const trace = new PlatformLogLines({ LogFormat: 'JSON', ApplicationLogLevel: 'TRACE' });
  assert.equal(trace.keeps('{"level":"TRACE"}'), true);
  assert.equal(new PlatformLogLines({ LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG' }).keeps('{"level":"TRACE"}'), false);
});

test('platform-log-lines: an extension\'s registration is rapid\'s EXTENSION line in Text, platform.extension in JSON', () => {
  const e = { name: 'agent', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] };
  assert.equal(new PlatformLogLines({ LogFormat: 'Text' }).extension(AT, e), 'EXTENSION\tName: agent\tState: Ready\tEvents: [INVOKE,SHUTDOWN]');
  assert.equal(new PlatformLogLines({ LogFormat: 'Text' }).extension(AT, { ...e, events: [] }), 'EXTENSION\tName: agent\tState: Ready\tEvents: []');
  assert.deepEqual(JSON.parse(new PlatformLogLines({ LogFormat: 'JSON' }).extension(AT, e)!), { time: '2026-12-04T12:00:00.123Z', type: 'platform.extension', record: e });
});
