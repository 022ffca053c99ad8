import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** The CA outlives many server certificates; a new CA means every client must trust it again. */
const CA_VALIDITY_MS = 10 * 365 * DAY_MS;
/**
 * Server certificates follow the public web's limits (at most 398 days, CA/Browser Forum) and are
 * shorter still, renewed from the local CA at start and on SIGHUP once less than a third is left.
 */
const SERVER_VALIDITY_MS = 90 * DAY_MS;
const RENEW_WITHIN_MS = 30 * DAY_MS;

/** The files of a data directory's local CA (`<dataDir>/tls/`). */
export interface LocalTlsFiles {
  dir: string;
  /** The CA certificate, PEM (0644: clients and sandboxes read it). */
  caCert: string;
  /** The CA's private key, PKCS#8 PEM (0600). */
  caKey: string;
  /** The server certificate followed by the CA (the chain Flint sends). */
  serverCert: string;
  /** The server's private key (0600). */
  serverKey: string;
  /** The CA followed by the host's system roots: what AWS_CA_BUNDLE names (botocore replaces its roots with it). */
  bundle: string;
}

export function localTlsFiles(dataDir: string): LocalTlsFiles {
  const dir = join(dataDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    bundle: join(dir, 'ca-bundle.pem'),
  };
}

/** Where the host keeps its trusted roots (Debian, then RHEL-family): appended to the bundle. */
const SYSTEM_ROOTS = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

export interface EnsureResult {
  files: LocalTlsFiles;
  /** What was made now: the CA, the server certificate, or nothing. */
  created: Array<'ca' | 'server'>;
  /** The server certificate's serial (hex) and expiry. */
  serial: string;
  notAfter: Date;
}

/**
 * A local certificate authority kept in the data directory and a server certificate it signs for
 * every name clients use: localhost, 127.0.0.1, ::1 and the configured hosts. The CA is made once;
 * the server certificate is made again when it is missing, expires within 30 days, or does not
 * cover a configured host. Keys are ECDSA P-256 (every SDK's TLS stack accepts them; fast to make).
 */
export async function ensureLocalCertificates(opts: { dataDir: string; hosts: readonly string[]; now: () => number }): Promise<EnsureResult> {
  const files = localTlsFiles(opts.dataDir);
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  chmodSync(files.dir, 0o700);
  const created: EnsureResult['created'] = [];
  const now = opts.now();

  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  if (existsSync(files.caCert) && existsSync(files.caKey)) {
    const cert = new x509.X509Certificate(readFileSync(files.caCert, 'utf8'));
    ca = { cert, key: await importKey(readFileSync(files.caKey, 'utf8')) };
  } else {
    ca = await createCa(now);
    writeAtomic(files.caKey, await exportKey(ca.key), 0o600);
    writeAtomic(files.caCert, ca.cert.toString('pem') + '\n', 0o644);
    created.push('ca');
  }

  const names = sanNames(opts.hosts);
  let server = existsSync(files.serverCert) && existsSync(files.serverKey) ? new x509.X509Certificate(readFileSync(files.serverCert, 'utf8')) : undefined;
  if (created.includes('ca') || !server || !isCurrent(server, ca.cert, names, now)) {
    const made = await createServerCertificate(ca, names, now);
    writeAtomic(files.serverKey, await exportKey(made.key), 0o600);
    writeAtomic(files.serverCert, made.cert.toString('pem') + '\n' + ca.cert.toString('pem') + '\n', 0o644);
    server = made.cert;
    created.push('server');
  }
  writeAtomic(files.bundle, bundleText(ca.cert.toString('pem')), 0o644);
  return { files, created, serial: server.serialNumber, notAfter: server.notAfter };
}

/** The names a server certificate covers: the loopback names always, plus the configured hosts. */
export function sanNames(hosts: readonly string[]): string[] {
  const out = new Set(['localhost', '127.0.0.1', '::1']);
  for (const h of hosts) {
    const host = h.replace(/^\[|\]$/g, '').toLowerCase();
    // A wildcard listen address is not a name anyone connects to.
    if (host === '' || host === '0.0.0.0' || host === '::') continue;
    out.add(host);
  }
  return [...out];
}

function isCurrent(cert: x509.X509Certificate, caCert: x509.X509Certificate, names: string[], now: number): boolean {
  if (cert.issuer !== caCert.subject) return false;
  if (cert.notAfter.getTime() - now < RENEW_WITHIN_MS || cert.notBefore.getTime() > now) return false;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const covered = new Set((san?.names.items ?? []).map((n) => n.value.toLowerCase()));
  return names.every((n) => covered.has(n.toLowerCase()));
}

/** A new self-signed CA (ECDSA P-256, 10 years), named `<label> <random id>` (the cluster CA reuses it). */
export async function createCa(now: number, label = 'Flint local CA'): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  // A serial-like suffix keeps two data dirs' CAs apart in a trust store that holds both.
  const id = Buffer.from(webcrypto.getRandomValues(new Uint8Array(4))).toString('hex');
  const name = `CN=${label} ${id}, O=Flint`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_VALIDITY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

async function createServerCertificate(ca: { cert: x509.X509Certificate; key: CryptoKey }, names: string[], now: number): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost, O=Flint',
    issuer: ca.cert.subject,
    // A minute back: a client whose clock is slightly behind still accepts a fresh certificate.
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + SERVER_VALIDITY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      // Python 3.13's default X509 strict mode requires the authority key identifier.
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

/** 16 random bytes, the top bit clear so the DER integer stays positive (RFC 5280 §4.1.2.2). */
export function randomSerial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f | 0x01;
  return Buffer.from(b).toString('hex');
}

export async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

export async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('the local CA key file holds no PEM key');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

function bundleText(caPem: string): string {
  const roots = SYSTEM_ROOTS.find((f) => existsSync(f));
  return caPem.trimEnd() + '\n' + (roots ? readFileSync(roots, 'utf8') : '');
}

/** Written beside and renamed over: a reader (a reload, a sandbox start) never sees half a file. */
export function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}
