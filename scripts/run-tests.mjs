#!/usr/bin/env node
// Runs every test/**/*.test.ts under Node's built-in runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [substring filters...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures' && name !== 'helpers') walk(p); }
    else if (name.endsWith('.test.ts') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})('test');
if (files.length === 0) { console.error(`no test file matches ${filters.join(' ')}`); process.exit(2); }
// Each file is one test to the runner: this bounds a whole file (the cluster fault files run several
// multi-node scenarios), so a hung file still fails in minutes.
const concurrency = process.env.FLINT_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=360000', ...files], { stdio: ['inherit', 'pipe', 'inherit'] });

// The TAP stream passes through untouched; the failures are also collected and repeated on stderr at
// the very end, because CI shows only the tail of a long log and a lone "# fail 1" names nothing.
const failures = [];
let current = null;
createInterface({ input: child.stdout }).on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^\s*not ok \d+ /.test(line)) {
    current = [line.trim()];
    failures.push(current);
  } else if (current) {
    if (/^\s*(ok|not ok) \d+ |^\s*# Subtest:/.test(line) || current.length > 40) current = null;
    else current.push(line);
  }
});
child.on('close', (code, signal) => {
  if (failures.length > 0) {
    process.stderr.write(`\n# ${failures.length} failing test(s) and file(s), repeated from above:\n`);
    for (const f of failures) process.stderr.write(f.map((l) => `#   ${l}`).join('\n') + '\n');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
