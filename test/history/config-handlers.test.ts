import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { ConfigurationRecorder } from '../../src/history/configuration-recorder.js';
import { configHandlers } from '../../src/api/handlers/config-handlers.js';

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'flint-config-h-'));
  const store = new SqliteMetadataStore(join(dir, 'flint.db'));
  let now = 1_700_000_000_000;
  let memory = 128;
  const recorder = new ConfigurationRecorder({ store, clock: { now: () => now, monotonic: () => now }, accountId: '000000000000', region: 'us-east-1', read: () => ({ configuration: { MemorySize: memory }, aliases: [], tags: {} }) });
  for (let i = 0; i < 3; i++) { recorder.record('fn'); memory *= 2; now += 1000; }
  const h = configHandlers(recorder);
  const call = (op: string, input: Record<string, unknown>) => h[op]!(input, {} as never) as Record<string, any>;
  return { call, close: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const errorType = (fn: () => unknown) => { try { fn(); return 'no error'; } catch (err) { return `${(err as { type: string }).type} ${(err as { status?: number }).status}`; } };
const base = { resourceType: 'AWS::Lambda::Function', resourceId: 'fn' };

test('GetResourceConfigHistory: refuses a limit over 100, earlierTime after laterTime, a forged token, an undiscovered resource or type', (t) => {
  const f = fixture();
  t.after(f.close);
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...base, limit: 101 }, 'InvalidLimitException 400'],
    [{ ...base, earlierTime: new Date(2000), laterTime: new Date(1000) }, 'InvalidTimeRangeException 400'],
    [{ ...base, nextToken: 'not-a-token!' }, 'InvalidNextTokenException 400'],
    [{ ...base, resourceId: 'other' }, 'ResourceNotDiscoveredException 400'],
    [{ ...base, resourceType: 'AWS::S3::Bucket' }, 'ResourceNotDiscoveredException 400'],
  ];
  for (const [input, want] of cases) assert.equal(errorType(() => f.call('GetResourceConfigHistory', input)), want, JSON.stringify(input));
});

test('GetResourceConfigHistory: timestamps go out as Dates, the default page is 10, tokens page through every item once', (t) => {
  const f = fixture();
  t.after(f.close);
  const all = f.call('GetResourceConfigHistory', base);
  assert.equal(all['configurationItems'].length, 3);
  assert.ok(all['configurationItems'][0].configurationItemCaptureTime instanceof Date);
  assert.equal(all['nextToken'], undefined);
  const seen: number[] = [];
  let token: string | undefined;
  do {
    const page = f.call('GetResourceConfigHistory', { ...base, limit: 1, chronologicalOrder: 'Forward', ...(token ? { nextToken: token } : {}) });
    seen.push(...page['configurationItems'].map((i: any) => JSON.parse(i.configuration).configuration.MemorySize));
    token = page['nextToken'];
  } while (token);
  assert.deepEqual(seen, [128, 256, 512]);
  // Epoch seconds (as json 1.1 clients send) bound the range too.
  const bounded = f.call('GetResourceConfigHistory', { ...base, laterTime: 1_700_000_000 });
  assert.equal(bounded['configurationItems'].length, 1);
});

test('ListDiscoveredResources: Lambda functions only; another resource type lists nothing', (t) => {
  const f = fixture();
  t.after(f.close);
  assert.deepEqual(f.call('ListDiscoveredResources', { resourceType: 'AWS::Lambda::Function' })['resourceIdentifiers'], [{ resourceType: 'AWS::Lambda::Function', resourceId: 'fn', resourceName: 'fn' }]);
  assert.deepEqual(f.call('ListDiscoveredResources', { resourceType: 'AWS::S3::Bucket' })['resourceIdentifiers'], []);
});
