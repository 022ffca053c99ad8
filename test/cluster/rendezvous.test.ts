import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rendezvousOrder } from '../../src/cluster/rendezvous.js';

const id = (s: string) => s;

test('every node computes the same order, whatever order it lists the members in', () => {
  const a = rendezvousOrder('fn:1', ['w1', 'w2', 'w3'], id);
  const b = rendezvousOrder('fn:1', ['w3', 'w1', 'w2'], id);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 3);
});

test('removing a member moves only the keys it was first for', () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `fn-${i}:$LATEST`);
  const before = new Map(keys.map((k) => [k, rendezvousOrder(k, ['w1', 'w2', 'w3'], id)[0]]));
  let moved = 0;
  for (const k of keys) {
    const after = rendezvousOrder(k, ['w1', 'w3'], id)[0];
    if (before.get(k) !== 'w2') assert.equal(after, before.get(k), k);
    else moved++;
  }
  // w2 was first for about a third of the keys; only those moved.
  assert.ok(moved > 500 && moved < 834, `moved ${moved}`);
});

test('keys spread evenly over members', () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const first = rendezvousOrder(`k${i}`, ['a', 'b', 'c'], id)[0]!;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  for (const n of counts.values()) assert.ok(n > 850 && n < 1150, `${[...counts]}`);
});
