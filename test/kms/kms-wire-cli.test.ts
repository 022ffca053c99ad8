import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

/*
 * KMS through the unmodified Python clients: the Debian AWS CLI v2 (2.9, which sends blobs from
 * fileb:// as base64 and prints them base64) and boto3 1.26 under /usr/bin/python3. Both predate
 * RotateKeyOnDemand (2024), so the rotation between encrypt and decrypt is done with SDK v3.
 */

/** Rotates the key's material now (SDK v3: the Python clients here have no rotate-key-on-demand). */
async function rotate(keyId: string): Promise<void> {
  const kms = new KMSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  } finally {
    kms.destroy();
  }
}

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
let h: Harness;
let home: string;

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-kms-cli-'));
});
after(async () => { await h.stop(); });

function env(creds = TEST_CREDENTIALS): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
}

async function cli(args: string[], creds = TEST_CREDENTIALS): Promise<any> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', ...args], { env: env(creds) });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

async function cliError(args: string[], creds = TEST_CREDENTIALS): Promise<string> {
  const r = await run(AWS_CLI, ['--endpoint-url', h.endpoint, ...args], { env: env(creds) }).then(() => undefined, (e: { stderr: string }) => e.stderr);
  assert.ok(r !== undefined, `expected ${args.join(' ')} to fail`);
  return r;
}

