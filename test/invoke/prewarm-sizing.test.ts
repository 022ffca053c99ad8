import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prewarmTarget, stemKeyFor, type PrewarmSizingInput } from '../../src/invoke/prewarm-sizing.js';
import type { FunctionConfiguration } from '../../src/domain/records.js';

const NOW = 1_000_000;
const sizing = (o: Partial<PrewarmSizingInput>): number =>
  prewarmTarget({ base: 1, max: 8, now: NOW, coldStarts: [NOW - 1000], windowMs: 60_000, refillMs: 100, idleMs: 600_000, ...o });

test('prewarm sizing: keeps none when turned off (base 0) whatever the demand', () => {
  assert.equal(sizing({ base: 0, coldStarts: Array.from({ length: 500 }, () => NOW - 10) }), 0);
});

test('prewarm sizing: keeps none for a key that never cold-started or has been idle for idleMs', () => {
  assert.equal(sizing({ coldStarts: [] }), 0);
  assert.equal(sizing({ coldStarts: [NOW - 600_000] }), 0);
  assert.equal(sizing({ coldStarts: [NOW - 599_999] }), 1);
});

test('prewarm sizing: keeps the configured base while cold starts are rare', () => {
  assert.equal(sizing({ base: 1, coldStarts: [NOW - 5000, NOW - 20_000] }), 1);
  assert.equal(sizing({ base: 2, coldStarts: [NOW - 5000] }), 2);
});

test('prewarm sizing: grows with the cold-start rate times the refill time (twice the starts expected during one refill)', () => {
  // 1200 cold starts in the last minute = 20/s; a 200 ms refill sees 4 of them: keep 8.
  const busy = Array.from({ length: 1200 }, (_, i) => NOW - i * 50);
  assert.equal(sizing({ coldStarts: busy, refillMs: 200, max: 100 }), 8);
  // 10/s, 100 ms refill: 1 expected, keep 2.
  assert.equal(sizing({ coldStarts: Array.from({ length: 600 }, (_, i) => NOW - i * 100), refillMs: 100 }), 2);
});

test('prewarm sizing: never keeps more than max, and old cold starts stop counting towards the rate', () => {
  const busy = Array.from({ length: 6000 }, (_, i) => NOW - i * 10);
  assert.equal(sizing({ coldStarts: busy, max: 3 }), 3);
  const longAgo = Array.from({ length: 1200 }, (_, i) => NOW - 120_000 - i * 50);
  assert.equal(sizing({ coldStarts: [...longAgo, NOW - 10] }), 1);
});

const cfg = (o: Partial<FunctionConfiguration> = {}): FunctionConfiguration => ({ FunctionName: 'f', Runtime: 'nodejs20.x', MemorySize: 128, Handler: 'index.handler', ...o }) as FunctionConfiguration;

test('prewarm eligibility: Node.js and Python functions map to a key of family, memory and /tmp size', () => {
  assert.deepEqual(stemKeyFor(cfg(), 'nodejs'), { family: 'nodejs', memoryMb: 128, ephemeralStorageMb: 512 });
  assert.deepEqual(stemKeyFor(cfg({ Runtime: 'python3.12', MemorySize: 1024, EphemeralStorage: { Size: 2048 } }), 'python'), { family: 'python', memoryMb: 1024, ephemeralStorageMb: 2048 });
});

test('prewarm eligibility: custom runtimes and functions setting start-only variables get a cold start', () => {
  assert.equal(stemKeyFor(cfg({ Runtime: 'provided.al2023' }), 'provided'), undefined);
  for (const name of ['NODE_OPTIONS', 'AWS_LAMBDA_EXEC_WRAPPER', 'LD_PRELOAD', 'LC_ALL', 'UV_THREADPOOL_SIZE']) {
    assert.equal(stemKeyFor(cfg({ Environment: { Variables: { [name]: 'x' } } }), 'nodejs'), undefined, name);
  }
  assert.equal(stemKeyFor(cfg({ Runtime: 'python3.12', Environment: { Variables: { PYTHONHASHSEED: '0' } } }), 'python'), undefined);
  // Read again at bind (or read lazily by the code itself): still eligible.
  for (const name of ['NODE_PATH', 'NODE_ENV', 'TZ', 'GREETING']) assert.ok(stemKeyFor(cfg({ Environment: { Variables: { [name]: 'x' } } }), 'nodejs'), name);
  assert.ok(stemKeyFor(cfg({ Runtime: 'python3.12', Environment: { Variables: { PYTHONPATH: '/x' } } }), 'python'));
});
