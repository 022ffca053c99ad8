import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { ensureLocalCertificates, sanNames } from '../../src/api/tls/local-certificate-authority.js';
import { isLoopbackHost, tlsSourceFor } from '../../src/api/tls/tls-setup.js';
import { loadConfig } from '../../src/app/config.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flint-ca-'));
}

test('local CA: made once in <dataDir>/tls with its key 0600, and a server certificate it signs for the loopback names and the configured host', async () => {
  const dir = tempDir();
  try {
    const r = await ensureLocalCertificates({ dataDir: dir, hosts: ['flint.test'], now: () => T0 });
    assert.deepEqual(r.created, ['ca', 'server']);
    assert.equal(statSync(join(dir, 'tls')).mode & 0o777, 0o700);
    assert.equal(statSync(r.files.caKey).mode & 0o777, 0o600);
    assert.equal(statSync(r.files.serverKey).mode & 0o777, 0o600);
    assert.equal(statSync(r.files.caCert).mode & 0o777, 0o644);
    const ca = new X509Certificate(readFileSync(r.files.caCert));
    const server = new X509Certificate(readFileSync(r.files.serverCert));
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.verify(ca.publicKey), 'the server certificate is signed by the CA');
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkHost('flint.test'), 'flint.test');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkIP('::1'), '::1');
    assert.equal(server.checkHost('elsewhere.test'), undefined);
    assert.ok(readFileSync(r.files.bundle, 'utf8').startsWith(readFileSync(r.files.caCert, 'utf8').trimEnd()), 'the bundle starts with the CA');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local CA: a second start reuses the CA and a current server certificate', async () => {
  const dir = tempDir();
  try {
    const first = await ensureLocalCertificates({ dataDir: dir, hosts: [], now: () => T0 });
    const again = await ensureLocalCertificates({ dataDir: dir, hosts: [], now: () => T0 + 10 * DAY });
    assert.deepEqual(again.created, []);
    assert.equal(again.serial, first.serial);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local CA: the server certificate is renewed (same CA) once it expires within 30 days, or when a new host must be covered', async () => {
  const dir = tempDir();
  try {
    const first = await ensureLocalCertificates({ dataDir: dir, hosts: [], now: () => T0 });
    const caPem = readFileSync(first.files.caCert, 'utf8');
    assert.ok(first.notAfter.getTime() - T0 > 80 * DAY);
    const renewed = await ensureLocalCertificates({ dataDir: dir, hosts: [], now: () => first.notAfter.getTime() - 29 * DAY });
    assert.deepEqual(renewed.created, ['server']);
    assert.notEqual(renewed.serial, first.serial);
    assert.equal(readFileSync(first.files.caCert, 'utf8'), caPem, 'the CA stays: clients keep trusting it');
    const widened = await ensureLocalCertificates({ dataDir: dir, hosts: ['new-name.test'], now: () => first.notAfter.getTime() - 29 * DAY });
    assert.deepEqual(widened.created, ['server']);
    assert.equal(new X509Certificate(readFileSync(first.files.serverCert)).checkHost('new-name.test'), 'new-name.test');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local CA: wildcard listen addresses are not names; bracketed IPv6 hosts are', () => {
  assert.deepEqual(sanNames(['0.0.0.0', '::', '[fd00::1]', 'Flint.Test']), ['localhost', '127.0.0.1', '::1', 'fd00::1', 'flint.test']);
});

test('tls settings: --tls-cert/--tls-key are used as given; --tls alone uses the local CA; neither is plain HTTP', () => {
  assert.deepEqual(tlsSourceFor({ tls: false, tlsCert: '/c.pem', tlsKey: '/k.pem', dataDir: '/d', host: '127.0.0.1' }), { kind: 'files', certFile: '/c.pem', keyFile: '/k.pem' });
  assert.deepEqual(tlsSourceFor({ tls: true, dataDir: '/d', host: 'flint.test' }), { kind: 'local-ca', dataDir: '/d', hosts: ['flint.test'] });
  assert.equal(tlsSourceFor({ tls: false, dataDir: '/d', host: '127.0.0.1' }), undefined);
});

test('tls settings: FLINT_TLS_CERT needs FLINT_TLS_KEY, implies TLS, and a plain port needs TLS', () => {
  assert.throws(() => loadConfig({}, { FLINT_TLS_CERT: '/c.pem' }), /must be given together/);
  assert.equal(loadConfig({}, { FLINT_TLS_CERT: '/c.pem', FLINT_TLS_KEY: '/k.pem' }).tls, true);
  assert.equal(loadConfig({}, { FLINT_TLS: '1' }).tls, true);
  assert.equal(loadConfig({}, {}).tls, false);
  assert.throws(() => loadConfig({}, { FLINT_PLAIN_PORT: '9001' }), /needs TLS on/);
  assert.equal(loadConfig({}, { FLINT_TLS: '1', FLINT_PLAIN_PORT: '9001' }).plainPort, 9001);
});

test('tls settings: loopback addresses are 127.0.0.0/8, ::1 and localhost; anything else is reachable from off the host', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.0.2.1', 'flint.test', '::ffff:10.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
});
