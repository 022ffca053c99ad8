import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { InProcessEvents } from '../../src/app/in-process-events.js';
import { Arns } from '../../src/domain/function-name.js';
import { FunctionService } from '../../src/control/function-service.js';
import { VersionService } from '../../src/control/version-service.js';
import { AliasService } from '../../src/control/alias-service.js';
import { CodeLocations } from '../../src/control/code-location.js';
import { PolicyService } from '../../src/control/policy-service.js';
import { EventInvokeConfigService } from '../../src/control/event-invoke-config-service.js';
import { ProvisionedConcurrencyService } from '../../src/control/provisioned-concurrency-service.js';
import { ConcurrencyService } from '../../src/control/concurrency-service.js';
import type { FunctionEvent } from '../../src/ports/function-events.js';
import type { ControlContext } from '../../src/control/control-context.js';
import { makeZip } from '../helpers/zip.js';

/**
 * FunctionService driven directly (no HTTP), so the moments between a change and its settling —
 * and the notifications to the invoke side — can be observed deterministically.
 */
const ROLE = 'arn:aws:iam::000000000000:role/r';
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function';
let dir: string;
let store: SqliteMetadataStore;
let ctx: ControlContext;
let functions: FunctionService;
let versions: VersionService;
let aliases: AliasService;
const events: FunctionEvent[] = [];
let zip: Buffer;
const clock = { now: () => 1_800_000_000_000, monotonic: () => 0 };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flint-fnsvc-'));
  store = new SqliteMetadataStore(join(dir, 'flint.db'));
  const code = new EncryptedCodeStore({ dataDir: dir, masterKey: randomBytes(32), db: store.db });
  const bus = new InProcessEvents();
  bus.subscribe((e) => events.push(e));
  let n = 0;
  ctx = { store, code, clock, arns: new Arns('us-east-1', '000000000000'), events: bus, uuid: () => `rev-${++n}` };
  functions = new FunctionService(ctx);
  versions = new VersionService(ctx);
  aliases = new AliasService(ctx);
  // The services that own per-qualifier documents drop them on delete events.
  new PolicyService(ctx);
  new EventInvokeConfigService(ctx);
  new ProvisionedConcurrencyService(ctx, new ConcurrencyService(ctx, { concurrencyLimit: 1000 }));
  zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));
const create = (name: string, extra: Record<string, unknown> = {}) =>
  functions.create({ FunctionName: name, Runtime: 'nodejs20.x', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra });

function expectThrow(fn: () => unknown, type: string, message: string): void {
  assert.throws(fn, (err: any) => {
    assert.equal(err.type, type);
    assert.equal(err.message, message);
    return true;
  });
}

test('function-events: code and configuration updates retire $LATEST; deletes announce versions and functions', async () => {
  await create('ev', { Publish: true });
  await tick();
  events.length = 0;
  await functions.updateCode({ FunctionName: 'ev', ZipFile: await makeZip({ 'index.js': '2' }) });
  await tick();
  functions.updateConfiguration({ FunctionName: 'ev', Description: 'd' });
  await tick();
  functions.delete({ FunctionName: 'ev', Qualifier: '1' });
  functions.delete({ FunctionName: 'ev' });
  assert.deepEqual(events, [
    { type: 'version-changed', functionName: 'ev', version: '$LATEST' },
    { type: 'version-changed', functionName: 'ev', version: '$LATEST' },
    { type: 'version-deleted', functionName: 'ev', version: '1' },
    { type: 'function-deleted', functionName: 'ev' },
  ]);
  // DryRun and refused requests announce nothing.
  await create('ev2');
  await tick();
  events.length = 0;
  await functions.updateCode({ FunctionName: 'ev2', ZipFile: zip, DryRun: true });
  assert.throws(() => functions.delete({ FunctionName: 'ev2', Qualifier: '$LATEST' }));
  assert.deepEqual(events, []);
});

