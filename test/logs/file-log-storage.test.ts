import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLogStorage } from '../../src/store/file-log-storage.js';
import { importLegacyLogs } from '../../src/store/legacy-log-import.js';
import { logStreamName, reportLine } from '../../src/observe/log-lines.js';
import type { LogEventRecord } from '../../src/ports/log-events.js';

function withStorage(fn: (root: string, clock: { t: number }) => Promise<void>) {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'flint-loggroups-'));
    try {
      await fn(root, { t: 1_000_000 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

test('log lines: stream names follow Lambda (date/[version]hex) and REPORT lines its field layout', () => {
  assert.equal(logStreamName(Date.UTC(2026, 10, 28, 23, 59), '$LATEST', 'ab'.repeat(16)), `2026/11/28/[$LATEST]${'ab'.repeat(16)}`);
  assert.equal(
    reportLine({ requestId: 'r', durationMs: 1.234, billedDurationMs: 2, memorySizeMb: 128, maxMemoryUsedMb: 40, initDurationMs: 100.5 }),
    'REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 100.50 ms\t',
  );
});

test('log storage: a writer creates its group and stream; committed lines are in the file before any read', withStorage(async (root, clock) => {
  const store = new FileLogStorage(root, () => clock.t);
  const w = store.openStream('/aws/lambda/fn', '2026/12/04/[$LATEST]abc');
  w.append(5, 'first line');
  w.append(6, 'multi\nline\tmessage');
  w.commit();
  const files = readdirSync(root).flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.log')).map((f) => join(root, d, f)));
  assert.equal(files.length, 1);
  assert.match(readFileSync(files[0]!, 'utf8'), /multi\\nline\\tmessage/, 'commit() wrote the lines (no read flushed them)');
  assert.deepEqual((await store.read('/aws/lambda/fn', '2026/12/04/[$LATEST]abc')).map((e) => [e.timestamp, e.message, e.seq]), [[5, 'first line', 0], [6, 'multi\nline\tmessage', 1]]);
  assert.equal(store.group('/aws/lambda/fn')?.creationTime, clock.t);
  await w.close();
  await store.close();
}));

test('log storage: any valid group and stream names (slashes, [$LATEST], dots) survive a restart, with their metadata', withStorage(async (root, clock) => {
  const a = new FileLogStorage(root, () => clock.t);
  assert.equal(a.createGroup('../..', { team: 'x' }), true);
  assert.equal(a.createGroup('../..', {}), false);
  assert.equal(a.createStream('../..', '../../etc/passwd'), 'created');
  assert.equal(a.createStream('../..', '../../etc/passwd'), 'exists');
  assert.equal(a.createStream('nope', 's'), 'no-group');
  a.put('../..', '../../etc/passwd', [{ timestamp: 10, message: 'a' }, { timestamp: 20, message: 'b' }]);
  a.updateGroup('../..', { retentionInDays: 7 });
  await a.close();
  const b = new FileLogStorage(root, () => clock.t);
  assert.deepEqual(b.group('../..'), { logGroupName: '../..', creationTime: clock.t, retentionInDays: 7, tags: { team: 'x' }, storedBytes: b.group('../..')!.storedBytes });
  const [s] = b.streams('../..')!;
  assert.equal(s!.logStreamName, '../../etc/passwd');
  assert.equal(s!.firstEventTimestamp, 10);
  assert.equal(s!.lastEventTimestamp, 20);
  b.put('../..', '../../etc/passwd', [{ timestamp: 30, message: 'c' }]);
  assert.deepEqual((await b.read('../..', '../../etc/passwd')).map((e) => [e.message, e.seq]), [['a', 0], ['b', 1], ['c', 2]], 'append ordinals continue after a restart');
  await b.close();
}));

test('log storage: a line torn by a crash mid-write is cut off at start-up; later appends start on a line of their own', withStorage(async (root, clock) => {
  const a = new FileLogStorage(root, () => clock.t);
  a.createGroup('g', {});
  a.createStream('g', 's');
  a.put('g', 's', [{ timestamp: 1, message: 'whole' }]);
  await a.close();
  const dir = readdirSync(root)[0]!;
  const file = join(root, dir, readdirSync(join(root, dir)).find((f) => f.endsWith('.log'))!);
  appendFileSync(file, '{"t":2,"n":1,"m":"tor');
  const b = new FileLogStorage(root, () => clock.t);
  b.put('g', 's', [{ timestamp: 3, message: 'after' }]);
  assert.deepEqual((await b.read('g', 's')).map((e) => e.message), ['whole', 'after']);
  await b.close();
}));

test('log storage: every appended event reaches subscribers, function output and put() alike, in order', withStorage(async (root, clock) => {
  const store = new FileLogStorage(root, () => clock.t);
  const seen: LogEventRecord[] = [];
  const off = store.subscribe((e) => seen.push(e));
  store.subscribe(() => { throw new Error('a failing subscriber loses nothing'); });
  const w = store.openStream('/aws/lambda/f', 's1');
  w.append(1, 'from the function');
  store.createStream('/aws/lambda/f', 's2');
  store.put('/aws/lambda/f', 's2', [{ timestamp: 2, message: '{"_aws":{}}' }]);
  off();
  w.append(3, 'not seen');
  assert.deepEqual(seen, [
    { logGroupName: '/aws/lambda/f', logStreamName: 's1', timestamp: 1, message: 'from the function' },
    { logGroupName: '/aws/lambda/f', logStreamName: 's2', timestamp: 2, message: '{"_aws":{}}' },
  ]);
  await w.close();
  assert.equal((await store.read('/aws/lambda/f', 's1')).length, 2);
  await store.close();
}));

test('log storage: lines of concurrent writers to one stream keep their append order', withStorage(async (root, clock) => {
  const store = new FileLogStorage(root, () => clock.t);
  const w = store.openStream('g', 's');
  for (let i = 0; i < 50; i++) {
    w.append(i, `w${i}`);
    if (i % 7 === 0) w.commit();
    if (i % 10 === 0) store.put('g', 's', [{ timestamp: i, message: `p${i}` }]);
  }
  await w.close();
  const msgs = (await store.read('g', 's')).map((e) => e.message);
  const expected: string[] = [];
  for (let i = 0; i < 50; i++) {
    expected.push(`w${i}`);
    if (i % 10 === 0) expected.push(`p${i}`);
  }
  assert.deepEqual(msgs, expected);
  await store.close();
}));

test('log storage: deleting a group removes its files; an open writer re-creates it with its next line', withStorage(async (root, clock) => {
  const store = new FileLogStorage(root, () => clock.t);
  const w = store.openStream('/aws/lambda/d', 's');
  w.append(1, 'before');
  w.commit();
  assert.equal(store.deleteGroup('/aws/lambda/d'), true);
  assert.equal(store.deleteGroup('/aws/lambda/d'), false);
  assert.equal(readdirSync(root).length, 0);
  w.append(2, 'after');
  w.commit();
  assert.deepEqual((await store.read('/aws/lambda/d', 's')).map((e) => e.message), ['after']);
  await w.close();
  await store.close();
}));

test('log storage: expire() drops events older than the cut-off, compacts files and removes emptied streams', withStorage(async (root, clock) => {
  const store = new FileLogStorage(root, () => clock.t);
  store.createGroup('g', {});
  store.createStream('g', 'old');
  store.createStream('g', 'mixed');
  store.put('g', 'old', [{ timestamp: 100, message: 'x'.repeat(1000) }]);
  store.put('g', 'mixed', [{ timestamp: 100, message: 'y'.repeat(1000) }, { timestamp: 200, message: 'new' }]);
  const w = store.openStream('g', 'mixed');
  const sizeBefore = store.group('g')!.storedBytes;
  const r = await store.expire('g', 150);
  assert.deepEqual(r, { removedEvents: 2, removedStreams: 1 });
  assert.deepEqual(store.streams('g')!.map((s) => s.logStreamName), ['mixed']);
  assert.deepEqual((await store.read('g', 'mixed')).map((e) => [e.message, e.seq]), [['new', 1]]);
  assert.ok(store.group('g')!.storedBytes < sizeBefore / 10);
  const dir = join(root, readdirSync(root)[0]!);
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.log')).every((f) => statSync(join(dir, f)).size < 200), 'the file itself shrank');
  w.append(300, 'still writing');
  await w.close();
  assert.deepEqual((await store.read('g', 'mixed')).map((e) => e.message), ['new', 'still writing']);
  await store.close();
}));

test('log storage: logs of a Flint from before the logs API are imported once into /aws/lambda/<fn> groups', withStorage(async (root, clock) => {
  const old = join(root, 'old-logs');
  mkdirSync(join(old, 'fn', '2026', '11', '28'), { recursive: true });
  writeFileSync(join(old, 'fn', '2026', '11', '28', '[$LATEST]abc'), '{"t":1,"m":"START RequestId: r"}\n{"t":2,"m":"hello"}\n{"t":3,"m":"tor');
  const store = new FileLogStorage(join(root, 'groups'), () => clock.t);
  assert.deepEqual(importLegacyLogs(old, store), { streams: 1, events: 2 });
  assert.deepEqual((await store.read('/aws/lambda/fn', '2026/11/28/[$LATEST]abc')).map((e) => [e.timestamp, e.message]), [[1, 'START RequestId: r'], [2, 'hello']]);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(old + '.imported'), true);
  await store.close();
}));
