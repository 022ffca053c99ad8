import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { loadConfig } from '../../src/app/config.js';

async function userWithoutPolicies(endpoint: string) {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: 'nobody-special' }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'nobody-special' }))).AccessKey!;
  iam.destroy();
  return new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, maxAttempts: 1 });
}

test('auth: by default a user with no policies is denied everything', async () => {
  const h = await startHarness();
  try {
    const c = await userWithoutPolicies(h.endpoint);
    await assert.rejects(c.send(new ListFunctionsCommand({})), (e: any) => e.name === 'AccessDeniedException');
    c.destroy();
  } finally {
    await h.stop();
  }
});

test('auth: FLINT_AUTH=off lets any valid credential do anything, and still checks signatures', async () => {
  const h = await startHarness({ auth: 'off' });
  try {
    const c = await userWithoutPolicies(h.endpoint);
    assert.ok(Array.isArray((await c.send(new ListFunctionsCommand({}))).Functions));
    c.destroy();
    const forged = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    await assert.rejects(forged.send(new ListFunctionsCommand({})), (e: any) => e.name === 'InvalidSignatureException');
    forged.destroy();
  } finally {
    await h.stop();
  }
});

test('config: FLINT_AUTH accepts on and off only', () => {
  assert.equal(loadConfig({}, {}).auth, 'on');
  assert.equal(loadConfig({}, { FLINT_AUTH: 'off' }).auth, 'off');
  assert.throws(() => loadConfig({}, { FLINT_AUTH: 'maybe' }), /FLINT_AUTH must be 'on' or 'off'/);
});
