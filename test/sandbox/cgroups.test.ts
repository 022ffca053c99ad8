import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout, parseMountinfo } from '../../src/sandbox/cgroups/cgroup-layout.js';
import { SandboxCgroupV1, SandboxCgroupV2 } from '../../src/sandbox/cgroups/sandbox-cgroup.js';

// /proc/self/mountinfo and /proc/self/cgroup as a hybrid host (the development machines) shows them.
const HYBRID_MOUNTINFO = [
  '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 30 0:29 / /sys/fs/cgroup/cpu\\054cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '34 30 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '38 30 0:34 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const HYBRID_SELF = ['9:name=systemd:/', '8:pids:/', '4:memory:/process_api/abc', '1:cpu:/', '0::/'].join('\n');

test('cgroups: a hybrid host uses the v1 controllers, each at our own cgroup', () => {
  const d = detectCgroupLayout({ mountinfo: HYBRID_MOUNTINFO, selfCgroup: HYBRID_SELF });
  assert.deepEqual(d, { ok: true, layout: { version: 1, parents: { memory: '/sys/fs/cgroup/memory/process_api/abc', cpu: '/sys/fs/cgroup/cpu', pids: '/sys/fs/cgroup/pids' } } });
});

test('cgroups: mountinfo paths are unescaped and a mount of a subtree is resolved', () => {
  assert.equal(parseMountinfo(HYBRID_MOUNTINFO)[2]!.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
  const d = detectCgroupLayout({
    mountinfo: ['1 0 0:1 /kubepods/pod1 /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory', '2 0 0:2 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct', '3 0 0:3 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids'].join('\n'),
    selfCgroup: ['3:memory:/kubepods/pod1/c1', '2:cpu,cpuacct:/x', '1:pids:/'].join('\n'),
  });
  assert.deepEqual(d.ok && d.layout, { version: 1, parents: { memory: '/sys/fs/cgroup/memory/c1', cpu: '/sys/fs/cgroup/cpu/x', pids: '/sys/fs/cgroup/pids' } });
});

test('cgroups: a v1 host missing a controller says which', () => {
  const d = detectCgroupLayout({ mountinfo: '34 30 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory', selfCgroup: '4:memory:/' });
  assert.deepEqual(d, { ok: false, reason: 'cgroup v1 host without a usable cpu, pids hierarchy' });
});

test('cgroups: a v2 host delegates from the nearest cgroup whose children can get memory, cpu and pids', () => {
  const root = mkdtempSync(join(tmpdir(), 'flint-cg2-'));
  try {
    // root → system.slice (controllers enabled for children) → flint.service (our cgroup, has processes)
    mkdirSync(join(root, 'system.slice', 'flint.service'), { recursive: true });
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids');
    writeFileSync(join(root, 'system.slice', 'cgroup.controllers'), 'cpu memory pids');
    writeFileSync(join(root, 'system.slice', 'cgroup.subtree_control'), 'cpu memory pids');
    writeFileSync(join(root, 'system.slice', 'flint.service', 'cgroup.controllers'), 'cpu memory');
    writeFileSync(join(root, 'system.slice', 'flint.service', 'cgroup.subtree_control'), '');
    const d = detectCgroupLayout({ mountinfo: `40 30 0:36 / ${root} rw - cgroup2 cgroup2 rw`, selfCgroup: '0::/system.slice/flint.service' });
    assert.deepEqual(d, { ok: true, layout: { version: 2, parent: join(root, 'system.slice') } });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cgroups: no controllers anywhere is unavailable with the reason', () => {
  const d = detectCgroupLayout({ mountinfo: '1 0 0:1 / / rw - ext4 /dev/root rw', selfCgroup: '0::/' });
  assert.deepEqual(d, { ok: false, reason: 'no cgroup v1 controllers and no cgroup v2 hierarchy mounted' });
});

function fakeDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'flint-cgdir-'));
  for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
  return dir;
}
const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

test('cgroups v1: limits are memory (swap off), CFS quota/period and pids; evidence from oom_control and max_usage', () => {
  const memory = fakeDir({ 'memory.memsw.limit_in_bytes': '' });
  const cpu = fakeDir();
  const pids = fakeDir();
  try {
    const cg = new SandboxCgroupV1({ memory, cpu, pids }, { memoryBytes: 128 << 20, cpuQuotaUs: 7236, cpuPeriodUs: 100_000, pidsMax: 1024 });
    assert.equal(read(memory, 'memory.limit_in_bytes'), String(128 << 20));
    assert.equal(read(memory, 'memory.memsw.limit_in_bytes'), String(128 << 20));
    assert.equal(read(memory, 'memory.swappiness'), '0');
    assert.equal(read(cpu, 'cpu.cfs_period_us'), '100000');
    assert.equal(read(cpu, 'cpu.cfs_quota_us'), '7236');
    assert.equal(read(pids, 'pids.max'), '1024');
    cg.setCpuQuota(undefined, 100_000);
    assert.equal(read(cpu, 'cpu.cfs_quota_us'), '-1');
    writeFileSync(join(memory, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    writeFileSync(join(memory, 'memory.max_usage_in_bytes'), '99999\n');
    assert.deepEqual(cg.memory(), { oomKills: 1, peakBytes: 99999 });
    assert.deepEqual(cg.procsFiles(), [memory, cpu, pids].map((d) => join(d, 'cgroup.procs')));
  } finally {
    for (const d of [memory, cpu, pids]) rmSync(d, { recursive: true, force: true });
  }
});

test('cgroups v2: limits are memory.max, swap 0, OOM kills the group, cpu.max and pids.max; evidence from memory.events and memory.peak', () => {
  const dir = fakeDir();
  try {
    const cg = new SandboxCgroupV2(dir, { memoryBytes: 256 << 20, cpuQuotaUs: 14471, cpuPeriodUs: 100_000, pidsMax: 1024 });
    assert.equal(read(dir, 'memory.max'), String(256 << 20));
    assert.equal(read(dir, 'memory.swap.max'), '0');
    assert.equal(read(dir, 'memory.oom.group'), '1');
    assert.equal(read(dir, 'cpu.max'), '14471 100000');
    assert.equal(read(dir, 'pids.max'), '1024');
    cg.setCpuQuota(undefined, 100_000);
    assert.equal(read(dir, 'cpu.max'), 'max 100000');
    assert.deepEqual(cg.memory(), { oomKills: undefined, peakBytes: undefined });
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 1\n');
    writeFileSync(join(dir, 'memory.peak'), '12345\n');
    assert.deepEqual(cg.memory(), { oomKills: 1, peakBytes: 12345 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
