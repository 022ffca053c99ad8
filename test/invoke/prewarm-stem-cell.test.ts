import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StemCell } from '../../src/invoke/prewarm-stem-cell.js';
import type { RuntimeCatalog } from '../../src/invoke/runtime-catalog.js';
import type { SandboxDriver, UnboundSandbox } from '../../src/ports/sandbox-driver.js';

// A driver whose runtime never reaches /flint/bind: the cell is taken by a cold start first.
function stalledCell(): Promise<StemCell> {
  const sandbox = {
    id: 'stem-test',
    pid: -1,
    runtimeApiAddress: '127.0.0.1:1',
    exited: new Promise(() => {}),
    maxMemoryBytes: () => undefined,
    destroy: async () => {},
    bind: async () => ({ taskRoot: '/t', runtimeDir: '/r', opt: '/o', tmp: '/tmp' }),
  } as unknown as UnboundSandbox;
  const driver = {
    name: 'test',
    paths: () => ({ taskRoot: '/r', runtimeDir: '/r', opt: '/o', tmp: '/tmp' }),
    runtimeApiAddress: () => '127.0.0.1:1',
    startUnbound: async () => sandbox,
  } as unknown as SandboxDriver;
  const runtimes = {
    host: { runtimeFilesDir: '/r' },
    resolve: () => ({ runtimeDir: '/r', launch: () => ({ argv: ['/bin/true'], env: {} }) }),
    pathVariable: () => '/usr/bin:/bin',
  } as unknown as RuntimeCatalog;
  const clock = { now: () => Date.now(), monotonic: () => performance.now() };
  return StemCell.start({ driver, runtimes, clock, runtimeId: 'nodejs20.x' }, { family: 'nodejs', memoryMb: 128, ephemeralStorageMb: 512 });
}

test('prewarm: adopting a cell before its runtime reached /flint/bind releases whenReady (the pool counts it as starting until then)', async () => {
  const cell = await stalledCell();
  try {
    const waiting = cell.whenReady().then(() => 'released');
    cell.adopt({ initDone() {}, initError() {}, reply() {}, ready() {} }, () => {});
    const outcome = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('still waiting'), 2000))]);
    assert.equal(outcome, 'released');
    assert.equal(cell.readyAt, undefined, 'an adopted cell never reported readiness of its own');
  } finally {
    await cell.server.close();
  }
});
