import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { ensureLocalCertificates, localTlsFiles } from './local-certificate-authority.js';
import type { ServerKeyPair } from './tls-server-options.js';

/** How the API's TLS is set up: certificates given by the operator, or made by Flint's local CA. */
export type TlsSource =
  | { kind: 'files'; certFile: string; keyFile: string; /** Bundle clients and sandboxes should trust (a private CA); none: the system roots do. */ caFile?: string }
  | { kind: 'local-ca'; dataDir: string; hosts: readonly string[] };

/** What `flint env` reads to know the server speaks TLS and which bundle verifies it. */
export interface ServingRecord {
  scheme: 'https';
  /** For AWS_CA_BUNDLE (CA + system roots), when clients need one. */
  caBundle?: string;
  /** The CA alone, for NODE_EXTRA_CA_CERTS. */
  caCert?: string;
}

const SERVING_FILE = 'serving.json';

/**
 * The server's certificate and key, read from their files when asked (start, SIGHUP). With the
 * local CA a reload also renews a certificate that is close to expiry. User-supplied files are used
 * as given: Flint only reads them.
 */
export class TlsCertificates {
  readonly #source: TlsSource;
  readonly #now: () => number;

  private constructor(source: TlsSource, now: () => number) {
    this.#source = source;
    this.#now = now;
  }

  /** Validates the source once (files readable, or the local CA ready) before the server starts. */
  static async open(source: TlsSource, now: () => number): Promise<TlsCertificates> {
    const certs = new TlsCertificates(source, now);
    await certs.load();
    return certs;
  }

  get source(): TlsSource {
    return this.#source;
  }

  /** The bundle clients set as AWS_CA_BUNDLE (CA + system roots); undefined when the system roots suffice. */
  get caBundle(): string | undefined {
    return this.#source.kind === 'local-ca' ? localTlsFiles(this.#source.dataDir).bundle : this.#source.caFile;
  }

  /** The CA certificate alone (NODE_EXTRA_CA_CERTS adds to Node's roots rather than replacing them). */
  get caCert(): string | undefined {
    return this.#source.kind === 'local-ca' ? localTlsFiles(this.#source.dataDir).caCert : this.#source.caFile;
  }

  /** Reads (and with the local CA, renews when due) the certificate chain and key. */
  async load(): Promise<ServerKeyPair & { serial: string; notAfter: Date }> {
    let certFile: string;
    let keyFile: string;
    if (this.#source.kind === 'local-ca') {
      const r = await ensureLocalCertificates({ dataDir: this.#source.dataDir, hosts: this.#source.hosts, now: this.#now });
      certFile = r.files.serverCert;
      keyFile = r.files.serverKey;
    } else {
      ({ certFile, keyFile } = this.#source);
    }
    const cert = readRequired(certFile, 'certificate');
    const key = readRequired(keyFile, 'private key');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(cert.toString('utf8'));
    } catch (err) {
      throw new Error(`TLS certificate ${certFile} is not a PEM certificate: ${(err as Error).message}`);
    }
    return { cert, key, serial: leaf.serialNumber, notAfter: leaf.notAfter };
  }

  /** Records (or, with TLS off, clears) how the server serves, for `flint env`. */
  static recordServing(dataDir: string, certs: TlsCertificates | undefined): void {
    const file = join(localTlsFiles(dataDir).dir, SERVING_FILE);
    if (!certs) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(localTlsFiles(dataDir).dir, { recursive: true, mode: 0o700 });
    const record: ServingRecord = { scheme: 'https', ...(certs.caBundle ? { caBundle: certs.caBundle } : {}), ...(certs.caCert ? { caCert: certs.caCert } : {}) };
    writeFileSync(file, JSON.stringify(record) + '\n', { mode: 0o644 });
  }

  /** What the server last started with, or undefined when it served plain HTTP. */
  static readServing(dataDir: string): ServingRecord | undefined {
    const file = join(localTlsFiles(dataDir).dir, SERVING_FILE);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ServingRecord;
    } catch {
      return undefined;
    }
  }
}

function readRequired(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
