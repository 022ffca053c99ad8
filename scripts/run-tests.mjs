#!/usr/bin/env node
// Runs every test/**/*.test.ts under Node's built-in runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [substring filters...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures' && name !== 'helpers') walk(p); }
    else if (name.endsWith('.test.ts') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})('test');
// Each file is one test to the runner: this bounds a whole file (the cluster fault files run several
// multi-node scenarios), so a hung file still fails in minutes.
const concurrency = process.env.FLINT_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=360000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
