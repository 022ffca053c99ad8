import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteFunctionCommand, PutFunctionConcurrencyCommand, TagResourceCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';

async function aws(h: Harness, home: string, args: string[]): Promise<any> {
  const env = { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', ...args], { env });
  return JSON.parse(stdout);
}

test('AWS CLI: get-resource-config-history lists a function\'s changes newest first, ending in its deletion; list-discovered-resources includes it only with deleted resources', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async (t) => {
  const h = await startHarness();
  const home = mkdtempSync(join(tmpdir(), 'flint-aws-home-'));
  t.after(async () => { await h.stop(); rmSync(home, { recursive: true, force: true }); });
  await createFunction(h.client, 'hist-fn');
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'hist-fn', MemorySize: 256 }));
  await waitSettled(h.client, 'hist-fn');
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'hist-fn', ReservedConcurrentExecutions: 3 }));
  const arn = (await waitSettled(h.client, 'hist-fn')).FunctionArn!;
  await h.client.send(new TagResourceCommand({ Resource: arn, Tags: { team: 'blue' } }));
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'hist-fn', ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 2;' }) }));
  await waitSettled(h.client, 'hist-fn');

  const live = await aws(h, home, ['configservice', 'list-discovered-resources', '--resource-type', 'AWS::Lambda::Function']);
  assert.deepEqual(live.resourceIdentifiers.map((r: any) => r.resourceId), ['hist-fn']);

  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'hist-fn' }));
  const out = await aws(h, home, ['configservice', 'get-resource-config-history', '--resource-type', 'AWS::Lambda::Function', '--resource-id', 'hist-fn']);
  const items = out.configurationItems as any[];
  assert.deepEqual(items.map((i) => i.configurationItemStatus), ['ResourceDeleted', 'OK', 'OK', 'OK', 'OK', 'ResourceDiscovered']);
  const [deleted, recoded, tagged, reserved, resized, created] = items;
  assert.notEqual(JSON.parse(recoded.configuration).configuration.CodeSha256, JSON.parse(tagged.configuration).configuration.CodeSha256);
  assert.equal(deleted.configuration, undefined);
  assert.deepEqual(tagged.tags, { team: 'blue' });
  assert.equal(JSON.parse(reserved.configuration).reservedConcurrentExecutions, 3);
  assert.equal(JSON.parse(resized.configuration).configuration.MemorySize, 256);
  assert.equal(JSON.parse(created.configuration).configuration.MemorySize, 128);
  assert.equal(created.resourceType, 'AWS::Lambda::Function');
  assert.equal(created.arn, arn);
  // The CLI parsed the capture times as timestamps: ordered newest first.
  const times = items.map((i) => Date.parse(i.configurationItemCaptureTime));
  assert.deepEqual([...times].sort((a, b) => b - a), times);

  const forward = await aws(h, home, ['configservice', 'get-resource-config-history', '--resource-type', 'AWS::Lambda::Function', '--resource-id', 'hist-fn', '--chronological-order', 'Forward', '--limit', '2', '--no-paginate']);
  assert.deepEqual(forward.configurationItems.map((i: any) => i.configurationItemStatus), ['ResourceDiscovered', 'OK']);
  assert.ok(forward.nextToken);

  const hidden = await aws(h, home, ['configservice', 'list-discovered-resources', '--resource-type', 'AWS::Lambda::Function']);
  assert.deepEqual(hidden.resourceIdentifiers, []);
  const all = await aws(h, home, ['configservice', 'list-discovered-resources', '--resource-type', 'AWS::Lambda::Function', '--include-deleted-resources']);
  assert.equal(all.resourceIdentifiers[0].resourceId, 'hist-fn');
  assert.ok(all.resourceIdentifiers[0].resourceDeletionTime);

  const unknown = await aws(h, home, ['configservice', 'get-resource-config-history', '--resource-type', 'AWS::Lambda::Function', '--resource-id', 'never-existed']).then(() => '', (e: { stderr: string }) => e.stderr);
  assert.match(unknown, /ResourceNotDiscoveredException/);
});
