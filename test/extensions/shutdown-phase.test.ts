import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalExtensions } from '../../src/invoke/extensions/external-extensions.js';
import { shutdownWindows } from '../../src/invoke/extensions/shutdown-windows.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * Lambda's Shutdown phase on a fake clock: who is signalled, when, and how long the phase lasts —
 * with an external extension (SIGTERM, SHUTDOWN with a 2,000 ms deadline, the runtime's SIGKILL at
 * 300 ms), with an internal one alone (SIGTERM, no SHUTDOWN, 500 ms), with none (nothing).
 */
const INFO = { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' };

test('the windows are Lambda\'s: 2,000 ms with an external extension (runtime 300 ms, 500 ms beside an internal one), 500 ms internal only, 300 ms none', () => {
  assert.deepEqual(shutdownWindows(1, 0), { totalMs: 2_000, runtimeMs: 300 });
  assert.deepEqual(shutdownWindows(2, 1), { totalMs: 2_000, runtimeMs: 500 });
  assert.deepEqual(shutdownWindows(0, 1), { totalMs: 500, runtimeMs: 500 });
  assert.deepEqual(shutdownWindows(0, 0), { totalMs: 300, runtimeMs: 300 });
});

async function harness(externalNames: string[]) {
  const layer = mkdtempSync(join(tmpdir(), 'flint-shutdown-'));
  mkdirSync(join(layer, 'extensions'));
  for (const n of externalNames) writeFileSync(join(layer, 'extensions', n), '#!/bin/sh\n', { mode: 0o755 });
  const clock = new FakeClock();
  const ext = new ExternalExtensions([layer], INFO, clock);
  const server = createServer((req, res) => { if (!ext.handle(req, res)) res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/2020-01-01/extension`;
  const register = async (name: string, events: string[]) => (await fetch(`${base}/register`, { method: 'POST', headers: { 'Lambda-Extension-Name': name }, body: JSON.stringify({ events }) })).headers.get('lambda-extension-identifier')!;
  const next = (id: string) => fetch(`${base}/event/next`, { headers: { 'Lambda-Extension-Identifier': id } }).then((r) => r.json() as Promise<Record<string, unknown>>);
  const signals: string[] = [];
  let exit!: () => void;
  const runtime = { terminate: () => signals.push('SIGTERM'), kill: () => signals.push('SIGKILL'), exited: new Promise<void>((r) => (exit = r)) };
  const close = () => { server.close(); server.closeAllConnections(); rmSync(layer, { recursive: true, force: true }); };
  return { ext, clock, register, next, signals, runtime, exit: () => exit(), close };
}

test('with an external extension: SIGTERM, SHUTDOWN with the 2,000 ms deadline, SIGKILL to the runtime at 300 ms, the phase ends at 2,000 ms', async () => {
  const t = await harness(['agent']);
  const id = await t.register('agent', ['INVOKE', 'SHUTDOWN']);
  const first = t.next(id);
  await t.ext.until(() => t.ext.api.readyCount === 1);
  t.ext.endInit();
  const start = t.clock.now();
  let done = false;
  const phase = t.ext.shutdown('spindown', t.runtime).then(() => { done = true; });
  assert.deepEqual(t.signals, ['SIGTERM']);
  assert.deepEqual(await first, { eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: start + 2_000 });
  await t.clock.advance(299);
  assert.deepEqual(t.signals, ['SIGTERM']);
  await t.clock.advance(1);
  assert.deepEqual(t.signals, ['SIGTERM', 'SIGKILL']);
  await t.clock.advance(1_699);
  assert.equal(done, false, 'the extension still has its window');
  await t.clock.advance(1);
  await phase;
  assert.equal(done, true);
  t.close();
});

test('with an internal extension only: SIGTERM, no SHUTDOWN event, and the phase ends when the runtime exits (within 500 ms)', async () => {
  const t = await harness([]);
  const id = await t.register('in-process', ['INVOKE']);
  let event: Record<string, unknown> | undefined;
  void t.next(id).then((e) => { event = e; }, () => {});
  await t.ext.until(() => t.ext.api.readyCount === 1);
  t.ext.endInit();
  let done = false;
  const phase = t.ext.shutdown('spindown', t.runtime).then(() => { done = true; });
  assert.deepEqual(t.signals, ['SIGTERM']);
  await t.clock.advance(200);
  assert.equal(done, false);
  t.exit();
  await phase;
  assert.deepEqual(t.signals, ['SIGTERM', 'SIGKILL']);
  assert.equal(event, undefined, 'internal extensions get no SHUTDOWN');
  t.close();
});

test('with no extension registered: no signal, nothing to wait for', async () => {
  const t = await harness([]);
  t.ext.endInit();
  await t.ext.shutdown('spindown', t.runtime);
  assert.deepEqual(t.signals, []);
  t.close();
});
