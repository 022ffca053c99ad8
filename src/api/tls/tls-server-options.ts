import type { SecureContextOptions, TlsOptions } from 'node:tls';

/**
 * TLS 1.2 is the floor: AWS's own endpoints refuse TLS 1.0/1.1 since June 2023 ("TLS 1.2 to
 * become the minimum TLS protocol level for all AWS API endpoints"), and the SDKs all speak 1.2+.
 */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;

/**
 * Modern suites only: TLS 1.3's three AEAD suites, and for TLS 1.2 forward-secret ECDHE with AEAD
 * ciphers (AES-GCM, ChaCha20-Poly1305). No CBC, RSA key exchange, 3DES, RC4 or SHA-1 MACs: those
 * are what the TLS 1.2 "modern/intermediate" profiles drop. Listed strongest first; the server's
 * order wins (`honorCipherOrder`).
 */
export const MODERN_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

/** A certificate chain and its private key, PEM. */
export interface ServerKeyPair {
  cert: Buffer;
  key: Buffer;
}

/** Everything of the protocol policy that a secure context carries (also what SIGHUP reloads). */
export function secureContextOptions(pair: ServerKeyPair): SecureContextOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: TLS_MIN_VERSION,
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
  };
}

/** Options for `https.createServer`: the secure context's plus the server-only ones. */
export function tlsServerOptions(pair: ServerKeyPair): TlsOptions {
  return {
    ...secureContextOptions(pair),
    // A client certificate is never asked for: callers authenticate with SigV4.
    requestCert: false,
    // Handshakes that stall hold a socket: cut them like Node's default (120 s) but sooner.
    handshakeTimeout: 10_000,
  };
}
