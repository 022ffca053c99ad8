import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { startTlsHarness, type TlsHarness } from './tls-harness.js';
import { startFlint } from '../../src/app/flint-app.js';
import { loadConfig } from '../../src/app/config.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * aws:SecureTransport is true exactly when the request came over TLS: a policy that allows only
 * with `Bool aws:SecureTransport true` (AWS's pattern for "deny unless HTTPS") lets the request in
 * over Flint's HTTPS listener and refuses the same request on the plain loopback listener.
 */
let h: TlsHarness;
let user: { accessKeyId: string; secretAccessKey: string };
before(async () => {
  h = await startTlsHarness({ plainPort: 0 });
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler: h.handler() });
  await iam.send(new CreateUserCommand({ UserName: 'tls-only' }));
  await iam.send(new PutUserPolicyCommand({
    UserName: 'tls-only',
    PolicyName: 'https-only',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }] }),
  }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'tls-only' }));
  user = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
  iam.destroy();
});
after(async () => { await h?.stop(); });

test('secure transport: with TLS and a plain port, the plain listener is on the loopback and serves the same API', async () => {
  assert.match(h.app.plainEndpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(h.endpoint, /^https:/);
  const plain = new LambdaClient({ endpoint: h.app.plainEndpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    assert.ok((await plain.send(new ListFunctionsCommand({}))).Functions);
  } finally {
    plain.destroy();
  }
});

test('secure transport: a policy conditioned on aws:SecureTransport allows the request over TLS and denies it over plain HTTP', async () => {
  const overTls = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: user, maxAttempts: 1, requestHandler: h.handler() });
  const overPlain = new LambdaClient({ endpoint: h.app.plainEndpoint, region: 'us-east-1', credentials: user, maxAttempts: 1 });
  try {
    // A new user's key verifies at once (IAM's eventual consistency is not imitated).
    assert.ok((await overTls.send(new ListFunctionsCommand({}))).Functions);
    await assert.rejects(overPlain.send(new ListFunctionsCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'AccessDeniedException');
      assert.equal(e.$metadata?.httpStatusCode, 403);
      return true;
    });
  } finally {
    overTls.destroy();
    overPlain.destroy();
  }
});

test('plain http: listening on a non-loopback address without TLS starts with a warning; with TLS, none', async () => {
  for (const tls of [false, true]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'flint-warn-'));
    const lines: string[] = [];
    // 0.0.0.0 is bound, never sent to: nothing in this test leaves the loopback.
    const app = await startFlint(loadConfig({ host: '0.0.0.0', port: 0, dataDir, sandbox: 'process', prewarmPerRuntime: 0, tls, accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey }, {}), { log: (l) => lines.push(l) });
    try {
      const warned = lines.some((l) => /WARNING: listening on 0\.0\.0\.0 without TLS/.test(l));
      assert.equal(warned, !tls, lines.join('\n'));
    } finally {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
});
