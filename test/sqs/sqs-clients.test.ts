import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws'; // Debian's AWS CLI v2 2.9 (query protocol for SQS)
const DEBIAN_PYTHON = '/usr/bin/python3'; // Debian's boto3 1.26 (query protocol for SQS)

let h: Harness;
let dir: string;

before(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'flint-sqs-'));
});
after(async () => { await h.stop(); });

function clientEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'], HOME: dir,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: h.endpoint, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true',
  };
}

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'sqs', ...args], { env: clientEnv() });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

test('sqs: the AWS CLI v2 (query) creates, sends, receives and deletes', { skip: !existsSync(AWS_CLI) && `${AWS_CLI} is not installed` }, async () => {
  const { QueueUrl } = await aws('create-queue', '--queue-name', 'cli-q', '--attributes', 'DelaySeconds=0,VisibilityTimeout=9', '--tags', 'team=cli');
  assert.equal(QueueUrl, `${h.endpoint}/000000000000/cli-q`);
  const sent = await aws('send-message', '--queue-url', QueueUrl, '--message-body', 'hello <cli> & co',
    '--message-attributes', '{"n":{"DataType":"Number","StringValue":"7"}}');
  assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
  const got = await aws('receive-message', '--queue-url', QueueUrl, '--attribute-names', 'All', '--message-attribute-names', 'All', '--wait-time-seconds', '1');
  const m = got.Messages[0];
  assert.equal(m.Body, 'hello <cli> & co');
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(m.MessageAttributes.n.StringValue, '7');
  assert.equal(m.Attributes.ApproximateReceiveCount, '1');
  assert.equal(await aws('delete-message', '--queue-url', QueueUrl, '--receipt-handle', m.ReceiptHandle), undefined);
  const attrs = await aws('get-queue-attributes', '--queue-url', QueueUrl, '--attribute-names', 'All');
  assert.equal(attrs.Attributes.VisibilityTimeout, '9');
  assert.equal(attrs.Attributes.ApproximateNumberOfMessages, '0');
  assert.deepEqual((await aws('list-queue-tags', '--queue-url', QueueUrl)).Tags, { team: 'cli' });
  assert.ok((await aws('list-queues')).QueueUrls.includes(QueueUrl));
  // Query-era error codes: AWS.SimpleQueueService.NonExistentQueue.
  const err = await aws('get-queue-url', '--queue-name', 'missing').catch((e: { stderr: string }) => e.stderr);
  assert.match(String(err), /AWS\.SimpleQueueService\.NonExistentQueue|QueueDoesNotExist/);
  assert.match(String(err), /The specified queue does not exist/);
  const batch = await aws('send-message-batch', '--queue-url', QueueUrl, '--entries', 'Id=a,MessageBody=one', 'Id=a,MessageBody=two').catch((e: { stderr: string }) => e.stderr);
  assert.match(String(batch), /BatchEntryIdsNotDistinct/);
});

for (const [label, python] of [['Debian boto3 1.26 (query)', DEBIAN_PYTHON], ['the newest boto3 (json)', 'python3']] as const) {
  test(`sqs: ${label} runs a send/receive/delete flow`, async (t) => {
    const probe = await run(python, ['-c', 'import boto3'], { env: clientEnv() }).catch(() => undefined);
    if (!probe) return t.skip(`${python} has no boto3`);
    const name = label.startsWith('Debian') ? 'boto-deb' : 'boto-new';
    const { stdout } = await run(python, [join('test', 'fixtures', 'sqs', 'boto3_sqs.py'), h.endpoint, name], { env: clientEnv() });
    const out = JSON.parse(stdout);
    assert.deepEqual(out, {
      url: `${h.endpoint}/000000000000/${name}`, body: 'from boto3', id_matches: true, md5_attrs: true, attr: 'v', count: '1',
      visibility: '7', messages: '0', missing: 'AWS.SimpleQueueService.NonExistentQueue',
    });
  });
}
