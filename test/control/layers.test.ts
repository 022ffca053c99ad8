import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  AddLayerVersionPermissionCommand,
  DeleteLayerVersionCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  RemoveLayerVersionPermissionCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectError } from '../helpers/expect-error.js';

let h: Harness;
let zip: Buffer;
const ARN = 'arn:aws:lambda:us-east-1:000000000000:layer:';

before(async () => {
  h = await startHarness();
  zip = await makeZip({ 'python/helper.py': 'def helper():\n    return 42\n' });
});
after(async () => { await h.stop(); });

const publish = (LayerName: string, extra: Record<string, unknown> = {}) =>
  h.client.send(new PublishLayerVersionCommand({ LayerName, Content: { ZipFile: zip }, ...extra }));

// Texts recorded from AWS (test_lambda_api.snapshot.json, TestLambdaLayer).
const NOT_FOUND = 'The resource you requested does not exist.';
const BELOW_ONE = 'Layer Version Cannot be less than 1';
const PUBLISH_RUNTIMES =
  'nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2';
const LIST_RUNTIMES =
  'ruby3.5, ruby2.6, dotnetcore1.0, python3.7, nodejs8.10, nasa, ruby2.7, python2.7-greengrass, dotnetcore2.0, python3.8, java21, dotnet6, dotnetcore2.1, python3.9, java11, nodejs6.10, provided, dotnetcore3.1, dotnet8, java25, java17, nodejs, nodejs4.3, java8.al2, go1.x, dotnet10, nodejs20.x, go1.9, byol, nodejs10.x, provided.al2023, nodejs22.x, python3.10, java8, nodejs12.x, python3.11, nodejs24.x, nodejs8.x, python3.12, nodejs14.x, nodejs8.9, nodejs26.x, python3.13, python3.14, nodejs16.x, python3.15, provided.al2, nodejs4.3-edge, nodejs18.x, ruby3.2, python3.4, ruby3.3, ruby3.4, ruby2.5, python3.6, python2.7';
const LAYER_ARN_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)';

test('publish-layer-version: numbers versions from 1 and answers 201 with the stored content', async () => {
  const first = await publish('lc-basic', { Description: 'd', LicenseInfo: 'MIT', CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['x86_64'] });
  assert.equal(first.$metadata.httpStatusCode, 201);
  assert.equal(first.Version, 1);
  assert.equal(first.LayerArn, `${ARN}lc-basic`);
  assert.equal(first.LayerVersionArn, `${ARN}lc-basic:1`);
  assert.equal(first.Description, 'd');
  assert.equal(first.LicenseInfo, 'MIT');
  assert.deepEqual(first.CompatibleRuntimes, ['python3.12']);
  assert.deepEqual(first.CompatibleArchitectures, ['x86_64']);
  assert.equal(first.Content?.CodeSize, zip.length);
  assert.equal(first.Content?.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  assert.match(first.CreatedDate!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  const second = await publish('lc-basic');
  assert.equal(second.Version, 2);
  // Lists not sent are absent from the answer (AWS omits them), lists sent empty come back empty.
  assert.equal(second.CompatibleRuntimes, undefined);
  assert.equal(second.CompatibleArchitectures, undefined);
  assert.equal(second.Description, '');
  const empty = await publish('lc-empty', { CompatibleRuntimes: [], CompatibleArchitectures: [] });
  assert.deepEqual(empty.CompatibleRuntimes, []);
  assert.deepEqual(empty.CompatibleArchitectures, []);
});

test('publish-layer-version: Content.Location downloads the archive without credentials', async () => {
  const published = await publish('lc-download');
  const res = await fetch(published.Content!.Location!);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), zip);
  const got = await h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-download', VersionNumber: 1 }));
  assert.match(got.Content!.Location!, new RegExp(`^${h.endpoint}/flint/code/`));
});

test('publish-layer-version: accepts deprecated runtimes AWS still takes (python3.7, go1.x, provided)', async () => {
  const r = await publish('lc-deprecated', { CompatibleRuntimes: ['python3.7', 'go1.x', 'provided', 'nodejs12.x'], CompatibleArchitectures: ['arm64', 'x86_64'] });
  assert.deepEqual(r.CompatibleRuntimes, ['python3.7', 'go1.x', 'provided', 'nodejs12.x']);
});

