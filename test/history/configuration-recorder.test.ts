import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { ConfigurationRecorder, functionNameOf } from '../../src/history/configuration-recorder.js';
import type { FunctionState } from '../../src/history/configuration-item.js';

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'flint-history-'));
  const store = new SqliteMetadataStore(join(dir, 'flint.db'));
  let now = 1_700_000_000_000;
  const states = new Map<string, FunctionState>();
  const recorder = new ConfigurationRecorder({ store, clock: { now: () => now, monotonic: () => now }, accountId: '000000000000', region: 'us-east-1', read: (fn) => states.get(fn) });
  const state = (memory: number, tags: Record<string, string> = {}): FunctionState => ({ configuration: { FunctionName: 'fn', MemorySize: memory }, aliases: [], tags });
  return {
    recorder, states, state,
    tick: (ms = 1000) => { now += ms; },
    close: () => { store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

const call = (operation: string, input: Record<string, unknown>, status = 200) => ({ requestId: `req-${operation}`, service: 'lambda', operation, principal: 'arn:aws:iam::000000000000:root', input, status });

test('configuration recorder: first item ResourceDiscovered, then OK on change, ResourceDeleted (configuration null) on deletion', (t) => {
  const f = fixture();
  t.after(f.close);
  f.states.set('fn', f.state(128));
  f.recorder.onCall(call('CreateFunction', { FunctionName: 'fn' }));
  f.tick();
  f.states.set('fn', f.state(256));
  f.recorder.onCall(call('UpdateFunctionConfiguration', { FunctionName: 'fn' }));
  f.tick();
  f.states.delete('fn');
  f.recorder.onCall(call('DeleteFunction', { FunctionName: 'fn' }));
  const items = f.recorder.history({ resourceId: 'fn', limit: 10, chronologicalOrder: 'Forward' }).items;
  assert.deepEqual(items.map((i) => i.configurationItemStatus), ['ResourceDiscovered', 'OK', 'ResourceDeleted']);
  assert.equal(JSON.parse(items[1]!.configuration!).configuration.MemorySize, 256);
  assert.equal(items[2]!.configuration, null);
  assert.deepEqual(items[1]!.relatedEvents, ['req-UpdateFunctionConfiguration']);
  assert.equal(items[0]!.arn, 'arn:aws:lambda:us-east-1:000000000000:function:fn');
  assert.equal(new Set(items.map((i) => i.configurationStateId)).size, 3);
});

test('configuration recorder: a write that changes nothing, a failed write and a read record no item', (t) => {
  const f = fixture();
  t.after(f.close);
  f.states.set('fn', f.state(128));
  f.recorder.onCall(call('CreateFunction', { FunctionName: 'fn' }));
  f.recorder.onCall(call('UpdateFunctionConfiguration', { FunctionName: 'fn' }));
  f.states.set('fn', f.state(512));
  f.recorder.onCall(call('UpdateFunctionConfiguration', { FunctionName: 'fn' }, 400));
  f.recorder.onCall(call('GetFunction', { FunctionName: 'fn' }));
  f.recorder.onCall(call('Invoke', { FunctionName: 'fn' }));
  assert.equal(f.recorder.history({ resourceId: 'fn', limit: 10 }).items.length, 1);
});

test('configuration recorder: TagResource by ARN records the tags on the item', (t) => {
  const f = fixture();
  t.after(f.close);
  f.states.set('fn', f.state(128));
  f.recorder.onCall(call('CreateFunction', { FunctionName: 'fn' }));
  f.states.set('fn', f.state(128, { team: 'a' }));
  f.recorder.onCall(call('TagResource', { Resource: 'arn:aws:lambda:us-east-1:000000000000:function:fn' }));
  const [newest] = f.recorder.history({ resourceId: 'fn', limit: 1 }).items;
  assert.deepEqual(newest!.tags, { team: 'a' });
});

test('configuration recorder: Reverse is newest first, time bounds are inclusive, pages continue after the token', (t) => {
  const f = fixture();
  t.after(f.close);
  const times: number[] = [];
  for (const m of [128, 256, 512, 1024]) {
    f.states.set('fn', f.state(m));
    const item = f.recorder.record('fn');
    times.push(item!.configurationItemCaptureTime);
    f.tick();
  }
  const rev = f.recorder.history({ resourceId: 'fn', limit: 3 });
  assert.deepEqual(rev.items.map((i) => JSON.parse(i.configuration!).configuration.MemorySize), [1024, 512, 256]);
  const rest = f.recorder.history({ resourceId: 'fn', limit: 3, after: rev.next! });
  assert.deepEqual(rest.items.map((i) => JSON.parse(i.configuration!).configuration.MemorySize), [128]);
  assert.equal(rest.next, undefined);
  const bounded = f.recorder.history({ resourceId: 'fn', limit: 10, earlierTime: times[1]!, laterTime: times[2]!, chronologicalOrder: 'Forward' });
  assert.deepEqual(bounded.items.map((i) => JSON.parse(i.configuration!).configuration.MemorySize), [256, 512]);
});

test('configuration recorder: a name reused after deletion is discovered again; deleted resources listed only on request', (t) => {
  const f = fixture();
  t.after(f.close);
  f.states.set('fn', f.state(128));
  f.recorder.record('fn');
  f.states.delete('fn');
  f.recorder.record('fn');
  assert.deepEqual(f.recorder.discovered({ includeDeleted: false }), []);
  assert.equal(f.recorder.discovered({ includeDeleted: true })[0]!.resourceDeletionTime !== undefined, true);
  f.states.set('fn', f.state(128));
  assert.equal(f.recorder.record('fn')!.configurationItemStatus, 'ResourceDiscovered');
});

test('functionNameOf: the function behind every form of FunctionName and a Lambda ARN Resource', () => {
  const cases: Array<[Record<string, unknown>, string | undefined]> = [
    [{ FunctionName: 'fn' }, 'fn'],
    [{ FunctionName: 'fn:prod' }, 'fn'],
    [{ FunctionName: '000000000000:function:fn' }, 'fn'],
    [{ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:fn:3' }, 'fn'],
    [{ Resource: 'arn:aws:lambda:us-east-1:000000000000:function:fn' }, 'fn'],
    [{ Resource: 'arn:aws:lambda:us-east-1:000000000000:layer:l' }, undefined],
    [{ LayerName: 'l' }, undefined],
  ];
  for (const [input, want] of cases) assert.equal(functionNameOf(input), want, JSON.stringify(input));
});