test('AWS CLI v2: create-key, create-alias, encrypt fileb:// with context, decrypt, disable → DisabledException, rotate, schedule deletion', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async () => {
  const key = await cli(['kms', 'create-key', '--description', 'cli key']);
  const id = key.KeyMetadata.KeyId as string;
  assert.equal(key.KeyMetadata.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(typeof key.KeyMetadata.CreationDate, 'string');
  await cli(['kms', 'create-alias', '--alias-name', 'alias/cli', '--target-key-id', id]);
  const aliases = await cli(['kms', 'list-aliases', '--key-id', id]);
  assert.deepEqual(aliases.Aliases.map((a: { AliasName: string }) => a.AliasName), ['alias/cli']);

  const plainFile = join(home, 'plain.bin');
  const secret = Buffer.from([0, 1, 2, 250, 251, 252, ...Buffer.from('binary secret')]);
  writeFileSync(plainFile, secret);
  const enc = await cli(['kms', 'encrypt', '--key-id', 'alias/cli', '--plaintext', `fileb://${plainFile}`, '--encryption-context', 'purpose=cli']);
  assert.equal(enc.KeyId, `arn:aws:kms:us-east-1:000000000000:key/${id}`);
  const blobFile = join(home, 'blob.bin');
  writeFileSync(blobFile, Buffer.from(enc.CiphertextBlob, 'base64'));
  const dec = await cli(['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'purpose=cli']);
  assert.deepEqual(Buffer.from(dec.Plaintext, 'base64'), secret);
  assert.match(await cliError(['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`]), /InvalidCiphertextException/);

  await cli(['kms', 'disable-key', '--key-id', id]);
  assert.match(await cliError(['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'purpose=cli']), /DisabledException.*is disabled\./);
  await cli(['kms', 'enable-key', '--key-id', id]);

  await cli(['kms', 'enable-key-rotation', '--key-id', id]);
  assert.equal((await cli(['kms', 'get-key-rotation-status', '--key-id', id])).KeyRotationEnabled, true);
  await rotate(id);
  const again = await cli(['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'purpose=cli']);
  assert.deepEqual(Buffer.from(again.Plaintext, 'base64'), secret);

  const scheduled = await cli(['kms', 'schedule-key-deletion', '--key-id', id, '--pending-window-in-days', '7']);
  assert.equal(scheduled.KeyState, 'PendingDeletion');
  assert.match(await cliError(['kms', 'encrypt', '--key-id', id, '--plaintext', `fileb://${plainFile}`]), /KMSInvalidStateException.*pending deletion/);
});

test('AWS CLI v2: a user whose IAM policy lacks kms:Decrypt is denied', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async () => {
  const id = (await cli(['kms', 'create-key'])).KeyMetadata.KeyId as string;
  await cli(['iam', 'create-user', '--user-name', 'cli-kms-user']);
  await cli(['iam', 'put-user-policy', '--user-name', 'cli-kms-user', '--policy-name', 'p', '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] })]);
  const ak = (await cli(['iam', 'create-access-key', '--user-name', 'cli-kms-user'])).AccessKey;
  const creds = { accessKeyId: ak.AccessKeyId, secretAccessKey: ak.SecretAccessKey };
  const plainFile = join(home, 'p2.bin');
  writeFileSync(plainFile, 'for the user');
  const enc = await cli(['kms', 'encrypt', '--key-id', id, '--plaintext', `fileb://${plainFile}`], creds);
  const blobFile = join(home, 'b2.bin');
  writeFileSync(blobFile, Buffer.from(enc.CiphertextBlob, 'base64'));
  const err = await cliError(['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`], creds);
  assert.match(err, /AccessDeniedException/);
  assert.match(err, /is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:000000000000:key\//);
  assert.equal(readFileSync(plainFile, 'utf8'), 'for the user');
});

const BOTO = String.raw`
import boto3, json, sys, botocore, base64
endpoint = sys.argv[1]
kms = boto3.client('kms', endpoint_url=endpoint, region_name='us-east-1')
out = {}
key = kms.create_key(Description='boto key')['KeyMetadata']
kid = key['KeyId']
out['state'] = key['KeyState']
out['created_is_datetime'] = hasattr(key['CreationDate'], 'year')
kms.create_alias(AliasName='alias/boto', TargetKeyId=kid)
enc = kms.encrypt(KeyId='alias/boto', Plaintext=b'boto secret \x00\xff', EncryptionContext={'app': 'boto'})
dec = kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'app': 'boto'})
out['roundtrip'] = dec['Plaintext'] == b'boto secret \x00\xff'
out['decrypt_key'] = dec['KeyId'] == key['Arn']
try:
    kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'app': 'other'})
except botocore.exceptions.ClientError as e:
    out['wrong_context'] = e.response['Error']['Code']
kms.disable_key(KeyId=kid)
try:
    kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'app': 'boto'})
except botocore.exceptions.ClientError as e:
    out['disabled'] = [e.response['Error']['Code'], e.response['Error']['Message']]
kms.enable_key(KeyId=kid)
print(json.dumps({'kid': kid, 'blob': base64.b64encode(enc['CiphertextBlob']).decode()}))
sys.stdout.flush()
sys.stdin.readline()  # the test rotates the key's material meanwhile
out['after_rotation'] = kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'app': 'boto'})['Plaintext'] == b'boto secret \x00\xff'
dk = kms.generate_data_key(KeyId=kid, KeySpec='AES_128')
out['data_key_len'] = len(dk['Plaintext'])
s = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)
out['scheduled'] = s['KeyState']
out['deletion_is_datetime'] = hasattr(s['DeletionDate'], 'year')
print(json.dumps(out))
`;

test('boto3 1.26: create key and alias, round trip with context, disable → DisabledException, rotate, data key, schedule deletion', { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' }, async () => {
  const script = join(home, 'kms_boto.py');
  writeFileSync(script, BOTO);
  const out = await new Promise<any>((resolve, reject) => {
    const child = spawn(PYTHON, [script, h.endpoint], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let rotated = false;
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdout.on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (!rotated && nl >= 0) {
        rotated = true;
        rotate(JSON.parse(stdout.slice(0, nl)).kid).then(() => child.stdin.write('go\n'), reject);
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}: ${stderr}`));
      const lines = stdout.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]!));
    });
  });
  assert.deepEqual(out, {
    state: 'Enabled',
    created_is_datetime: true,
    roundtrip: true,
    decrypt_key: true,
    wrong_context: 'InvalidCiphertextException',
    disabled: ['DisabledException', out.disabled[1]],
    after_rotation: true,
    data_key_len: 16,
    scheduled: 'PendingDeletion',
    deletion_is_datetime: true,
  });
  assert.match(out.disabled[1], /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36} is disabled\.$/);
});
