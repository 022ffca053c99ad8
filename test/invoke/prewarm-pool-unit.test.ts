import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrewarmPool } from '../../src/invoke/prewarm-pool.js';
import type { StemCell } from '../../src/invoke/prewarm-stem-cell.js';
import type { StemKey } from '../../src/invoke/prewarm-sizing.js';
import type { EnvironmentBinding } from '../../src/invoke/environment-contract.js';
import type { SandboxExit } from '../../src/ports/sandbox-driver.js';

/** A stand-in for a pre-started runtime: ready at once, exits when told. */
class FakeCell {
  static made = 0;
  readonly id = `cell-${++FakeCell.made}`;
  readonly startedAt = 0;
  readyAt: number | undefined = 1;
  destroyed = false;
  exit!: (e: SandboxExit) => void;
  readonly exited = new Promise<SandboxExit>((r) => (this.exit = r));
  constructor(readonly key: StemKey) {}
  get ready() {
    return !this.destroyed && this.readyAt !== undefined;
  }
  whenReady() {
    return Promise.resolve();
  }
  async destroy() {
    this.destroyed = true;
  }
}

function setup(perRuntime = 1) {
  const clock = { t: 1_000_000, now() { return this.t; }, monotonic() { return this.t; } };
  const started: FakeCell[] = [];
  const pool = new PrewarmPool({
    clock,
    perRuntime,
    startCell: async (key) => {
      const c = new FakeCell(key);
      started.push(c);
      return c as unknown as StemCell;
    },
  });
  return { pool, started, clock };
}

const binding = (o: { runtime?: string; family?: 'nodejs' | 'python' | 'provided'; memory?: number; type?: EnvironmentBinding['initializationType']; env?: Record<string, string> } = {}): EnvironmentBinding =>
  ({
    functionName: 'f',
    version: '1',
    config: { FunctionName: 'f', Runtime: o.runtime ?? 'nodejs20.x', MemorySize: o.memory ?? 128, ...(o.env ? { Environment: { Variables: o.env } } : {}) },
    runtime: { family: o.family ?? 'nodejs', runtime: o.runtime ?? 'nodejs20.x' },
    codeDir: '/code',
    layerDirs: [],
    initializationType: o.type ?? 'on-demand',
  }) as unknown as EnvironmentBinding;

test('prewarm pool: the first cold start of a key finds nothing, then one runtime is pre-started for that key', async () => {
  const { pool, started } = setup();
  assert.equal(pool.take(binding()), undefined);
  await pool.settled();
  assert.equal(started.length, 1);
  assert.deepEqual(started[0]!.key, { family: 'nodejs', memoryMb: 128, ephemeralStorageMb: 512 });
  assert.deepEqual(pool.sizes().map((s) => [s.key, s.ready, s.target]), [['nodejs/128/512', 1, 1]]);
  await pool.close();
});

test('prewarm pool: a taken runtime leaves the pool for good and a replacement is started in the background', async () => {
  const { pool, started } = setup();
  pool.take(binding());
  await pool.settled();
  const first = pool.take(binding());
  assert.equal(first as unknown, started[0]);
  // Never handed out twice.
  assert.notEqual(pool.take(binding({ memory: 128 })) as unknown, first);
  await new Promise((r) => setTimeout(r, 60));
  await pool.settled();
  assert.ok(started.length >= 2);
  assert.equal(pool.sizes()[0]!.ready, 1);
  assert.ok(!pool.sizes().some((s) => s.cells > s.target));
  await pool.close();
  assert.ok(started.filter((c) => (c as unknown) !== first).every((c) => c.destroyed), 'close stops the cells nobody took');
  assert.equal(started[0]!.destroyed, false, 'a taken cell belongs to its environment');
});

test('prewarm pool: a runtime only serves its own key (memory size) and never provisioned or ineligible functions', async () => {
  const { pool, started } = setup();
  pool.take(binding({ memory: 256 }));
  await pool.settled();
  assert.equal(pool.take(binding({ memory: 128 })), undefined);
  assert.equal(pool.take(binding({ memory: 256, type: 'provisioned-concurrency' })), undefined);
  assert.equal(pool.take(binding({ memory: 256, env: { NODE_OPTIONS: '--foo' } })), undefined);
  assert.equal(pool.take(binding({ family: 'provided', runtime: 'provided.al2023', memory: 256 })), undefined);
  assert.equal(pool.take(binding({ family: 'python', runtime: 'python3.12', memory: 256 })), undefined);
  assert.equal(pool.take(binding({ memory: 256 })) as unknown, started[0]);
  await pool.close();
});

test('prewarm pool: a runtime that dies while waiting is replaced', async () => {
  const { pool, started } = setup();
  pool.take(binding());
  await pool.settled();
  started[0]!.exit({ code: 1, signal: null, oomKilled: false });
  await new Promise((r) => setTimeout(r, 10));
  await pool.settled();
  assert.equal(started.length, 2);
  assert.equal(started[0]!.destroyed, true);
  assert.equal(pool.take(binding()) as unknown, started[1]);
  await pool.close();
});

test('prewarm pool: FLINT_PREWARM_PER_RUNTIME=0 starts nothing', async () => {
  const { pool, started } = setup(0);
  assert.equal(pool.take(binding()), undefined);
  await pool.settled();
  assert.equal(started.length, 0);
  await pool.close();
});

test('prewarm pool: a key idle for the idle period keeps no runtimes', async () => {
  const { pool, started, clock } = setup();
  pool.take(binding());
  await pool.settled();
  clock.t += 10 * 60_000;
  pool.refill();
  assert.equal(started[0]!.destroyed, true);
  assert.deepEqual(pool.sizes(), []);
  await pool.close();
});

test('prewarm pool: a function whose layers carry /opt/extensions is never served from a pre-started runtime', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const layer = mkdtempSync(join(tmpdir(), 'flint-ext-layer-'));
  mkdirSync(join(layer, 'extensions'));
  writeFileSync(join(layer, 'extensions', 'agent'), '#!/bin/sh\n', { mode: 0o755 });
  const { pool, started } = setup();
  pool.take(binding());
  await pool.settled();
  // Extensions start before the runtime (Lambda's Init order), which a pre-started runtime has passed.
  const withExtensions = { ...binding(), layerDirs: [layer] } as EnvironmentBinding;
  assert.equal(pool.take(withExtensions), undefined);
  assert.equal(pool.take(binding()) as unknown, started[0], 'the cell stays for functions without extensions');
  await pool.close();
  rmSync(layer, { recursive: true, force: true });
});
