import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expired, place, provisionPlan, type EnvironmentView } from '../../src/invoke/placement.js';

const env = (id: string, o: Partial<EnvironmentView> = {}): EnvironmentView => ({ id, state: 'Ready', claimed: false, provisioned: false, createdAt: 0, lastUsedAt: 0, ...o });

test('placement: picks the most recently used idle environment (a warm start)', () => {
  const d = place([env('a', { lastUsedAt: 10 }), env('b', { lastUsedAt: 30 }), env('c', { lastUsedAt: 20 })], { provisioned: false });
  assert.deepEqual(d, { kind: 'warm', id: 'b' });
});

test('placement: never hands out a claimed, starting, stopping or failed environment', () => {
  const envs = [env('a', { claimed: true }), env('b', { state: 'Starting' }), env('c', { state: 'Stopping' }), env('d', { state: 'Failed' })];
  assert.deepEqual(place(envs, { provisioned: false }), { kind: 'cold' });
});

test('placement: waits for an environment finishing its previous invocation before starting a new one', () => {
  assert.deepEqual(place([env('a', { state: 'Invoking' })], { provisioned: false }), { kind: 'await', id: 'a' });
  assert.deepEqual(place([env('a', { state: 'Invoking', claimed: true })], { provisioned: false }), { kind: 'cold' });
});

test('placement: provisioned leases prefer provisioned environments, on-demand leases on-demand ones', () => {
  const envs = [env('od', { lastUsedAt: 50 }), env('pc', { provisioned: true, lastUsedAt: 10 })];
  assert.deepEqual(place(envs, { provisioned: true }), { kind: 'warm', id: 'pc' });
  assert.deepEqual(place(envs, { provisioned: false }), { kind: 'warm', id: 'od' });
  assert.deepEqual(place([env('pc', { provisioned: true })], { provisioned: false }), { kind: 'warm', id: 'pc' });
});

test('placement: idle on-demand environments expire after the idle timeout; provisioned ones only at max lifetime', () => {
  const limits = { idleTimeoutMs: 100, maxLifetimeMs: 1000 };
  const envs = [
    env('fresh', { lastUsedAt: 950, createdAt: 900 }),
    env('idle', { lastUsedAt: 800, createdAt: 700 }),
    env('busy-old', { state: 'Invoking', createdAt: 0, lastUsedAt: 0 }),
    env('prov-idle', { provisioned: true, lastUsedAt: 0, createdAt: 500 }),
    env('prov-old', { provisioned: true, lastUsedAt: 990, createdAt: 0 }),
  ];
  assert.deepEqual(expired(envs, 1000, limits), ['idle', 'prov-old']);
});

test('placement: provisioning plans the missing environments and retires the newest idle surplus', () => {
  assert.deepEqual(provisionPlan([env('a', { provisioned: true }), env('b', { provisioned: true, state: 'Starting' })], 5), { start: 3, retire: [] });
  const many = [env('a', { provisioned: true, createdAt: 1 }), env('b', { provisioned: true, createdAt: 3 }), env('c', { provisioned: true, createdAt: 2, state: 'Invoking' })];
  assert.deepEqual(provisionPlan(many, 1), { start: 0, retire: ['b', 'a'] });
  assert.deepEqual(provisionPlan([env('x', { provisioned: true, state: 'Failed' })], 1), { start: 1, retire: [] });
});

test('placement: the runtime that just replied (most recent of all) is preferred over idle ones used earlier, with an idle one to fall back on', () => {
  const envs = [env('idle', { lastUsedAt: 10 }), env('replied', { state: 'Invoking', lastUsedAt: 20 })];
  assert.deepEqual(place(envs, { provisioned: false }), { kind: 'await', id: 'replied', idleAlternative: true });
  // An idle one used more recently still wins (it is Ready now).
  assert.deepEqual(place([env('idle', { lastUsedAt: 30 }), env('replied', { state: 'Invoking', lastUsedAt: 20 })], { provisioned: false }), { kind: 'warm', id: 'idle' });
  // A provisioned lease does not trade its provisioned idle environment for an on-demand one finishing.
  assert.deepEqual(place([env('pc', { provisioned: true, lastUsedAt: 10 }), env('od', { state: 'Invoking', lastUsedAt: 20 })], { provisioned: true }), { kind: 'warm', id: 'pc' });
});
