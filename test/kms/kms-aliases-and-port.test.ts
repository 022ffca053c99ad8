import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, REGION, throwsKms, withKey } from './kms-fixture.js';

const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/`;
const ALIAS = `arn:aws:kms:${REGION}:${ACCOUNT}:`;
const FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:app`;
const use = { service: 'lambda', reason: FN };


test('CreateAlias: ListAliases shows it with its ARN, target and dates; a second one with the name is AlreadyExistsException', withKey(({ kms, clock }, id) => {
  kms.aliases.createAlias({ AliasName: 'alias/app', TargetKeyId: ARN + id });
  assert.deepEqual(kms.aliases.listAliases({}), {
    Aliases: [{ AliasName: 'alias/app', AliasArn: ALIAS + 'alias/app', TargetKeyId: id, CreationDate: new Date(clock.t), LastUpdatedDate: new Date(clock.t) }],
    Truncated: false,
  });
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'alias/app', TargetKeyId: id }), 'AlreadyExistsException', `An alias with the name ${ALIAS}alias/app already exists`);
}));

test('CreateAlias: names must start with alias/ (AWS text) and alias/aws/ is reserved', withKey(({ kms }, id) => {
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'app', TargetKeyId: id }), 'ValidationException',
    'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'alias/aws/lambda', TargetKeyId: id }), 'NotAuthorizedException');
  throwsKms(() => kms.aliases.deleteAlias({ AliasName: 'alias/aws/lambda' }), 'NotAuthorizedException');
}));

test('CreateAlias: the target must exist, be named by key id or ARN, and not be pending deletion', withKey(({ kms }, id) => {
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'alias/x', TargetKeyId: '11111111-2222-4333-8444-555555555555' }), 'NotFoundException');
  kms.aliases.createAlias({ AliasName: 'alias/a', TargetKeyId: id });
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'alias/b', TargetKeyId: 'alias/a' }), 'NotFoundException');
  kms.admin.scheduleKeyDeletion({ KeyId: id });
  throwsKms(() => kms.aliases.createAlias({ AliasName: 'alias/c', TargetKeyId: id }), 'KMSInvalidStateException', `${ARN}${id} is pending deletion.`);
}));

test('UpdateAlias points the alias at another key; DeleteAlias removes it; unknown aliases are NotFoundException', withKey(({ kms, clock }, id) => {
  const other = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.aliases.createAlias({ AliasName: 'alias/app', TargetKeyId: id });
  clock.advance(1000);
  kms.aliases.updateAlias({ AliasName: 'alias/app', TargetKeyId: other });
  const entry = kms.aliases.listAliases({}).Aliases[0]!;
  assert.equal(entry.TargetKeyId, other);
  assert.equal(entry.LastUpdatedDate.getTime() - entry.CreationDate.getTime(), 1000);
  kms.aliases.deleteAlias({ AliasName: 'alias/app' });
  assert.deepEqual(kms.aliases.listAliases({}).Aliases, []);
  throwsKms(() => kms.aliases.deleteAlias({ AliasName: 'alias/app' }), 'NotFoundException', `Alias ${ALIAS}alias/app is not found.`);
  throwsKms(() => kms.aliases.updateAlias({ AliasName: 'alias/app', TargetKeyId: id }), 'NotFoundException');
}));

test('ListAliases: filters by KeyId and pages with Limit/Marker', withKey(({ kms }, id) => {
  const other = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  for (const n of ['a', 'b', 'c']) kms.aliases.createAlias({ AliasName: `alias/${n}`, TargetKeyId: id });
  kms.aliases.createAlias({ AliasName: 'alias/z', TargetKeyId: other });
  assert.deepEqual(kms.aliases.listAliases({ KeyId: other }).Aliases.map((a) => a.AliasName), ['alias/z']);
  const p1 = kms.aliases.listAliases({ Limit: 2 });
  assert.deepEqual([p1.Aliases.map((a) => a.AliasName), p1.Truncated], [['alias/a', 'alias/b'], true]);
  const p2 = kms.aliases.listAliases({ Limit: 2, Marker: p1.NextMarker! });
  assert.deepEqual([p2.Aliases.map((a) => a.AliasName), p2.Truncated], [['alias/c', 'alias/z'], false]);
}));

test('KeyService.awsManagedKeyArn: alias/aws/lambda is created on first use, AWS managed, and the same key afterwards', withKey(({ kms }) => {
  const arn = kms.keyService.awsManagedKeyArn('lambda');
  assert.equal(kms.keyService.awsManagedKeyArn('lambda'), arn);
  const m = kms.admin.describeKey({ KeyId: 'alias/aws/lambda' }).KeyMetadata;
  assert.equal(m.Arn, arn);
  assert.equal(m.KeyManager, 'AWS');
  assert.equal(m.Description, 'Default master key that protects my Lambda functions when no other key is defined');
  assert.equal(kms.admin.getKeyRotationStatus({ KeyId: arn }).KeyRotationEnabled, true);
  const policy = JSON.parse(kms.admin.getKeyPolicy({ KeyId: arn }).Policy);
  assert.equal(policy.Statement[0].Condition.StringEquals['kms:ViaService'], `lambda.${REGION}.amazonaws.com`);
}));

