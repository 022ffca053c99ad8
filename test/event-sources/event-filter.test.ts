import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventFilter } from '../../src/event-sources/event-filter.js';

const f = (...patterns: unknown[]) => EventFilter.parse(patterns.map((p) => ({ Pattern: typeof p === 'string' ? p : JSON.stringify(p) })))!;

test('event filter: exact values, nested objects, OR across filters and values', () => {
  const filter = f({ body: { kind: ['order', 'refund'], meta: { region: ['eu'] } } }, { body: { urgent: [true] } });
  assert.equal(filter.matches({ body: { kind: 'order', meta: { region: 'eu' } } }), true);
  assert.equal(filter.matches({ body: { kind: 'order', meta: { region: 'us' } } }), false);
  assert.equal(filter.matches({ body: { kind: 'x', urgent: true } }), true);
  assert.equal(filter.matches({ body: 'plain text' }), false);
});

test('event filter: prefix, suffix, anything-but, equals-ignore-case, wildcard', () => {
  assert.equal(f({ body: { id: [{ prefix: 'ab' }] } }).matches({ body: { id: 'abc' } }), true);
  assert.equal(f({ body: { id: [{ prefix: 'ab' }] } }).matches({ body: { id: 'xabc' } }), false);
  assert.equal(f({ body: { id: [{ suffix: '.png' }] } }).matches({ body: { id: 'a.png' } }), true);
  assert.equal(f({ body: { s: [{ 'anything-but': ['a', 'b'] }] } }).matches({ body: { s: 'c' } }), true);
  assert.equal(f({ body: { s: [{ 'anything-but': ['a', 'b'] }] } }).matches({ body: { s: 'a' } }), false);
  assert.equal(f({ body: { s: [{ 'anything-but': { prefix: 'tmp' } }] } }).matches({ body: { s: 'tmp1' } }), false);
  assert.equal(f({ body: { s: [{ 'equals-ignore-case': 'HeLLo' }] } }).matches({ body: { s: 'hello' } }), true);
  assert.equal(f({ body: { s: [{ wildcard: 'a*c' }] } }).matches({ body: { s: 'abbbc' } }), true);
  // a plain-text body is matched as a string
  assert.equal(f({ body: [{ prefix: 'this is' }] }).matches({ body: 'this is a test string' }), true);
});

test('event filter: numeric ranges and exists', () => {
  const range = f({ body: { n: [{ numeric: ['>', 0, '<=', 5] }] } });
  assert.equal(range.matches({ body: { n: 5 } }), true);
  assert.equal(range.matches({ body: { n: 0 } }), false);
  assert.equal(range.matches({ body: { n: '3' } }), false);
  assert.equal(f({ body: { x: [{ exists: true }] } }).matches({ body: { x: 1 } }), true);
  assert.equal(f({ body: { x: [{ exists: true }] } }).matches({ body: {} }), false);
  assert.equal(f({ body: { x: [{ exists: false }] } }).matches({ body: {} }), true);
  // array fields match when any element matches
  assert.equal(f({ body: { tags: ['b'] } }).matches({ body: { tags: ['a', 'b'] } }), true);
  assert.equal(f({ $or: [{ body: { a: [1] } }, { body: { b: [2] } }] }).matches({ body: { b: 2 } }), true);
});

test("event filter: invalid patterns answer Lambda's 'Invalid filter pattern definition.'", () => {
  for (const bad of ['simple string', 'null', '{"body": "x"}', '{"body": []}', '{"body": [{"numeric": [">", "a"]}]}', '{"body": [{"nope": 1}]}', '{}', '[1]']) {
    assert.throws(() => f(bad), (err: Error & { type?: string }) => err.type === 'InvalidParameterValueException' && err.message === 'Invalid filter pattern definition.', bad);
  }
});
