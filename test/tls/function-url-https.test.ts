import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startTlsHarness } from './tls-harness.js';
import { createFunction } from '../helpers/functions.js';

const run = promisify(execFile);

test('tls: a function URL is https, and the local CA\'s certificate covers its host name (curl verifies it)', async () => {
  const h = await startTlsHarness();
  try {
    await createFunction(h.client, 'web');
    const u = (await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'web', AuthType: 'NONE' }))).FunctionUrl!;
    await h.client.send(new AddPermissionCommand({ FunctionName: 'web', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
    const url = new URL(u);
    assert.equal(url.protocol, 'https:');
    const { stdout } = await run('curl', ['-sS', '--fail', '--cacert', h.app.caBundle!, '--resolve', `${url.hostname}:${url.port}:127.0.0.1`, `${u}hello`]);
    const event = JSON.parse(stdout);
    assert.equal(event.rawPath, '/hello');
    assert.equal(event.headers['x-forwarded-proto'], 'https');
  } finally {
    await h.stop();
  }
});