test('publish-layer-version: rejects unknown runtimes and architectures in one ValidationException, AWS-worded', async () => {
  await expectError(
    publish('lc-invalid', { CompatibleRuntimes: ['invalidruntime'], CompatibleArchitectures: ['invalidarch'] as any }),
    'ValidationException',
    400,
    `2 validation errors detected: Value '[invalidruntime]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [${PUBLISH_RUNTIMES}]; Value '[invalidarch]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]`,
  );
  await expectError(
    publish('lc-invalid', { CompatibleRuntimes: ['invalidruntime', 'invalidruntime2', 'nodejs20.x'], CompatibleArchitectures: ['invalidarch', 'x86_64'] as any }),
    'ValidationException',
    400,
    `2 validation errors detected: Value '[invalidruntime, invalidruntime2, nodejs20.x]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [${PUBLISH_RUNTIMES}]; Value '[invalidarch, x86_64]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]`,
  );
  await expectError(publish('lc-invalid', { CompatibleArchitectures: ['x86_64', 'arm64', 'x86_64'] as any }), 'ValidationException', 400,
    "1 validation error detected: Value '[x86_64, arm64, x86_64]' at 'compatibleArchitectures' failed to satisfy constraint: Member must have length less than or equal to 2");
  // Nothing was published by the failed calls.
  const versions = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'lc-invalid' }));
  assert.deepEqual(versions.LayerVersions, []);
});

