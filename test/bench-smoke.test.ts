import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Smoke only: the bench runs end to end in --tiny mode and writes its JSON. No figure is judged
// here — timings on a shared machine are not test material (docs/SPECIFICATION.md reports them).
test('bench: --tiny runs every section, prints the table and writes results JSON with the expected keys', { timeout: 420_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'flint-bench-smoke-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--tiny', `--out=${out}`], { encoding: 'utf8', timeout: 400_000 }); // a guard against a hang, not a timing check: a loaded CI host may take minutes
    assert.equal(r.status, 0, `bench exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
    assert.match(r.stdout, /^machine: \d+ cores/m);
    assert.match(r.stdout, /^targets: \d+ met, \d+ not met, \d+ not measured/m);

    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    assert.ok(files.includes('latest.json'), `latest.json missing in ${files.join(', ')}`);
    assert.equal(files.length, 2, `expected <timestamp>.json and latest.json, got ${files.join(', ')}`);
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Record<string, any>;
    for (const k of ['schema', 'startedAt', 'machine', 'options', 'warm', 'coldStart', 'async', 'memory', 'envCreation', 'targets']) assert.ok(k in results, `results lack ${k}`);
    assert.equal(results.options.tiny, true);
    for (const k of ['cores', 'memoryMiB', 'node', 'sandbox', 'cpuPlan']) assert.ok(k in results.machine, `machine lacks ${k}`);

    // Every section either measured or says why not; the Flint rows must have measured.
    for (const c of ['c1', 'c32']) {
      for (const t of ['echo', 'twoHop', 'protocol1', 'flintRaw', 'flintIamUser', 'flintSdk', 'flintUrl', ...(c === 'c32' ? ['protocolN', 'flintSleep200', 'protocolNSleep200'] : [])]) {
        assert.ok(typeof results.warm[c][t].rps === 'number', `warm.${c}.${t}: ${JSON.stringify(results.warm[c][t])}`);
        assert.ok('p50Ms' in results.warm[c][t] && 'p99Ms' in results.warm[c][t]);
      }
      const off = results.warm[c].offline;
      assert.ok(typeof off.rps === 'number' || typeof off.skipped === 'string', `warm.${c}.offline: ${JSON.stringify(off)}`);
    }
    for (const rt of ['node', 'python']) {
      assert.ok(typeof results.coldStart.bare[rt].p50Ms === 'number', `coldStart.bare.${rt}: ${JSON.stringify(results.coldStart.bare[rt])}`);
      assert.ok(typeof results.coldStart.flint.process[rt].p50Ms === 'number', `coldStart.flint.process.${rt}: ${JSON.stringify(results.coldStart.flint.process[rt])}`);
      assert.ok(typeof results.memory[rt].overheadKiB === 'number', `memory.${rt}: ${JSON.stringify(results.memory[rt])}`);
      assert.ok(typeof results.envCreation[rt].envsPerSec === 'number', `envCreation.${rt}: ${JSON.stringify(results.envCreation[rt])}`);
    }
    assert.ok(typeof results.async.enqueuePerSec === 'number' && typeof results.async.deliveredPerSec === 'number', JSON.stringify(results.async));
    assert.ok(results.async.delivered > 0, `no event was delivered: ${JSON.stringify(results.async)}`);

    const ids = results.targets.map((t: { id: string }) => t.id);
    for (const id of ['warm-throughput-vs-floor', 'warm-throughput-vs-offline', 'warm-latency-vs-floor', 'warm-c1-vs-protocol', 'warm-c1-p50-vs-protocol', 'server-cpu-per-warm-invoke',
      'warm-c32-vs-protocol', 'warm-c32-sleep', 'warm-p99-sweep', 'async-enqueue-rate', 'async-delivery-vs-sync', 'memory-per-env-node', 'cold-start-process-node']) {
      assert.ok(ids.includes(id), `target ${id} missing from ${ids.join(', ')}`);
    }
    for (const t of results.targets) assert.ok(t.met === true || t.met === false || t.met === null);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
