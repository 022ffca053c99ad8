import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogStore, type LogEvent } from '../../src/observe/log-store.js';
import { logStreamName, reportLine } from '../../src/observe/log-lines.js';

test('logs: stream names follow Lambda (date/[version]hex) and REPORT lines its field layout', () => {
  assert.equal(logStreamName(Date.UTC(2026, 10, 28, 23, 59), '$LATEST', 'ab'.repeat(16)), `2026/11/28/[$LATEST]${'ab'.repeat(16)}`);
  assert.equal(
    reportLine({ requestId: 'r', durationMs: 1.234, billedDurationMs: 2, memorySizeMb: 128, maxMemoryUsedMb: 40, initDurationMs: 100.5 }),
    'REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 100.50 ms\t',
  );
});

test('logs: a stream can be listed, read from an offset and followed until aborted', async () => {
  const root = mkdtempSync(join(tmpdir(), 'flint-logs-'));
  try {
    const store = new LogStore(root);
    const w = store.openStream('fn', '2026/11/28/[1]abc');
    w.append(1, 'first line');
    w.append(2, 'multi\nline\tmessage');
    await w.close();
    assert.deepEqual((await store.listStreams('fn')).map((s) => s.name), ['2026/11/28/[1]abc']);
    assert.deepEqual(await store.listFunctions(), ['fn']);
    const { events, nextOffset } = await store.read('fn', '2026/11/28/[1]abc');
    assert.deepEqual(events, [{ timestamp: 1, message: 'first line' }, { timestamp: 2, message: 'multi\nline\tmessage' }]);
    assert.deepEqual((await store.read('fn', '2026/11/28/[1]abc', nextOffset)).events, []);

    const seen: LogEvent[] = [];
    const ac = new AbortController();
    const following = store.follow('fn', '2026/11/28/[1]abc', (e) => seen.push(e), { signal: ac.signal, pollMs: 10, fromOffset: nextOffset });
    const w2 = store.openStream('fn', '2026/11/28/[1]abc');
    w2.append(3, 'appended later');
    await w2.close();
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await following;
    assert.deepEqual(seen, [{ timestamp: 3, message: 'appended later' }]);
    assert.throws(() => store.openStream('fn', '../escape'), /not a log stream name/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('logs: subscribers see the stream’s log group — the function’s LoggingConfig.LogGroup, else /aws/lambda/<fn>', async () => {
  const root = mkdtempSync(join(tmpdir(), 'flint-logs-'));
  try {
    const store = new LogStore(root);
    const seen: string[] = [];
    store.subscribe((e) => seen.push(`${e.logGroupName} ${e.logStreamName} ${e.message}`));
    const plain = store.openStream('fn', 's/1');
    const custom = store.openStream('fn', 's/2', 'custom/group');
    assert.deepEqual([plain.logGroupName, custom.logGroupName], ['/aws/lambda/fn', 'custom/group']);
    plain.append(1, 'a');
    custom.append(2, 'b');
    await plain.close();
    await custom.close();
    assert.deepEqual(seen, ['/aws/lambda/fn s/1 a', 'custom/group s/2 b']);
    // The files stay under the function's directory.
    assert.deepEqual((await store.listStreams('fn')).map((s) => s.name).sort(), ['s/1', 's/2']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