test('publish-layer-version: rejects an invalid layer name and a bad archive', async () => {
  await expectError(publish('bad name!'), 'ValidationException', 400, /^1 validation error detected: Value 'bad name!' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  await expectError(h.client.send(new PublishLayerVersionCommand({ LayerName: 'lc-badzip', Content: { ZipFile: Buffer.from('not a zip') } })), 'InvalidParameterValueException', 400,
    'Could not unzip uploaded file. Please check your file, then try to upload again.');
});

test('get-layer-version: missing layers and versions are 404, versions below 1 are 400', async () => {
  await publish('lc-get');
  const got = await h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-get', VersionNumber: 1 }));
  assert.equal(got.LayerVersionArn, `${ARN}lc-get:1`);
  assert.equal(got.$metadata.httpStatusCode, 200);
  const byArnName = await h.client.send(new GetLayerVersionCommand({ LayerName: `${ARN}lc-get`, VersionNumber: 1 }));
  assert.equal(byArnName.Version, 1);
  await expectError(h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-doesnotexist', VersionNumber: 1 })), 'ResourceNotFoundException', 404, NOT_FOUND);
  await expectError(h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-get', VersionNumber: 2 })), 'ResourceNotFoundException', 404, NOT_FOUND);
  await expectError(h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-get', VersionNumber: 0 })), 'InvalidParameterValueException', 400, BELOW_ONE);
  await expectError(h.client.send(new GetLayerVersionCommand({ LayerName: 'lc-get', VersionNumber: -1 })), 'InvalidParameterValueException', 400, BELOW_ONE);
});

test('get-layer-version-by-arn: finds a version; an ARN without version fails AWS\'s pattern; a missing version is 404', async () => {
  await publish('lc-byarn');
  const got = await h.client.send(new GetLayerVersionByArnCommand({ Arn: `${ARN}lc-byarn:1` }));
  assert.equal(got.LayerArn, `${ARN}lc-byarn`);
  assert.equal(got.Content?.CodeSize, zip.length);
  await expectError(h.client.send(new GetLayerVersionByArnCommand({ Arn: `${ARN}lc-byarn` })), 'ValidationException', 400,
    `1 validation error detected: Value '${ARN}lc-byarn' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${LAYER_ARN_PATTERN}`);
  await expectError(h.client.send(new GetLayerVersionByArnCommand({ Arn: `${ARN}lc-byarn:2` })), 'ResourceNotFoundException', 404, NOT_FOUND);
});

test('list-layers: latest matching version per layer, filtered by runtime and architecture, paginated', async () => {
  await publish('ll-a', { CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['x86_64'] });
  await publish('ll-a', { CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['arm64'] });
  await publish('ll-b', { CompatibleRuntimes: ['python3.12'], CompatibleArchitectures: ['arm64'] });
  const all = await h.client.send(new ListLayersCommand({}));
  const mine = all.Layers!.filter((l) => l.LayerName!.startsWith('ll-'));
  assert.deepEqual(mine.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version]), [['ll-a', 2], ['ll-b', 1]]);
  assert.equal(mine[0]!.LayerArn, `${ARN}ll-a`);
  assert.deepEqual(Object.keys(mine[0]!.LatestMatchingVersion!).sort(), ['CompatibleArchitectures', 'CompatibleRuntimes', 'CreatedDate', 'Description', 'LayerVersionArn', 'Version']);
  const py = await h.client.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
  assert.deepEqual(py.Layers!.filter((l) => l.LayerName!.startsWith('ll-')).map((l) => [l.LayerName, l.LatestMatchingVersion?.Version]), [['ll-a', 1], ['ll-b', 1]]);
  const pyX86 = await h.client.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12', CompatibleArchitecture: 'x86_64' }));
  assert.deepEqual(pyX86.Layers!.filter((l) => l.LayerName!.startsWith('ll-')).map((l) => l.LayerName), ['ll-a']);
  // Pagination walks every layer exactly once.
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await h.client.send(new ListLayersCommand({ MaxItems: 1, Marker: marker }));
    assert.ok(page.Layers!.length <= 1);
    seen.push(...page.Layers!.map((l) => l.LayerName!));
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(seen, all.Layers!.map((l) => l.LayerName));
});

test('list-layers: rejects unknown filter values with AWS\'s enum texts', async () => {
  await expectError(h.client.send(new ListLayersCommand({ CompatibleRuntime: 'runtimedoesnotexist' as any })), 'ValidationException', 400,
    `1 validation error detected: Value 'runtimedoesnotexist' at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set: [${LIST_RUNTIMES}]`);
  await expectError(h.client.send(new ListLayersCommand({ CompatibleArchitecture: 'archdoesnotexist' as any })), 'ValidationException', 400,
    "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]");
  await expectError(h.client.send(new ListLayersCommand({ MaxItems: 51 })), 'ValidationException', 400,
    "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50");
});

test('list-layer-versions: newest first, filtered, paginated; an unknown layer has none', async () => {
  await publish('llv', { CompatibleRuntimes: ['python3.12'] });
  await publish('llv', { CompatibleRuntimes: ['nodejs20.x'] });
  await publish('llv', { CompatibleRuntimes: ['python3.12'], LicenseInfo: 'MIT' });
  const all = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'llv' }));
  assert.deepEqual(all.LayerVersions!.map((v) => v.Version), [3, 2, 1]);
  assert.equal(all.LayerVersions![0]!.LicenseInfo, 'MIT');
  assert.equal(all.NextMarker, undefined);
  const py = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'llv', CompatibleRuntime: 'python3.12' }));
  assert.deepEqual(py.LayerVersions!.map((v) => v.Version), [3, 1]);
  const p1 = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'llv', MaxItems: 2 }));
  assert.deepEqual(p1.LayerVersions!.map((v) => v.Version), [3, 2]);
  assert.ok(p1.NextMarker);
  const p2 = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'llv', MaxItems: 2, Marker: p1.NextMarker }));
  assert.deepEqual(p2.LayerVersions!.map((v) => v.Version), [1]);
  assert.equal(p2.NextMarker, undefined);
  const none = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'llv-doesnotexist' }));
  assert.equal(none.$metadata.httpStatusCode, 200);
  assert.deepEqual(none.LayerVersions, []);
});

test('delete-layer-version: is idempotent, and version numbers are never reused', async () => {
  await publish('ld');
  await publish('ld');
  const del = await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'ld', VersionNumber: 1 }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'ld', VersionNumber: 1 }));
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'ld', VersionNumber: 2 }));
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'ld-doesnotexist', VersionNumber: 1 }));
  await expectError(h.client.send(new DeleteLayerVersionCommand({ LayerName: 'ld', VersionNumber: 0 })), 'InvalidParameterValueException', 400, BELOW_ONE);
  const empty = await h.client.send(new ListLayerVersionsCommand({ LayerName: 'ld' }));
  assert.deepEqual(empty.LayerVersions, []);
  const layers = await h.client.send(new ListLayersCommand({}));
  assert.ok(!layers.Layers!.some((l) => l.LayerName === 'ld'), 'a layer without versions is not listed');
  const third = await publish('ld');
  assert.equal(third.Version, 3);
  assert.equal(third.LayerVersionArn, `${ARN}ld:3`);
});

