import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteFunctionCommand,
  GetFunctionCommand,
  ListTagsCommand,
  PublishLayerVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { createFunction, publishVersion } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';
const tag = (Resource: string, Tags: Record<string, string>) => h.client.send(new TagResourceCommand({ Resource, Tags }));
const untag = (Resource: string, TagKeys: string[]) => h.client.send(new UntagResourceCommand({ Resource, TagKeys }));
const listTags = async (Resource: string) => (await h.client.send(new ListTagsCommand({ Resource }))).Tags;
const revision = async (name: string) => (await h.client.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!.RevisionId;
// Texts recorded from AWS (TestLambdaTag, TestLambdaTags).
const QUALIFIED = 'Tags on function aliases and versions are not supported. Please specify a function ARN.';
const TOO_MANY = 'Number of tags exceeds resource tag limit.';
const RESOURCE_PATTERN =
  'arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)';

test('tag-resource: adds, overwrites and removes tags; every change gives $LATEST a new RevisionId', async () => {
  const arn = await createFunction(h.client, 'tag-life', { Tags: { key_a: 'value_a' } });
  assert.deepEqual(await listTags(arn), { key_a: 'value_a' });
  const r0 = await revision('tag-life');
  const res = await tag(arn, { key_b: 'value_b', key_c: 'value_c', key_d: 'value_d', key_e: 'value_e' });
  assert.equal(res.$metadata.httpStatusCode, 204);
  assert.deepEqual(await listTags(arn), { key_a: 'value_a', key_b: 'value_b', key_c: 'value_c', key_d: 'value_d', key_e: 'value_e' });
  const r1 = await revision('tag-life');
  assert.notEqual(r1, r0);
  await tag(arn, { key_b: 'value_b', key_c: 'value_x' });
  const got = await h.client.send(new GetFunctionCommand({ FunctionName: 'tag-life' }));
  assert.deepEqual(got.Tags, { key_a: 'value_a', key_b: 'value_b', key_c: 'value_x', key_d: 'value_d', key_e: 'value_e' });
  assert.notEqual(got.Configuration!.RevisionId, r1);
  const untagged = await untag(arn, ['key_c', 'key_d']);
  assert.equal(untagged.$metadata.httpStatusCode, 204);
  assert.deepEqual(await listTags(arn), { key_a: 'value_a', key_b: 'value_b', key_e: 'value_e' });
  // Keys that are not there are ignored.
  await untag(arn, ['key_a', 'key_b', 'key_e', 'nosuchkey']);
  assert.deepEqual(await listTags(arn), {});
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'tag-life' }));
  await expectError(listTags(arn), 'ResourceNotFoundException', 404, `Function not found: ${arn}`);
});

test('tag-resource: at most 50 tags per function', async () => {
  const arn = await createFunction(h.client, 'tag-limit');
  const tags = (n: number, prefix = '') => Object.fromEntries(Array.from({ length: n }, (_, k) => [`${prefix}${k}_key`, `${k}_value`]));
  await expectError(tag(arn, tags(51)), 'InvalidParameterValueException', 400, TOO_MANY);
  await tag(arn, tags(50));
  assert.equal(Object.keys((await listTags(arn))!).length, 50);
  await expectError(tag(arn, { a_key: 'a_value' }), 'InvalidParameterValueException', 400, TOO_MANY);
  await tag(arn, { '0_key': 'overwritten' });
  assert.equal((await listTags(arn))!['0_key'], 'overwritten', 'overwriting an existing key stays within the limit');
});

test('tag-resource: AWS\'s errors for bad ARNs, qualifiers, missing functions and empty input', async () => {
  const arn = await createFunction(h.client, 'tag-exc');
  const v = await publishVersion(h.client, 'tag-exc');
  await expectError(tag('arn:aws:something', { key_a: 'value_a' }), 'ValidationException', 400,
    `1 validation error detected: Value 'arn:aws:something' at 'resource' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RESOURCE_PATTERN}`);
  await expectError(listTags('arn:aws:lambda:us-east-1:000000000000:foobar:x'), 'ValidationException', 400, /at 'resource' failed to satisfy constraint/);
  await expectError(tag(`${FN}doesnotexist`, { key_a: 'value_a' }), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist`);
  await expectError(untag(`${FN}doesnotexist`, ['k']), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist`);
  await expectError(listTags(`${FN}doesnotexist`), 'ResourceNotFoundException', 404, `Function not found: ${FN}doesnotexist`);
  for (const q of ['v1', v, '$LATEST']) {
    await expectError(tag(`${arn}:${q}`, { key_a: 'value_a' }), 'InvalidParameterValueException', 400, QUALIFIED);
  }
  assert.deepEqual(await listTags(arn), {});
  assert.equal((await untag(arn, ['somekey'])).$metadata.httpStatusCode, 204);
  await expectError(untag(arn, []), 'ValidationException', 400, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null");
  await expectError(tag(arn, {}), 'InvalidParameterValueException', 400, 'An error occurred and the request cannot be processed.');
  const esm = 'arn:aws:lambda:us-east-1:000000000000:event-source-mapping:0b5b3b4e-0000-4000-8000-000000000000';
  await expectError(tag(esm, { a: 'b' }), 'ResourceNotFoundException', 404, `Event source mapping not found: ${esm}`);
  const cp = 'arn:aws:lambda:us-east-1:000000000000:capacity-provider:cp1';
  await expectError(listTags(cp), 'ResourceNotFoundException', 404, `Capacity provider not found: ${cp}`);
  // Flint's own checks (AWS's wording not recorded): reserved prefix and lengths.
  await expectError(tag(arn, { 'aws:owner': 'x' }), 'InvalidParameterValueException', 400);
  await expectError(tag(arn, { ['k'.repeat(129)]: 'x' }), 'InvalidParameterValueException', 400);
  await expectError(tag(arn, { k: 'v'.repeat(257) }), 'InvalidParameterValueException', 400);
  assert.deepEqual(await listTags(arn), {});
});

test('tag-resource: layers cannot be tagged', async () => {
  const layer = await h.client.send(new PublishLayerVersionCommand({ LayerName: 'tag-layer', Content: { ZipFile: await makeZip({ 'a.txt': 'a' }) } }));
  await expectError(tag(layer.LayerArn!, { a: 'b' }), 'InvalidParameterValueException', 400);
});
