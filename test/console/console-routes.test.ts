import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { rootSignedRequest } from '../../src/cli/signed-request.js';
import { LoginTokens, LOGIN_LINK_TTL_MS } from '../../src/console/login-tokens.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';

/** The console's server side without a browser: assets, caching, compression, login links, the environments view. */
let h: Harness;
let dir: string;
const JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flint-console-assets-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Flint console</title><script type="module" src="/console/assets/app-abc123.js"></script>');
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), JS);
  process.env['FLINT_CONSOLE_DIR'] = dir;
  h = await startHarness();
  delete process.env['FLINT_CONSOLE_DIR'];
});

after(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('assets: hashed files are immutable and compressed (brotli, gzip, identity); the page is revalidated', async () => {
  const br = await rawGet(`${h.endpoint}/console/assets/app-abc123.js`, 'br');
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(br.headers['content-type']), /^text\/javascript/);
  assert.equal(brotliDecompressSync(br.body).toString(), JS);
  assert.ok(br.body.length < JS.length / 10);
  const gz = await rawGet(`${h.endpoint}/console/assets/app-abc123.js`, 'gzip, deflate');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), JS);
  const plain = await rawGet(`${h.endpoint}/console/assets/app-abc123.js`, 'identity');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), JS);

  const page = await fetch(`${h.endpoint}/console/`);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.match(page.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  const etag = page.headers.get('etag')!;
  const again = await fetch(`${h.endpoint}/console/`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
});

test('assets: app routes get the page, a missing asset is a 404, /console redirects to /console/', async () => {
  const deep = await fetch(`${h.endpoint}/console/functions/x`);
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /Flint console/);
  assert.equal((await fetch(`${h.endpoint}/console/assets/missing.js`)).status, 404);
  const r = await fetch(`${h.endpoint}/console`, { redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/console/');
});

test('login link: made by a signed request, traded once for a session of its maker', async () => {
  const target = { endpoint: h.endpoint, endpointSource: 'test', region: 'us-east-1', credentials: TEST_CREDENTIALS, credentialSource: 'test' };
  const made = await rootSignedRequest(target, { method: 'POST', path: '/console/api/login-link', service: 'lambda', body: '{}' });
  assert.equal(made?.status, 200);
  const { Token } = JSON.parse(made!.body) as { Token: string };
  const trade = () => fetch(`${h.endpoint}/console/api/session`, { method: 'POST', body: JSON.stringify({ Token }) });
  const first = await trade();
  assert.equal(first.status, 200);
  const s = await first.json() as Record<string, string>;
  assert.match(s['AccessKeyId']!, /^ASIA/);
  assert.ok(s['SessionToken']);
  assert.equal(s['Principal'], 'arn:aws:iam::000000000000:root');
  assert.equal(s['Region'], 'us-east-1');
  // The session works as an ordinary signed credential.
  const lambda = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: s['AccessKeyId']!, secretAccessKey: s['SecretAccessKey']!, sessionToken: s['SessionToken']! } });
  assert.deepEqual((await lambda.send(new ListFunctionsCommand({}))).Functions, []);
  lambda.destroy();
  const second = await trade();
  assert.equal(second.status, 403);
  assert.match(((await second.json()) as { message: string }).message, /not valid: it was used already, it expired/);
});

test('login link: unsigned or badly signed requests get none; a garbled exchange is refused', async () => {
  const unsigned = await fetch(`${h.endpoint}/console/api/login-link`, { method: 'POST', body: '{}' });
  assert.equal(unsigned.status, 403);
  const bad = await fetch(`${h.endpoint}/console/api/session`, { method: 'POST', body: 'not json' });
  assert.equal(bad.status, 403);
});

test('login tokens expire after five minutes', () => {
  let now = 1_000_000;
  const tokens = new LoginTokens<string>({ now: () => now, monotonic: () => now });
  const a = tokens.issue('root');
  const b = tokens.issue('root');
  now += LOGIN_LINK_TTL_MS - 1;
  assert.equal(tokens.redeem(a.token), 'root');
  now += 1;
  assert.equal(tokens.redeem(b.token), undefined);
  assert.equal(tokens.redeem('nonsense'), undefined);
});

test('environments view: signed callers allowed lambda:ListFunctions only', async () => {
  const ok = await signedFetch(h.endpoint, 'GET', '/console/api/environments');
  assert.equal(ok.status, 200);
  const body = ok.json as { SandboxDriver: string; Environments: unknown[] };
  assert.equal(body.SandboxDriver, 'process');
  assert.deepEqual(body.Environments, []);
  assert.equal((await fetch(`${h.endpoint}/console/api/environments`)).status, 403);
});

/** GET without fetch's automatic decompression: the bytes as sent. */
function rawGet(url: string, acceptEncoding: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