test('function-state: Pending until settled — updates, publishing and invocation are refused meanwhile', async () => {
  await create('pend');
  const pendingText = 'The operation cannot be performed at this time. The function is currently in the following state: Pending';
  expectThrow(() => functions.updateConfiguration({ FunctionName: 'pend', Description: 'x' }), 'ResourceConflictException', pendingText);
  expectThrow(() => versions.publish({ FunctionName: 'pend' }), 'ResourceConflictException', pendingText);
  expectThrow(() => functions.resolveInvocationTarget('pend', undefined, Math.random), 'ResourceConflictException', pendingText);
  await tick();
  assert.equal(functions.getConfiguration({ FunctionName: 'pend' }).State, 'Active');
  assert.equal(functions.resolveInvocationTarget('pend', undefined, Math.random).executedVersion, '$LATEST');
});

test('function-state: a second update while the first is InProgress is a ResourceConflictException', async () => {
  await create('busy');
  await tick();
  const first = functions.updateConfiguration({ FunctionName: 'busy', Description: 'a' });
  assert.equal(first.LastUpdateStatus, 'InProgress');
  const inProgress = `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}:busy`;
  expectThrow(() => functions.updateConfiguration({ FunctionName: 'busy', Description: 'b' }), 'ResourceConflictException', inProgress);
  expectThrow(() => versions.publish({ FunctionName: 'busy' }), 'ResourceConflictException', inProgress);
  await assert.rejects(functions.updateCode({ FunctionName: 'busy', ZipFile: zip }), (err: any) => err.message === inProgress);
  await tick();
  const settled = functions.getConfiguration({ FunctionName: 'busy' });
  assert.equal(settled.LastUpdateStatus, 'Successful');
  assert.equal(settled.LastUpdateStatusReason, undefined);
  assert.notEqual(settled.RevisionId, first.RevisionId);
});

test('resolve-invocation-target: accepts every name form and reports what runs and what was addressed', async () => {
  await create('inv', { Publish: true });
  await tick();
  const cases: Array<[string, string | undefined, string, string | undefined, string]> = [
    ['inv', undefined, '$LATEST', undefined, `${ARN}:inv`],
    ['inv', '$LATEST', '$LATEST', '$LATEST', `${ARN}:inv:$LATEST`],
    ['inv:1', undefined, '1', '1', `${ARN}:inv:1`],
    [`${ARN}:inv`, '1', '1', '1', `${ARN}:inv:1`],
    ['000000000000:function:inv:1', undefined, '1', '1', `${ARN}:inv:1`],
    ['us-east-1:000000000000:function:inv', undefined, '$LATEST', undefined, `${ARN}:inv`],
  ];
  for (const [name, q, executed, qualifier, arn] of cases) {
    const t = functions.resolveInvocationTarget(name, q, Math.random);
    assert.equal(t.executedVersion, executed, name);
    assert.equal(t.record.config.Version, executed);
    assert.equal(t.qualifier, qualifier);
    assert.equal(t.resolvedArn, arn);
  }
  expectThrow(() => functions.resolveInvocationTarget('nope', undefined, Math.random), 'ResourceNotFoundException', `Function not found: ${ARN}:nope:$LATEST`);
  expectThrow(() => functions.resolveInvocationTarget('inv', '7', Math.random), 'ResourceNotFoundException', `Function not found: ${ARN}:inv:7`);
  expectThrow(() => functions.resolveInvocationTarget('inv:nolias', undefined, Math.random), 'ResourceNotFoundException', `Function not found: ${ARN}:inv:nolias`);
  expectThrow(() => functions.resolveInvocationTarget('inv:1', '2', Math.random), 'InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  expectThrow(
    () => functions.resolveInvocationTarget('arn:aws:lambda:eu-west-1:000000000000:function:inv', undefined, Math.random),
    'ResourceNotFoundException',
    "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
  );
});

