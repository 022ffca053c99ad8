import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_HOST_AWARE, waitOrRun, type WaitOrRunInput } from '../../src/invoke/host-aware-placement.js';
import { parseCgroupCpuStat, parseLoadavgRunning, parsePressure, parseProcsRunning, saturationBetween, type CpuReading } from '../../src/sandbox/proc-cpu-readings.js';
import { ProcCpuSignals } from '../../src/sandbox/proc-cpu-signals.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'host-signals');
const file = (...p: string[]) => readFileSync(join(FIXTURES, ...p), 'utf8');

/** A recorded reading, taken `at` ms (the recordings' spacing). */
function reading(dir: string, at: number): CpuReading {
  const psi = parsePressure(file(dir, 'pressure-cpu'))!;
  const cfs = parseCgroupCpuStat(file(dir, 'cgroup-cpu.stat'))!;
  return { at, psi, runnable: parseProcsRunning(file(dir, 'stat'))!, cfs };
}

const shared = saturationBetween(reading('shared-a', 0), reading('shared-b', 1000), 2);
const busy = saturationBetween(reading('busy-a', 0), reading('busy-b', 500), 2);
const echoLike: Omit<WaitOrRunInput, 'saturation'> = { cpus: 2, busy: 32, idle: 0, waiting: 0, typicalDurationMs: 1.5, typicalStartMs: 60, timeoutMs: 3000 };