test('layer-version-permission: add, get, remove with RevisionIds, like AWS', async () => {
  await publish('lp');
  const s1 = await h.client.send(new AddLayerVersionPermissionCommand({ LayerName: 'lp', VersionNumber: 1, StatementId: 's1', Action: 'lambda:GetLayerVersion', Principal: '*' }));
  assert.equal(s1.$metadata.httpStatusCode, 201);
  assert.deepEqual(JSON.parse(s1.Statement!), { Sid: 's1', Effect: 'Allow', Principal: '*', Action: 'lambda:GetLayerVersion', Resource: `${ARN}lp:1` });
  const p1 = await h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lp', VersionNumber: 1 }));
  assert.equal(p1.RevisionId, s1.RevisionId);
  assert.equal(p1.Policy, `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s1","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"${ARN}lp:1"}]}`);
  const s2 = await h.client.send(new AddLayerVersionPermissionCommand({
    LayerName: 'lp', VersionNumber: 1, StatementId: 's2', Action: 'lambda:GetLayerVersion', Principal: '123456789012', OrganizationId: 'o-1234567890', RevisionId: p1.RevisionId,
  }));
  assert.notEqual(s2.RevisionId, s1.RevisionId);
  assert.deepEqual(JSON.parse(s2.Statement!), {
    Sid: 's2', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'lambda:GetLayerVersion', Resource: `${ARN}lp:1`,
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1234567890' } },
  });
  const p2 = await h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lp', VersionNumber: 1 }));
  assert.deepEqual(JSON.parse(p2.Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['s1', 's2']);
  await h.client.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'lp', VersionNumber: 1, StatementId: 's2', RevisionId: p2.RevisionId }));
  const p3 = await h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lp', VersionNumber: 1 }));
  assert.deepEqual(JSON.parse(p3.Policy!).Statement.map((s: { Sid: string }) => s.Sid), ['s1']);
  assert.notEqual(p3.RevisionId, p2.RevisionId);
  await h.client.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'lp', VersionNumber: 1, StatementId: 's1' }));
  await expectError(h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lp', VersionNumber: 1 })), 'ResourceNotFoundException', 404, 'No policy is associated with the given resource.');
});

test('layer-version-permission: AWS\'s errors for bad actions, duplicates, stale revisions and missing resources', async () => {
  await publish('lpe');
  const add = (extra: Record<string, unknown>) => h.client.send(new AddLayerVersionPermissionCommand({
    LayerName: 'lpe', VersionNumber: 1, StatementId: 's1', Action: 'lambda:GetLayerVersion', Principal: '*', ...extra,
  }));
  await expectError(h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lpe', VersionNumber: 1 })), 'ResourceNotFoundException', 404, 'No policy is associated with the given resource.');
  await expectError(add({ Action: '*' }), 'ValidationException', 400,
    "1 validation error detected: Value '*' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion");
  await add({});
  await expectError(add({}), 'ResourceConflictException', 409,
    'The statement id (s1) provided already exists. Please provide a new statement id, or remove the existing statement.');
  const stale = 'The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id';
  await expectError(add({ StatementId: 's2', RevisionId: 'wrong' }), 'PreconditionFailedException', 412, stale);
  await expectError(h.client.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'lpe', VersionNumber: 1, StatementId: 's1', RevisionId: 'wrong' })), 'PreconditionFailedException', 412, stale);
  await expectError(h.client.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'lpe', VersionNumber: 1, StatementId: 'doesnotexist' })), 'ResourceNotFoundException', 404,
    'Statement doesnotexist is not found in resource policy.');
  for (const [LayerName, VersionNumber] of [['lpe-doesnotexist', 1], ['lpe', 2]] as const) {
    const msg = `Layer version ${ARN}${LayerName}:${VersionNumber} does not exist.`;
    await expectError(add({ LayerName, VersionNumber }), 'ResourceNotFoundException', 404, msg);
    await expectError(h.client.send(new GetLayerVersionPolicyCommand({ LayerName, VersionNumber })), 'ResourceNotFoundException', 404, msg);
    await expectError(h.client.send(new RemoveLayerVersionPermissionCommand({ LayerName, VersionNumber, StatementId: 's1' })), 'ResourceNotFoundException', 404, msg);
  }
  // Deleting the version takes its policy along; a republished version starts without one.
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'lpe', VersionNumber: 1 }));
  await publish('lpe');
  await expectError(h.client.send(new GetLayerVersionPolicyCommand({ LayerName: 'lpe', VersionNumber: 1 })), 'ResourceNotFoundException', 404);
});
