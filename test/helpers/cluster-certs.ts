import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A node's TLS material, as the cluster CA issues it: PEMs. */
export interface NodeTls {
  key: string;
  cert: string;
  ca: string;
}

export interface TestCa {
  caPem: string;
  /** A certificate for a node, good for both ends of mutual TLS (serverAuth and clientAuth), covering 127.0.0.1 and localhost. */
  issue(nodeId: string): Promise<NodeTls>;
}

/**
 * A throwaway cluster CA for tests (ECDSA P-256, as src/api/tls/local-certificate-authority.ts
 * makes its CA). The real cluster CA lives in the cluster folder `flint cluster init` writes.
 */
export async function makeTestCa(name = 'Flint test cluster CA'): Promise<TestCa> {
  const now = Date.now();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}, O=Flint`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 30 * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caPem = ca.toString('pem') + '\n';
  return {
    caPem,
    issue: async (nodeId) => {
      const nodeKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${nodeId}, O=Flint`,
        issuer: ca.subject,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 30 * DAY_MS),
        publicKey: nodeKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }]),
          await x509.AuthorityKeyIdentifierExtension.create(ca),
        ],
      });
      const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', nodeKeys.privateKey));
      return { key: x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n', cert: cert.toString('pem') + '\n', ca: caPem };
    },
  };
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return Buffer.from(b).toString('hex');
}
