import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxCapability, SandboxDriver } from '../../src/ports/sandbox-driver.js';
import { selectSandboxDriver } from '../../src/sandbox/select-driver.js';

function fake(name: string, cap: SandboxCapability): () => SandboxDriver {
  return () => ({ name, probe: async () => cap } as unknown as SandboxDriver);
}
const NONE = { preInitialized: false, networkModes: [], outbound: false };
const bwrapOk = fake('bwrap', { available: true, isolated: true, features: { preInitialized: true, networkModes: ['default', 'isolated'], outbound: true, cgroupVersion: 1 }, notes: ['cgroup v1', 'native init'] });
const bwrapMissing = fake('bwrap', { available: false, isolated: true, features: NONE, reason: 'bubblewrap not found at /usr/bin/bwrap (apt-get install bubblewrap)' });
const processOk = fake('process', { available: true, isolated: false, features: { preInitialized: true, networkModes: ['default'], outbound: true } });

test('select-driver: auto picks bwrap when it works and says so', async () => {
  const s = await selectSandboxDriver('auto', { bwrap: bwrapOk, process: processOk });
  assert.equal(s.driver.name, 'bwrap');
  assert.equal(s.summary, 'flint: sandbox driver bwrap (isolated; cgroup v1; native init)');
});

test('select-driver: auto falls back to process and prints why', async () => {
  const s = await selectSandboxDriver('', { bwrap: bwrapMissing, process: processOk });
  assert.equal(s.driver.name, 'process');
  assert.equal(s.summary, 'flint: sandbox driver process (NOT isolated: functions run as plain host processes); fell back because bwrap: bubblewrap not found at /usr/bin/bwrap (apt-get install bubblewrap)');
});

test('select-driver: a single named driver that is unavailable stops startup instead of downgrading', async () => {
  await assert.rejects(selectSandboxDriver('bwrap', { bwrap: bwrapMissing, process: processOk }), {
    message: 'FLINT_SANDBOX=bwrap: no usable sandbox driver (bwrap: bubblewrap not found at /usr/bin/bwrap (apt-get install bubblewrap))',
  });
});

test('select-driver: a list is tried in its order; process alone is honoured', async () => {
  assert.equal((await selectSandboxDriver('bwrap,process', { bwrap: bwrapMissing, process: processOk })).driver.name, 'process');
  assert.equal((await selectSandboxDriver('process', { bwrap: bwrapOk, process: processOk })).driver.name, 'process');
});

test('select-driver: an unknown name is a startup error listing the known ones', async () => {
  await assert.rejects(selectSandboxDriver('firecracker', { bwrap: bwrapOk, process: processOk }), {
    message: "FLINT_SANDBOX: unknown sandbox driver 'firecracker' (known: auto, bwrap, process)",
  });
});