test('AWS managed keys cannot be disabled, scheduled for deletion or re-policied by the account', withKey(({ kms }) => {
  const arn = kms.keyService.awsManagedKeyArn('lambda');
  const root = `arn:aws:iam::${ACCOUNT}:root`;
  throwsKms(() => kms.admin.disableKey({ KeyId: arn }, root), 'AccessDeniedException',
    `User: ${root} is not authorized to perform: kms:DisableKey on resource: ${arn} because no resource-based policy allows the kms:DisableKey action`);
  throwsKms(() => kms.admin.scheduleKeyDeletion({ KeyId: arn }, root), 'AccessDeniedException');
  throwsKms(() => kms.admin.putKeyPolicy({ KeyId: arn, Policy: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}' }, root), 'AccessDeniedException');
}));

test('KeyService: resolveKeyArn takes every KeyId form; unknown is NotFoundException', withKey(({ kms }, id) => {
  kms.aliases.createAlias({ AliasName: 'alias/fn', TargetKeyId: id });
  for (const ref of [id, ARN + id, 'alias/fn', ALIAS + 'alias/fn']) assert.equal(kms.keyService.resolveKeyArn(ref), ARN + id);
  throwsKms(() => kms.keyService.resolveKeyArn('alias/none'), 'NotFoundException');
}));

test('KeyService: encrypt/decrypt round trip; every use is audited as lambda.amazonaws.com with the function as reason', withKey(({ kms, audit }, id) => {
  const blob = kms.keyService.encrypt(ARN + id, Buffer.from('env'), { 'aws:lambda:FunctionArn': FN }, use);
  const out = kms.keyService.decrypt(blob, { 'aws:lambda:FunctionArn': FN }, use);
  assert.deepEqual(out, { plaintext: Buffer.from('env'), keyArn: ARN + id });
  assert.deepEqual(audit.events.map((e) => [e.service, e.operation, e.principal, e.resource, e.status, e.detail]), [
    ['kms', 'Encrypt', 'lambda.amazonaws.com', ARN + id, 200, { reason: FN }],
    ['kms', 'Decrypt', 'lambda.amazonaws.com', ARN + id, 200, { reason: FN }],
  ]);
  assert.ok(!JSON.stringify(audit.events).includes('env"'), 'no plaintext in the audit trail');
}));

test('KeyService: a disabled key is DisabledException, pending deletion KMSInvalidStateException, missing NotFoundException — each audited', withKey(({ kms, audit }, id) => {
  const blob = kms.keyService.encrypt(ARN + id, Buffer.from('x'), {}, use);
  kms.admin.disableKey({ KeyId: id });
  assert.equal(kms.keyService.keyState(ARN + id), 'Disabled');
  throwsKms(() => kms.keyService.decrypt(blob, {}, use), 'DisabledException', `${ARN}${id} is disabled.`);
  throwsKms(() => kms.keyService.encrypt(ARN + id, Buffer.from('x'), {}, use), 'DisabledException');
  kms.admin.enableKey({ KeyId: id });
  kms.admin.scheduleKeyDeletion({ KeyId: id });
  assert.equal(kms.keyService.keyState(ARN + id), 'PendingDeletion');
  throwsKms(() => kms.keyService.decrypt(blob, {}, use), 'KMSInvalidStateException');
  const missing = ARN + '11111111-2222-4333-8444-555555555555';
  assert.equal(kms.keyService.keyState(missing), undefined);
  throwsKms(() => kms.keyService.encrypt(missing, Buffer.from('x'), {}, use), 'NotFoundException');
  assert.deepEqual(audit.events.slice(1).map((e) => [e.operation, e.status, e.errorType]), [
    ['Decrypt', 400, 'DisabledException'],
    ['Encrypt', 400, 'DisabledException'],
    ['Decrypt', 400, 'KMSInvalidStateException'],
    ['Encrypt', 400, 'NotFoundException'],
  ]);
}));

test('KeyService: decrypt with the wrong context is InvalidCiphertextException', withKey(({ kms }, id) => {
  const blob = kms.keyService.encrypt(ARN + id, Buffer.from('x'), { fn: 'a' }, use);
  throwsKms(() => kms.keyService.decrypt(blob, { fn: 'b' }, use), 'InvalidCiphertextException');
}));
