import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createCa, exportKey, importKey, randomSerial, sanNames, writeAtomic } from '../api/tls/local-certificate-authority.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/**
 * A node certificate is issued at each start of the node and lives only in its memory; a year
 * covers any process lifetime without a renewal path (the local CA's 90 days suit a file renewed
 * at start and on SIGHUP, which a node certificate does not need).
 */
const NODE_VALIDITY_MS = 365 * 86_400_000;

/** The files of a cluster folder (`flint cluster init DIR`); every node gets `--cluster-dir DIR`. */
export interface ClusterFiles {
  dir: string;
  /** The cluster CA certificate (PEM). */
  caCert: string;
  /** The cluster CA's private key (PKCS#8 PEM). Every node holds it to issue its own certificate. */
  caKey: string;
  /** Root credentials, as src/app/secrets.ts `loadRootCredentials(dir)` reads them. */
  credentials: string;
  /** The master keyring, as `loadMasterKeyring(dir)` (FileMasterKeyring 'data-dir') reads it. */
  masterKeys: string;
}

export function clusterFiles(dir: string): ClusterFiles {
  return { dir, caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), credentials: join(dir, 'credentials.json'), masterKeys: join(dir, 'master-keys.json') };
}

/**
 * Creates the cluster CA in `dir` (made 0700; both files 0600: the folder is a secret as a whole,
 * like a Kubernetes Secret, and only the node's user reads it). Refuses a folder that already has
 * a CA: a second CA would split the cluster into nodes that do not trust each other.
 */
export async function createClusterCa(dir: string, now: number): Promise<{ subject: string; notAfter: Date }> {
  const files = clusterFiles(dir);
  if (existsSync(files.caCert) || existsSync(files.caKey)) throw new Error(`${dir} already has a cluster CA (ca.pem)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const ca = await createCa(now, 'Flint cluster CA');
  writeAtomic(files.caKey, await exportKey(ca.key), 0o600);
  writeAtomic(files.caCert, ca.cert.toString('pem') + '\n', 0o600);
  return { subject: ca.cert.subject, notAfter: ca.cert.notAfter };
}

export interface NodeCertificate {
  /** The node's private key, PKCS#8 PEM. */
  key: string;
  /** The node's certificate, PEM, signed by the cluster CA. */
  cert: string;
  /** The cluster CA certificate, PEM: what peers' certificates are checked against. */
  ca: string;
}

/**
 * A TLS key and certificate for a node, signed by the cluster CA: CN is the node id, the SANs are
 * the hosts peers dial (plus the loopback names), and the extended key usage allows both server
 * and client authentication, because every internal connection is mutual TLS (an api node is a
 * client of a worker, a worker the server).
 */
export async function issueNodeCertificate(clusterDir: string, nodeId: string, hosts: readonly string[], now: number = Date.now()): Promise<NodeCertificate> {
  const files = clusterFiles(clusterDir);
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) throw new Error(`${clusterDir} has no cluster CA: create the folder with \`flint cluster init ${clusterDir}\``);
  const caPem = readFileSync(files.caCert, 'utf8');
  const caCert = new x509.X509Certificate(caPem);
  const caKey = await importKey(readFileSync(files.caKey, 'utf8'));
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const names = sanNames(hosts);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${nodeId.replace(/[,=+<>#;"\\]/g, '_')}, O=Flint cluster`,
    issuer: caCert.subject,
    // A minute back: a peer whose clock is slightly behind still accepts a fresh certificate.
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + NODE_VALIDITY_MS, caCert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { key: await exportKey(keys.privateKey), cert: cert.toString('pem') + '\n', ca: caPem };
}