test('resolve-invocation-target: an alias with weights sends a request to the additional version with probability w', async () => {
  functions.updateConfiguration({ FunctionName: 'inv', Description: 'second' });
  await tick();
  versions.publish({ FunctionName: 'inv' });
  aliases.create({ FunctionName: 'inv', Name: 'canary', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } } });
  const pick = (r: number) => functions.resolveInvocationTarget('inv', 'canary', () => r);
  assert.equal(pick(0.29).executedVersion, '2');
  assert.equal(pick(0.3).executedVersion, '1');
  assert.equal(pick(0.99).executedVersion, '1');
  const t = pick(0);
  assert.equal(t.qualifier, 'canary');
  assert.equal(t.resolvedArn, `${ARN}:inv:canary`);
  assert.equal(t.record.config.Description, 'second');
  // Over many draws the split follows the weight.
  let seeded = 42;
  const rand = () => ((seeded = (seeded * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let toTwo = 0;
  for (let i = 0; i < 2000; i++) if (functions.resolveInvocationTarget('inv:canary', undefined, rand).executedVersion === '2') toTwo++;
  assert.ok(toTwo > 500 && toTwo < 700, `~30% to version 2, got ${toTwo}/2000`);
  // A draw made earlier for the request (a cluster's api node) is kept when the alias routes to
  // it; a version it does not route to is ignored and drawn afresh.
  const never = () => { throw new Error('no second draw'); };
  assert.equal(functions.resolveInvocationTarget('inv', 'canary', never, '2').executedVersion, '2');
  assert.equal(functions.resolveInvocationTarget('inv', 'canary', never, '1').executedVersion, '1');
  assert.equal(functions.resolveInvocationTarget('inv', 'canary', () => 0.99, '$LATEST').executedVersion, '1');
  assert.equal(functions.resolveInvocationTarget('inv', 'canary', () => 0, '7').executedVersion, '2');
  // Without weights, the qualifier decides alone.
  assert.equal(functions.resolveInvocationTarget('inv', '1', never, '2').executedVersion, '1');
});

test('resolve-invocation-target: a version published by UpdateFunctionCode is Pending until settled', async () => {
  const v = await functions.updateCode({ FunctionName: 'inv', ZipFile: await makeZip({ 'index.js': '3' }), Publish: true });
  assert.equal(v.Version, '3');
  expectThrow(
    () => functions.resolveInvocationTarget('inv', '3', Math.random),
    'ResourceConflictException',
    'The operation cannot be performed at this time. The function is currently in the following state: Pending',
  );
  await tick();
  assert.equal(functions.resolveInvocationTarget('inv', '3', Math.random).record.config.State, 'Active');
});

test('alias-delete: takes the alias’s policy, invoke config and provisioned concurrency with it, and tells the invoke side', async () => {
  await create('al', { Publish: true });
  await tick();
  aliases.create({ FunctionName: 'al', Name: 'live', FunctionVersion: '1' });
  const SEP = '\u0000';
  for (const c of ['policies', 'event-invoke-configs', 'provisioned-concurrency']) {
    store.collection(c).put(`al${SEP}live`, { marker: c });
    store.collection(c).put(`al${SEP}1`, { marker: c });
  }
  events.length = 0;
  aliases.delete({ FunctionName: 'al', Name: 'live' });
  for (const c of ['policies', 'event-invoke-configs', 'provisioned-concurrency']) {
    assert.equal(store.collection(c).get(`al${SEP}live`), undefined, c);
    assert.deepEqual(store.collection(c).get(`al${SEP}1`), { marker: c }, `${c} of the version stays`);
  }
  assert.deepEqual(events, [
    { type: 'alias-deleted', functionName: 'al', alias: 'live' },
    { type: 'provisioned-concurrency-changed', functionName: 'al', qualifier: 'live' },
  ]);
  aliases.delete({ FunctionName: 'al', Name: 'live' });
  assert.equal(events.length, 2, 'deleting an absent alias changes nothing');
  // Deleting the function removes every per-qualifier document.
  functions.delete({ FunctionName: 'al' });
  for (const c of ['policies', 'event-invoke-configs', 'provisioned-concurrency']) assert.equal(store.collection(c).count(`al${SEP}`), 0, c);
});

test('code-location: links expire after ten minutes and cannot be forged', () => {
  let now = 1_800_000_000_000;
  const locations = new CodeLocations(randomBytes(32), { now: () => now, monotonic: () => 0 });
  const sha = 'ab'.repeat(32);
  const url = locations.url('http://127.0.0.1:1', sha);
  const token = url.slice('http://127.0.0.1:1/flint/code/'.length);
  assert.equal(locations.resolve(token), sha);
  now += 10 * 60_000 - 1000;
  assert.equal(locations.resolve(token), sha);
  now += 2000;
  assert.equal(locations.resolve(token), undefined);
  const other = new CodeLocations(randomBytes(32), { now: () => 1_800_000_000_000, monotonic: () => 0 });
  assert.equal(other.resolve(token), undefined, 'a token signed with another key is refused');
});