test('signals: the recorded /proc files parse (PSI some line, procs_running, loadavg, cgroup v1 and v2 cpu.stat)', () => {
  assert.deepEqual(parsePressure(file('shared-a', 'pressure-cpu')), { avg10: 35.44, totalUs: 5914505120 });
  assert.equal(parseProcsRunning(file('busy-a', 'stat')), 7);
  assert.equal(parseLoadavgRunning(file('busy-a', 'loadavg')), 7);
  assert.deepEqual(parseCgroupCpuStat(file('throttled', 'cgroup-cpu-b.stat')), { periods: 20, throttled: 20 });
  // cgroup v2 writes the same counter names (with usage_usec and throttled_usec around them).
  assert.deepEqual(parseCgroupCpuStat('usage_usec 10\nuser_usec 5\nsystem_usec 5\nnr_periods 40\nnr_throttled 10\nthrottled_usec 900\n'), { periods: 40, throttled: 10 });
  assert.equal(parsePressure('full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), undefined);
});

test('signals: saturation from recorded readings — the stall share from PSI total growth, runnable per CPU, throttled periods', () => {
  // The shared host: one runnable task besides the reader (0.5 per CPU), and 4.4 ms stalled in
  // that second though avg10 still said 35 %: the totals are live, avg10 trails.
  assert.equal(shared.runnablePerCpu, 0.5);
  assert.equal(shared.stall, 0.0044);
  assert.equal(waitOrRun({ ...echoLike, saturation: shared }, DEFAULT_HOST_AWARE).kind, 'run');
  // six busy loops on 2 CPUs: 6 runnable besides the reader, the CPUs stalled the whole interval.
  assert.equal(busy.runnablePerCpu, 3);
  assert.equal(busy.stall, 1);
  // No quota on the root cgroup: no period passed, so no throttling figure.
  assert.equal(busy.throttled, undefined);
  const t = saturationBetween({ at: 0, runnable: 2, cfs: parseCgroupCpuStat(file('throttled', 'cgroup-cpu-a.stat'))! }, { at: 1000, runnable: 2, cfs: parseCgroupCpuStat(file('throttled', 'cgroup-cpu-b.stat'))! }, 2);
  assert.equal(t.throttled, 1);
  assert.equal(t.stall, undefined);
  // Without a previous reading the stall is PSI's avg10.
  assert.equal(saturationBetween(undefined, reading('busy-a', 0), 2).stall, 0.4422);
});

test('placement: on the recorded saturated host a CPU-bound version waits briefly for a busy environment', () => {
  const d = waitOrRun({ ...echoLike, saturation: busy }, DEFAULT_HOST_AWARE);
  assert.equal(d.kind, 'wait');
  assert.ok(d.kind === 'wait' && d.patienceMs >= DEFAULT_HOST_AWARE.patienceMs && d.maxWaitMs === 3000 - 1.5);
});

test('placement: turned off it is Lambda\'s behaviour — a new environment whatever the signal', () => {
  const d = waitOrRun({ ...echoLike, saturation: busy }, { ...DEFAULT_HOST_AWARE, enabled: false });
  assert.equal(d.kind, 'run');
});

test('placement: CPUs with room (no stall, short run queue, no throttling) get a new environment', () => {
  assert.equal(waitOrRun({ ...echoLike, saturation: { stall: 0.1, runnablePerCpu: 0.5 } }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: a throttled cgroup (a container CPU limit) counts as saturated even with a short run queue', () => {
  assert.equal(waitOrRun({ ...echoLike, saturation: { runnablePerCpu: 0.5, throttled: 1 } }, DEFAULT_HOST_AWARE).kind, 'wait');
});

test('placement: sleepers (invocations longer than a start) get a new environment even on a saturated host — no queuing behind them', () => {
  assert.equal(waitOrRun({ ...echoLike, typicalDurationMs: 200, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: nothing to wait for, no figures yet, or no signal: a new environment', () => {
  assert.equal(waitOrRun({ ...echoLike, busy: 0, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
  assert.equal(waitOrRun({ ...echoLike, typicalDurationMs: undefined, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
  // Below the cap, no start time to compare with; at the cap the start time does not matter.
  assert.equal(waitOrRun({ ...echoLike, busy: 1, typicalStartMs: undefined, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
  assert.equal(waitOrRun({ ...echoLike, typicalStartMs: undefined, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'wait');
  assert.equal(waitOrRun({ ...echoLike, saturation: undefined }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: below activePerCpu × CPUs running, a queue ahead longer than a start gets a new environment', () => {
  // 1 of 4 (2 CPUs × 2) busy at 20 ms, nothing idle, 9 requests already waiting: ~200 ms ahead > a 60 ms start.
  assert.equal(waitOrRun({ ...echoLike, busy: 1, waiting: 9, typicalDurationMs: 20, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
  const d = waitOrRun({ ...echoLike, busy: 2, waiting: 1, typicalDurationMs: 20, saturation: busy }, DEFAULT_HOST_AWARE);
  // Expected 20 ms ahead: patient for twice that, then one more environment for the queue.
  assert.deepEqual(d.kind === 'wait' ? [d.patienceMs, d.maxWaitMs] : d.kind, [40, 2980]);
});

test('placement: on saturated CPUs idle environments are used up to activePerCpu × CPUs running; past that, requests queue for a busy one', () => {
  // 2 CPUs × 2: a fourth running environment is still fine…
  assert.equal(waitOrRun({ ...echoLike, busy: 3, idle: 29, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
  // …a fifth is not: the request waits for one of the four, though 28 sit idle.
  const d = waitOrRun({ ...echoLike, busy: 4, idle: 28, waiting: 10, saturation: busy }, DEFAULT_HOST_AWARE);
  assert.equal(d.kind, 'wait');
  // With room on the CPUs every idle environment is used (Lambda's way).
  assert.equal(waitOrRun({ ...echoLike, busy: 31, idle: 1, saturation: shared }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: at the cap the queue is never traded for a start — patience grows with the queue ahead (the c=64/128 regression)', () => {
  // Recorded from the regressing run: 32 environments at 20 ms (contention), 31 waiting, starts
  // measured at 9 ms while the host was quiet (pre-initialized runtimes). The first version
  // compared the 20 ms ahead with the 9 ms start and started environments — each taking hundreds
  // of ms on the saturated CPU and slowing the 32 running — or waited 2 × 20 ms and then started one.
  const regressing = { ...echoLike, busy: 32, waiting: 31, typicalDurationMs: 20, typicalStartMs: 9, saturation: busy };
  const d = waitOrRun(regressing, DEFAULT_HOST_AWARE);
  assert.deepEqual(d.kind === 'wait' ? [d.patienceMs, d.maxWaitMs] : d.kind, [100, 2980]);
  // 400 waiting behind 4 at 1.5 ms: ~150 ms ahead — patient for 4× that, not the 100 ms floor.
  const long = waitOrRun({ ...echoLike, busy: 4, idle: 28, waiting: 400, saturation: busy }, DEFAULT_HOST_AWARE);
  assert.deepEqual(long.kind === 'wait' ? Math.round(long.patienceMs) : long.kind, 602);
  // Patience never past the timeout budget.
  const short = waitOrRun({ ...echoLike, busy: 4, waiting: 400, timeoutMs: 100, saturation: busy }, DEFAULT_HOST_AWARE);
  assert.deepEqual(short.kind === 'wait' ? [short.patienceMs, short.maxWaitMs] : short.kind, [98.5, 98.5]);
});

test('placement: an invocation running past shortRunMs now (a handler that turned sleeper) stops queuing before the average catches up', () => {
  assert.equal(waitOrRun({ ...echoLike, oldestRunningMs: 10, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'wait');
  assert.equal(waitOrRun({ ...echoLike, oldestRunningMs: 120, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: the signal is read only when the cheap checks leave the decision open', () => {
  let reads = 0;
  const counted = (over: Partial<WaitOrRunInput>): WaitOrRunInput => ({ ...echoLike, ...over, get saturation() { reads++; return busy; } });
  // Nothing busy (c=1's warm path), an idle one below the cap, a sleeper, no figures: no read.
  for (const over of [{ busy: 0, idle: 1 }, { busy: 1, idle: 1 }, { typicalDurationMs: 200 }, { typicalDurationMs: undefined }]) waitOrRun(counted(over), DEFAULT_HOST_AWARE);
  assert.equal(reads, 0);
  waitOrRun(counted({}), DEFAULT_HOST_AWARE);
  assert.equal(reads, 1);
});

test('placement: the wait never goes past the function\'s timeout budget', () => {
  const d = waitOrRun({ ...echoLike, busy: 1, typicalDurationMs: 30, typicalStartMs: 5000, timeoutMs: 40, saturation: busy }, DEFAULT_HOST_AWARE);
  assert.deepEqual(d.kind === 'wait' ? [d.patienceMs, d.maxWaitMs] : d.kind, [10, 10]);
  assert.equal(waitOrRun({ ...echoLike, typicalDurationMs: 30, typicalStartMs: 5000, timeoutMs: 30, saturation: busy }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('signals: without PSI the sampler says so once and decides from the run queue and cgroup alone', () => {
  const s = new ProcCpuSignals({ files: { pressure: join(FIXTURES, 'no-such-file'), stat: join(FIXTURES, 'busy-a', 'stat'), cgroupCpuStat: join(FIXTURES, 'busy-a', 'cgroup-cpu.stat') }, cpus: 2 });
  assert.match(s.degraded ?? '', /^no CPU pressure \(PSI\) at .*no-such-file: deciding from the run queue alone/);
  const r = s.read();
  assert.equal(r.stall, undefined);
  assert.equal(r.runnablePerCpu, 3);
  const full = new ProcCpuSignals({ files: { pressure: join(FIXTURES, 'busy-a', 'pressure-cpu'), stat: join(FIXTURES, 'busy-a', 'stat'), cgroupCpuStat: join(FIXTURES, 'busy-a', 'cgroup-cpu.stat') }, cpus: 2 });
  assert.equal(full.degraded, undefined);
  assert.equal(full.read().stall, 0.4422);
});

test('placement: short is judged on the fastest recent invocation — a loaded host stretches a CPU-bound handler, never a sleeper', () => {
  // Recorded at host load 40: a ~1 ms echo averaged 52 ms, its fastest of 16 took 1.2 ms.
  const stretched = { ...echoLike, busy: 4, waiting: 12, typicalDurationMs: 52, fastestDurationMs: 1.2, saturation: busy };
  assert.equal(waitOrRun(stretched, DEFAULT_HOST_AWARE).kind, 'wait');
  // Without the fastest figure the stretched average alone looks like a sleeper.
  assert.equal(waitOrRun({ ...stretched, fastestDurationMs: undefined }, DEFAULT_HOST_AWARE).kind, 'run');
  // A 200 ms sleeper: even its fastest takes 200 ms.
  assert.equal(waitOrRun({ ...stretched, typicalDurationMs: 215, fastestDurationMs: 201 }, DEFAULT_HOST_AWARE).kind, 'run');
});

test('placement: CPUs saturated by other work (a shared host\'s other tenants) get Lambda\'s way — restraint would hand Flint\'s share to them', () => {
  // 60 runnable on 2 CPUs, 4 of them Flint's environments: not Flint's saturation.
  const crowded = { ...echoLike, busy: 4, ownBusy: 4, waiting: 12, saturation: { stall: 1, runnablePerCpu: 30 } };
  assert.deepEqual(waitOrRun(crowded, DEFAULT_HOST_AWARE), { kind: 'run', why: 'the CPUs are saturated by other work, not by its environments' });
  // 6 runnable, 4 of them Flint's: Flint's own saturation — queue.
  assert.equal(waitOrRun({ ...crowded, saturation: { stall: 1, runnablePerCpu: 3 } }, DEFAULT_HOST_AWARE).kind, 'wait');
});

test('placement: on saturated CPUs the one running longest is judged against the typical wall time too — a 1 ms echo running 120 ms at c=128 is contention, not a sleeper', () => {
  const crowded = { ...echoLike, busy: 4, waiting: 60, typicalDurationMs: 60, fastestDurationMs: 1, saturation: busy };
  assert.equal(waitOrRun({ ...crowded, oldestRunningMs: 120 }, DEFAULT_HOST_AWARE).kind, 'wait');
  // Four times the typical wall time and past every other bound: it turned sleeper.
  assert.equal(waitOrRun({ ...crowded, oldestRunningMs: 250 }, DEFAULT_HOST_AWARE).kind, 'run');
});
