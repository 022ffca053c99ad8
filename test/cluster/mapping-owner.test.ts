import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mappingOwner, mappingsFor } from '../../src/cluster/mapping-owner.js';

const uuids = Array.from({ length: 600 }, (_, i) => `0000${i}-7a1e-4c4b-9d7e-${String(i).padStart(12, '0')}`);

test('mapping owner: every mapping has exactly one owner among the live pollers, the same on every node', () => {
  const pollers = ['p1', 'p2', 'p3'];
  const shares = pollers.map((p) => mappingsFor(p, pollers, uuids));
  const all = shares.flat();
  assert.equal(all.length, uuids.length, 'no mapping is run twice');
  assert.deepEqual(new Set(all), new Set(uuids), 'none is left out');
  for (const u of uuids) {
    assert.equal(mappingOwner(u, ['p3', 'p1', 'p2']), mappingOwner(u, pollers), 'the member list order does not matter');
    assert.equal(mappingOwner(u, ['p1', 'p1', 'p2', 'p3']), mappingOwner(u, pollers), 'duplicates do not matter');
  }
  for (const s of shares) assert.ok(s.length > 120 && s.length < 280, `an even spread: ${shares.map((x) => x.length).join(',')}`);
});

test('mapping owner: a single poller runs them all; no live poller means no owner', () => {
  assert.deepEqual(mappingsFor('p1', ['p1'], uuids), uuids);
  assert.equal(mappingOwner(uuids[0]!, []), undefined);
  assert.deepEqual(mappingsFor('p1', [], uuids), []);
  assert.deepEqual(mappingsFor('p9', ['p1', 'p2'], uuids), [], 'a node that is not a live poller owns nothing');
});

test('mapping owner: a poller leaving moves only its own mappings; one joining takes only mappings for itself', () => {
  const before = new Map(uuids.map((u) => [u, mappingOwner(u, ['p1', 'p2', 'p3'])]));
  for (const u of uuids) {
    const left = mappingOwner(u, ['p1', 'p3']);
    if (before.get(u) === 'p2') assert.notEqual(left, 'p2');
    else assert.equal(left, before.get(u), 'untouched by p2 leaving');
    const joined = mappingOwner(u, ['p1', 'p2', 'p3', 'p4']);
    assert.ok(joined === before.get(u) || joined === 'p4', 'moved only to the newcomer');
  }
});
