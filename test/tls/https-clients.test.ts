import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type ConnectionOptions } from 'node:tls';
import { get as httpsGet } from 'node:https';
import { GetFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { createFunction } from '../helpers/functions.js';
import { TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { startTlsHarness, type TlsHarness } from './tls-harness.js';

const run = promisify(execFile);

/**
 * `flint server --tls`: the API over HTTPS with a certificate from a local CA in the data dir.
 * The AWS CLI, boto3 and SDK v3 verify it from the variables `flint env` prints, with no other
 * flag; TLS 1.0/1.1 and non-AEAD suites are refused, as AWS's endpoints refuse them.
 */
let h: TlsHarness;
let env: Record<string, string>;
before(async () => {
  h = await startTlsHarness();
  const port = new URL(h.endpoint).port;
  // `flint env` as a user runs it: its export lines are the only configuration the clients get.
  const out = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'env', '--data-dir', h.dataDir, '--port', port], {
    env: { ...process.env, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
  });
  env = {};
  for (const m of out.stdout.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
});
after(async () => { await h?.stop(); });

/** The environment of a client process: PATH and `flint env`'s variables, nothing of this test's own. */
function clientEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: h.dataDir, ...env };
}

test('tls: flint env prints an https endpoint, AWS_CA_BUNDLE and NODE_EXTRA_CA_CERTS for a --tls data dir', () => {
  assert.equal(env['AWS_ENDPOINT_URL'], `https://127.0.0.1:${new URL(h.endpoint).port}`);
  assert.equal(env['AWS_CA_BUNDLE'], `${h.dataDir}/tls/ca-bundle.pem`);
  assert.equal(env['NODE_EXTRA_CA_CERTS'], `${h.dataDir}/tls/ca.pem`);
});

test('tls: the Debian AWS CLI v2 verifies the server with AWS_CA_BUNDLE alone (sts get-caller-identity, lambda list-functions)', async () => {
  const id = await run('/usr/bin/aws', ['--endpoint-url', env['AWS_ENDPOINT_URL']!, 'sts', 'get-caller-identity', '--output', 'json'], { env: clientEnv() });
  assert.equal(JSON.parse(id.stdout).Arn, 'arn:aws:iam::000000000000:root');
  const list = await run('/usr/bin/aws', ['--endpoint-url', env['AWS_ENDPOINT_URL']!, 'lambda', 'list-functions', '--output', 'json'], { env: clientEnv() });
  assert.ok(Array.isArray(JSON.parse(list.stdout).Functions));
});

test('tls: boto3 verifies the server with AWS_CA_BUNDLE alone', async () => {
  const script = [
    'import boto3, os, json',
    "url = os.environ['AWS_ENDPOINT_URL']",
    "print(json.dumps({'arn': boto3.client('sts', endpoint_url=url).get_caller_identity()['Arn'], 'functions': len(boto3.client('lambda', endpoint_url=url).list_functions()['Functions'])}))",
  ].join('\n');
  const out = await run('/usr/bin/python3', ['-c', script], { env: clientEnv() });
  assert.equal(JSON.parse(out.stdout).arn, 'arn:aws:iam::000000000000:root');
});

test('tls: without AWS_CA_BUNDLE the AWS CLI refuses the certificate (verification is real)', async () => {
  const { AWS_CA_BUNDLE: _omit, ...rest } = env;
  const r = await run('/usr/bin/aws', ['--endpoint-url', env['AWS_ENDPOINT_URL']!, 'sts', 'get-caller-identity'], { env: { PATH: process.env['PATH'], HOME: h.dataDir, ...rest } }).then(() => 'ok', (e: { stderr: string }) => e.stderr);
  assert.match(r, /SSL|certificate/i);
});

test('tls: SDK v3 in a Node.js process verifies the server with NODE_EXTRA_CA_CERTS alone (ListFunctions)', async () => {
  const script = `
    import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
    const r = await new LambdaClient({ maxAttempts: 1 }).send(new ListFunctionsCommand({}));
    console.log(JSON.stringify({ n: r.Functions.length }));`;
  const out = await run(process.execPath, ['--input-type=module', '-e', script], { env: clientEnv(), cwd: process.cwd() });
  assert.equal(typeof JSON.parse(out.stdout).n, 'number');
});

