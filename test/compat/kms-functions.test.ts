import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/*
 * Functions under a customer managed key, end to end through the front door: the Debian AWS CLI
 * v2 for KMS, SDK v3 for Lambda. `aws kms create-key` → a function with that KMSKeyArn runs;
 * `aws kms disable-key` → its next cold start fails with KMSDisabledException (502); enable → it
 * runs again. And the console's "encryption helpers" pattern: a function decrypts a KMS ciphertext
 * from its variables with @aws-sdk/client-kms and its role's credentials, refused where the role
 * does not allow kms:Decrypt.
 */

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const SECRET = 'kms-helper-secret-7d1a';

const ECHO = `exports.handler = async () => ({ greeting: process.env.GREETING });`;

/** The console's helper snippet, in ESM: decrypt once per environment with the function name as context. */
const HELPER = `
import { KMSClient, DecryptCommand } from '@aws-sdk/client-kms';
const kms = new KMSClient({ maxAttempts: 1 });
export const handler = async () => {
  try {
    const out = await kms.send(new DecryptCommand({
      CiphertextBlob: Buffer.from(process.env.SECRET_CT, 'base64'),
      EncryptionContext: { LambdaFunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME },
    }));
    return { plaintext: Buffer.from(out.Plaintext).toString() };
  } catch (e) {
    return { error: e.name, message: e.message };
  }
};
`;

let h: Harness;
let home: string;
let keyArn: string;

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
}

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', ...args], { env: env() });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

/** A KMS ciphertext bound to a function's name, as the console's helpers make it. */
async function encryptFor(functionName: string, plaintext: string): Promise<string> {
  const out = await aws('kms', 'encrypt', '--key-id', keyArn, '--plaintext', Buffer.from(plaintext).toString('base64'), '--encryption-context', `LambdaFunctionName=${functionName}`);
  return out.CiphertextBlob as string;
}

async function invoke(name: string, qualifier?: string) {
  const out = await h.client.send(new InvokeCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) }));
  return { error: out.FunctionError, body: JSON.parse(Buffer.from(out.Payload!).toString()) };
}

let skip: string | false = !existsSync(AWS_CLI) && 'no /usr/bin/aws';

before(async () => {
  if (skip) return;
  home = mkdtempSync(join(tmpdir(), 'flint-kms-cli-'));
  h = await startHarness();
  keyArn = (await aws('kms', 'create-key', '--description', 'functions under a customer key')).KeyMetadata.Arn;
  const iam = new IAMClient({ endpoint: h.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateRoleCommand({ RoleName: 'decrypter', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'decrypter', PolicyName: 'decrypt', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }] }) }));
  iam.destroy();
});
after(async () => {
  await h?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('kms functions: a function under a key from `aws kms create-key` runs; disable-key fails its next cold start with KMSDisabledException; enable-key brings it back', async (t) => {
  if (skip) return t.skip(skip);
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'under-key', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, KMSKeyArn: keyArn, Publish: true,
    Environment: { Variables: { GREETING: 'hello under a customer key' } }, Code: { ZipFile: await makeZip({ 'index.js': ECHO }) },
  }));
  await waitSettled(h.client, 'under-key');
  const conf = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'under-key' }));
  assert.equal(conf.KMSKeyArn, keyArn);
  assert.deepEqual(conf.Environment?.Variables, { GREETING: 'hello under a customer key' });
  assert.deepEqual(await invoke('under-key'), { error: undefined, body: { greeting: 'hello under a customer key' } });

  await aws('kms', 'disable-key', '--key-id', keyArn);
  // Version 1 has no environment yet: its start must decrypt, and fails as Lambda's does.
  await assert.rejects(h.client.send(new InvokeCommand({ FunctionName: 'under-key', Qualifier: '1' })), (err: any) => {
    assert.equal(err.name, 'KMSDisabledException');
    assert.equal(err.$metadata?.httpStatusCode, 502);
    assert.equal(err.message, `Lambda was unable to decrypt the environment variables because the KMS key used is disabled. Please check the function's KMS key settings. KMS Exception: DisabledExceptionKMS Message: ${keyArn} is disabled.`);
    return true;
  });
  // The environment already running keeps its decrypted variables, as Lambda's warm environments do.
  assert.deepEqual((await invoke('under-key')).body, { greeting: 'hello under a customer key' });

  await aws('kms', 'enable-key', '--key-id', keyArn);
  assert.deepEqual(await invoke('under-key', '1'), { error: undefined, body: { greeting: 'hello under a customer key' } });
});

test('kms functions: a function decrypts a KMS ciphertext from its variables with its role (encryption helpers), and is refused when the role does not allow kms:Decrypt', async (t) => {
  if (skip) return t.skip(skip);
  const code = await makeZip({ 'index.mjs': HELPER });
  for (const [name, role] of [['helper', `arn:aws:iam::${ACCOUNT}:role/decrypter`], ['helper-denied', TEST_ROLE]] as const) {
    await h.client.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: role, Timeout: 30, MemorySize: 512,
      Environment: { Variables: { SECRET_CT: await encryptFor(name, SECRET) } }, Code: { ZipFile: code },
    }));
    await waitSettled(h.client, name);
  }
  assert.deepEqual(await invoke('helper'), { error: undefined, body: { plaintext: SECRET } });
  const denied = (await invoke('helper-denied')).body;
  assert.equal(denied.error, 'AccessDeniedException');
  assert.match(denied.message, new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/lambda-role/helper-denied is not authorized to perform: kms:Decrypt on resource: ${keyArn}`));
});

test('kms functions: KMSKeyArn naming a key the caller cannot use, or a disabled one, is refused at configuration time', async (t) => {
  if (skip) return t.skip(skip);
  const disabled = (await aws('kms', 'create-key')).KeyMetadata.Arn as string;
  await aws('kms', 'disable-key', '--key-id', disabled);
  await assert.rejects(h.client.send(new CreateFunctionCommand({
    FunctionName: 'off-key', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, KMSKeyArn: disabled, Code: { ZipFile: await makeZip({ 'index.js': ECHO }) },
  })), (err: any) => {
    assert.equal(err.name, 'InvalidParameterValueException');
    assert.equal(err.message, `Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: DisabledException KMS Message: ${disabled} is disabled.`);
    return true;
  });
});
