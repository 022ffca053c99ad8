import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

/**
 * The dependency rule of docs/design.md, checked on every import in src/:
 * domain ← ports ← services (control, invoke, runtime-api, observe, iam, metrics) ← api ← app ← cli,
 * with drivers (store, sandbox) implementing ports and imported only by the app.
 */
const ALLOWED: Record<string, string[]> = {
  domain: ['domain'],
  ports: ['domain', 'ports'],
  control: ['domain', 'ports', 'control'],
  observe: ['domain', 'ports', 'observe'],
  iam: ['domain', 'ports', 'iam'],
  kms: ['domain', 'ports', 'kms'],
  history: ['domain', 'ports', 'history'],
  logs: ['domain', 'ports', 'logs'],
  metrics: ['domain', 'ports', 'metrics'],
  schedules: ['domain', 'ports', 'schedules'],
  tracing: ['domain', 'ports', 'tracing'],
  queues: ['domain', 'ports', 'queues'],
  'runtime-api': ['domain', 'ports', 'runtime-api', 'observe'],
  invoke: ['domain', 'ports', 'invoke', 'runtime-api', 'observe', 'control'],
  'event-sources': ['domain', 'ports', 'event-sources', 'control'],
  api: ['domain', 'ports', 'api', 'control', 'invoke', 'observe', 'iam', 'kms', 'history', 'metrics', 'tracing', 'logs', 'queues', 'event-sources', 'schedules'],
  store: ['domain', 'ports', 'store'],
  sandbox: ['domain', 'ports', 'sandbox'],
  brokers: ['domain', 'ports', 'brokers'],
  runtimes: ['domain', 'ports', 'runtimes'],
  // Cluster mode's drivers (membership, leases, node-to-node RPC); the CA code comes from api/tls,
  // the concurrency rules from invoke.
  cluster: ['domain', 'ports', 'cluster', 'invoke', 'api'],
  app: ['domain', 'ports', 'control', 'invoke', 'runtime-api', 'observe', 'iam', 'kms', 'history', 'metrics', 'tracing', 'logs', 'queues', 'event-sources', 'schedules', 'api', 'store', 'sandbox', 'brokers', 'runtimes', 'console', 'cluster', 'app'],
  console: ['domain', 'ports', 'api', 'console'],
  cli: ['domain', 'ports', 'app', 'cli', 'observe', 'api', 'cluster'],
};

const SRC = resolve('src');

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

test('architecture: no module imports against the dependency rule', () => {
  const violations: string[] = [];
  for (const file of tsFiles(SRC)) {
    const layer = relative(SRC, file).split('/')[0]!;
    const allowed = ALLOWED[layer];
    assert.ok(allowed, `src/${layer} is not a known layer; add it to the rule in test/architecture.test.ts and docs/design.md`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(file), spec)).split('/')[0]!;
      if (!allowed.includes(target)) violations.push(`${relative(SRC, file)} imports ${spec} (${layer} → ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('architecture: the domain layer imports nothing outside itself, not even node built-ins', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(join(SRC, 'domain'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
      if (!m[1]!.startsWith('./')) offenders.push(`${relative(SRC, file)}: ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, []);
});
