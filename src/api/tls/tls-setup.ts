import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { TlsSource } from './tls-certificates.js';

/** The TLS settings of Flint's configuration (FLINT_TLS, FLINT_TLS_CERT/KEY/CA). */
export interface TlsSettings {
  tls: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  dataDir: string;
  host: string;
}

/**
 * Where the server's certificate comes from: the operator's files when given (used as given),
 * else with TLS on the local CA, for the configured host (and this machine's name when listening
 * on every address, the name remote clients most likely use); undefined: plain HTTP.
 */
export function tlsSourceFor(s: TlsSettings): TlsSource | undefined {
  if (s.tlsCert !== undefined && s.tlsKey !== undefined) {
    return { kind: 'files', certFile: s.tlsCert, keyFile: s.tlsKey, ...(s.tlsCa ? { caFile: s.tlsCa } : {}) };
  }
  if (!s.tls) return undefined;
  const wildcard = s.host === '0.0.0.0' || s.host === '::' || s.host === '';
  return { kind: 'local-ca', dataDir: s.dataDir, hosts: wildcard ? [hostname()] : [s.host] };
}

/** True for addresses only this host can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}
