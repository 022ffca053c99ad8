import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionCatalog, IAM_PREFIX_BY_SIGNING_NAME } from '../../../src/iam/authorization/action-catalog.js';

const catalog = new ActionCatalog();

/** Every model the front door serves, by SigV4 signing name (CloudWatch signs as `monitoring`). */
const operations: Record<string, string[]> = {};
for (const file of readdirSync('src/api/model')) {
  const model = JSON.parse(readFileSync(join('src/api/model', file), 'utf8'));
  operations[model.metadata.signingName ?? model.metadata.endpointPrefix] = Object.keys(model.operations);
}

/**
 * Operations AWS's Service Authorization Reference lists no action for. Each is evaluated as
 * `<prefix>:<Operation>` on `*`; a new one appearing in a model fails the test below until it is
 * mapped in operation-actions.ts or listed here with its reason.
 */
const KNOWN_UNMAPPED: Record<string, string[]> = {
  // Delegation requests (a 2025 IAM feature Flint does not serve): no iam:UpdateDelegationRequest.
  iam: ['UpdateDelegationRequest'],
  // Operations newer than the reference's entries for their services; Flint serves none of them yet.
  cloudtrail: ['ListInsightsMetricData'],
  monitoring: ['DescribeAlarmContributors'],
  logs: ['GetLogObject'],
};

test('catalog: the models cover Lambda, IAM and STS and the services to come', () => {
  for (const s of ['lambda', 'iam', 'sts', 'kms', 'logs', 'monitoring', 'sqs', 'events', 'scheduler', 'xray', 'cloudtrail', 'config']) {
    assert.ok(operations[s], `model for ${s}`);
  }
});

for (const service of Object.keys(IAM_PREFIX_BY_SIGNING_NAME)) {
  test(`catalog: every ${service} operation maps to an action the Service Authorization Reference lists`, () => {
    const unmapped: string[] = [];
    for (const op of operations[service] ?? []) {
      const entry = catalog.forOperation(service, op)!;
      assert.ok(entry, `${service} is loaded`);
      if (!entry.mapped) { unmapped.push(op); continue; }
      for (const a of entry.actions) assert.ok(catalog.action(a.action), `${op} → ${a.action} exists in the data`);
    }
    assert.deepEqual(unmapped, KNOWN_UNMAPPED[service] ?? []);
  });
}

test('catalog: Invoke and InvokeWithResponseStream are authorized as lambda:InvokeFunction on a function', () => {
  for (const op of ['Invoke', 'InvokeWithResponseStream']) {
    const [a] = catalog.forOperation('lambda', op)!.actions;
    assert.equal(a!.action, 'lambda:InvokeFunction');
    assert.deepEqual(a!.resourceTypes.map((t) => [t.name, t.required]), [['function', true]]);
    assert.equal(a!.resourceTypes[0]!.template.text, 'arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}');
  }
});

test('catalog: GetLayerVersionByArn is authorized as lambda:GetLayerVersion', () => {
  assert.deepEqual(catalog.forOperation('lambda', 'GetLayerVersionByArn')!.actions.map((a) => a.action), ['lambda:GetLayerVersion']);
});

test('catalog: an operation whose name is its action maps to itself with the data\'s spelling', () => {
  assert.equal(catalog.forOperation('lambda', 'ListFunctions')!.actions[0]!.action, 'lambda:ListFunctions');
  assert.equal(catalog.forOperation('iam', 'CreateAccessKey')!.actions[0]!.action, 'iam:CreateAccessKey');
  assert.equal(catalog.forOperation('sts', 'AssumeRole')!.actions[0]!.action, 'sts:AssumeRole');
});

test('catalog: ListFunctions acts on no named resource', () => {
  assert.deepEqual(catalog.forOperation('lambda', 'ListFunctions')!.actions[0]!.resourceTypes, []);
});

test('catalog: condition keys come from the data, lower-cased (AddPermission has lambda:Principal)', () => {
  const keys = catalog.forOperation('lambda', 'AddPermission')!.actions[0]!.conditionKeys;
  assert.ok(keys.has('lambda:principal'));
  assert.ok(keys.has('lambda:functionurlauthtype'));
  assert.ok(catalog.forOperation('iam', 'AttachUserPolicy')!.actions[0]!.conditionKeys.has('iam:policyarn'));
  assert.ok(catalog.forOperation('sts', 'AssumeRole')!.actions[0]!.conditionKeys.has('sts:rolesessionname'));
});

test('catalog: CloudWatch signs as monitoring and its actions are cloudwatch:*', () => {
  assert.equal(catalog.prefixOf('monitoring'), 'cloudwatch');
  assert.equal(catalog.forOperation('monitoring', 'PutMetricData')!.actions[0]!.action, 'cloudwatch:PutMetricData');
});

test('catalog: an operation AWS authorizes with two actions lists both (KMS ReEncrypt)', () => {
  assert.deepEqual(catalog.forOperation('kms', 'ReEncrypt')!.actions.map((a) => a.action), ['kms:ReEncryptFrom', 'kms:ReEncryptTo']);
});

test('catalog: SQS batch operations are authorized as their single-message actions', () => {
  assert.equal(catalog.forOperation('sqs', 'SendMessageBatch')!.actions[0]!.action, 'sqs:SendMessage');
  assert.equal(catalog.forOperation('sqs', 'DeleteMessageBatch')!.actions[0]!.action, 'sqs:DeleteMessage');
});

test('catalog: an operation unknown to the data is unmapped and evaluated under its own name on *', () => {
  const e = catalog.forOperation('iam', 'UpdateDelegationRequest')!;
  assert.equal(e.mapped, false);
  assert.equal(e.actions[0]!.action, 'iam:UpdateDelegationRequest');
  assert.deepEqual(e.actions[0]!.resourceTypes, []);
});

test('catalog: a service that is not loaded has no operations', () => {
  const only = new ActionCatalog(['lambda']);
  assert.equal(only.forOperation('iam', 'GetUser'), undefined);
  assert.equal(only.prefixOf('iam'), undefined);
  assert.ok(only.forOperation('lambda', 'Invoke'));
});

test('catalog: action lookup is case-insensitive, as IAM action names are', () => {
  assert.equal(catalog.action('LAMBDA:invokefunction')!.action, 'lambda:InvokeFunction');
  assert.equal(catalog.action('lambda:NoSuchAction'), undefined);
});
