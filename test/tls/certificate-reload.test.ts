import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListFunctionsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ensureLocalCertificates } from '../../src/api/tls/local-certificate-authority.js';
import { TEST_CREDENTIALS } from '../helpers/flint-harness.js';
import { until } from '../helpers/until.js';
import { startTlsHarness } from './tls-harness.js';

/**
 * Operator-supplied certificates are used as given and re-read on SIGHUP: new handshakes get the
 * new certificate, connections already open keep working, and no request fails in between.
 */

/** A CA of the operator's own and a certificate from it, copied to where the operator keeps them. */
async function operatorCertificates(): Promise<{ dir: string; caDir: string; cert: string; key: string; ca: string; serial: string; renew(): Promise<string> }> {
  const caDir = mkdtempSync(join(tmpdir(), 'flint-op-ca-'));
  const dir = mkdtempSync(join(tmpdir(), 'flint-op-certs-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const install = async (): Promise<string> => {
    const r = await ensureLocalCertificates({ dataDir: caDir, hosts: [], now: () => Date.now() });
    copyFileSync(r.files.serverCert, cert);
    copyFileSync(r.files.serverKey, key);
    return r.serial;
  };
  const serial = await install();
  return {
    dir, caDir, cert, key, ca: join(caDir, 'tls', 'ca.pem'), serial,
    async renew() {
      unlinkSync(join(caDir, 'tls', 'server.pem'));
      return install();
    },
  };
}

/** The serial number of the certificate a fresh connection is shown (hex, upper case). */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.destroy();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

test('tls reload: --tls-cert/--tls-key are served as given, and a reload swaps them for new connections while requests keep succeeding on open ones', async () => {
  const op = await operatorCertificates();
  const h = await startTlsHarness({ tls: false, tlsCert: op.cert, tlsKey: op.key, tlsCa: op.ca });
  const port = Number(new URL(h.endpoint).port);
  const ca = readFileSync(op.ca, 'utf8');
  try {
    assert.equal(h.app.caBundle, op.ca);
    assert.equal((await servedSerial(port, ca)).toLowerCase(), op.serial.toLowerCase());
    // One keep-alive connection carries requests before, during and after the reload.
    const agent = new Agent({ ca, keepAlive: true, maxSockets: 1 });
    const client = new LambdaClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler({ httpsAgent: agent }) });
    const sockets = new Set<unknown>();
    agent.on('free', (s) => sockets.add(s));
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loop = (async () => {
      while (running && ok < 5_000) {
        await client.send(new ListFunctionsCommand({})).then(() => { ok++; }, (e: Error) => { failures.push(e.message); });
      }
    })();
    await until(() => ok >= 20);
    const next = await op.renew();
    const before = ok;
    const reloaded = await h.app.reloadTls();
    assert.equal(reloaded?.serial.toLowerCase(), next.toLowerCase());
    await until(() => ok >= before + 20);
    running = false;
    await loop;
    client.destroy();
    assert.deepEqual(failures, []);
    assert.equal(sockets.size, 1, 'the open connection was kept across the reload');
    assert.equal((await servedSerial(port, ca)).toLowerCase(), next.toLowerCase(), 'a new connection sees the new certificate');
  } finally {
    await h.stop();
    rmSync(op.dir, { recursive: true, force: true });
    rmSync(op.caDir, { recursive: true, force: true });
  }
});

test('tls reload: a reload that cannot read the files fails and the previous certificate stays in use', async () => {
  const op = await operatorCertificates();
  const h = await startTlsHarness({ tls: false, tlsCert: op.cert, tlsKey: op.key, tlsCa: op.ca });
  try {
    unlinkSync(op.key);
    await assert.rejects(h.app.reloadTls(), /cannot read the TLS private key/);
    assert.equal((await servedSerial(Number(new URL(h.endpoint).port), readFileSync(op.ca, 'utf8'))).toLowerCase(), op.serial.toLowerCase());
  } finally {
    await h.stop();
    rmSync(op.dir, { recursive: true, force: true });
    rmSync(op.caDir, { recursive: true, force: true });
  }
});

test('tls reload: `flint server` reloads the certificate on SIGHUP', async () => {
  const op = await operatorCertificates();
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-sighup-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', '0', '--data-dir', dataDir, '--tls-cert', op.cert, '--tls-key', op.key, '--tls-ca', op.ca], {
    env: { ...process.env, FLINT_SANDBOX: 'process', FLINT_PREWARM_PER_RUNTIME: '0', FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await until(() => /listening on https:\/\/127\.0\.0\.1:\d+/.test(out), 60_000);
    const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const ca = readFileSync(op.ca, 'utf8');
    assert.equal((await servedSerial(port, ca)).toLowerCase(), op.serial.toLowerCase());
    const next = await op.renew();
    child.kill('SIGHUP');
    await until(() => out.includes('SIGHUP: TLS certificate reloaded'), 10_000);
    assert.equal((await servedSerial(port, ca)).toLowerCase(), next.toLowerCase());
    // Still serving after the signal (SIGHUP must not stop it).
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/health', ca }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
    });
    assert.equal(status, 200);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(op.dir, { recursive: true, force: true });
    rmSync(op.caDir, { recursive: true, force: true });
  }
});