test('tls: Code.Location links Flint returns over HTTPS are https', async () => {
  await createFunction(h.client, 'tls-location');
  const r = await h.client.send(new GetFunctionCommand({ FunctionName: 'tls-location' }));
  assert.match(r.Code!.Location!, /^https:\/\/127\.0\.0\.1:\d+\//);
  // The link itself downloads over the same TLS listener.
  const res = await new Promise<number>((resolve, reject) => {
    httpsGet(r.Code!.Location!, { ca: h.ca }, (response) => { response.resume(); resolve(response.statusCode ?? 0); }).on('error', reject);
  });
  assert.equal(res, 200);
});

/** Attempts a handshake; resolves with the negotiated protocol and cipher, or the error code. */
function handshake(opts: ConnectionOptions): Promise<{ protocol?: string | null; cipher?: string; error?: string }> {
  const port = Number(new URL(h.endpoint).port);
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ca: h.ca, ...opts }, () => {
      const out = { protocol: s.getProtocol(), cipher: s.getCipher().name };
      s.destroy();
      resolve(out);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

for (const version of ['TLSv1', 'TLSv1.1'] as const) {
  test(`tls: a ${version} client is refused (TLS 1.2 is the minimum)`, async () => {
    const r = await handshake({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.ok(r.error, `handshake succeeded with ${r.protocol}`);
    assert.match(r.error!, /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|WRONG_VERSION/);
  });
}

test('tls: a TLS 1.2 client offering only CBC or RSA key exchange suites is refused', async () => {
  for (const ciphers of ['ECDHE-ECDSA-AES128-SHA', 'AES128-GCM-SHA256', 'AES256-SHA256']) {
    const r = await handshake({ maxVersion: 'TLSv1.2', ciphers });
    assert.ok(r.error, `${ciphers} negotiated ${r.cipher}`);
  }
});

test('tls: TLS 1.2 clients get forward-secret AEAD suites, TLS 1.3 clients TLS 1.3', async () => {
  const v12 = await handshake({ maxVersion: 'TLSv1.2' });
  assert.equal(v12.protocol, 'TLSv1.2');
  assert.match(v12.cipher!, /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM|CHACHA20-POLY1305)/);
  const v13 = await handshake({});
  assert.equal(v13.protocol, 'TLSv1.3');
});

test('tls: the server certificate names localhost, 127.0.0.1 and ::1 and chains to the data dir CA', async () => {
  const port = Number(new URL(h.endpoint).port);
  const san = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: h.ca, servername: 'localhost' }, () => {
      const cert = s.getPeerCertificate();
      s.destroy();
      resolve(cert.subjectaltname ?? '');
    });
    s.on('error', reject);
  });
  assert.match(san, /DNS:localhost/);
  assert.match(san, /IP Address:127\.0\.0\.1/);
  assert.match(san, /IP Address:0:0:0:0:0:0:0:1|IP Address:::1/i);
});

test('tls: malformed HTTP over TLS gets the same AWS-shaped refusal with a request id', async () => {
  const port = Number(new URL(h.endpoint).port);
  const text = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: h.ca }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    let out = '';
    s.on('data', (c: Buffer) => { out += c.toString('latin1'); });
    s.on('end', () => { s.destroy(); resolve(out); });
    s.on('error', reject);
  });
  assert.match(text, /^HTTP\/1\.1 400 /);
  assert.match(text, /x-amzn-requestid: [0-9a-f-]{36}/i);
});

test('tls: a plain HTTP request to the TLS port gets no API answer', async () => {
  const res = await fetch(`http://127.0.0.1:${new URL(h.endpoint).port}/health`).then((r) => r.status, (e: Error) => e.name);
  assert.notEqual(res, 200);
  const list = await h.client.send(new ListFunctionsCommand({}));
  assert.ok(list.Functions);
});
