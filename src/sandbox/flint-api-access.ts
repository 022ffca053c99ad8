/**
 * The host address to connect to for an endpoint URL: a server bound to every address (0.0.0.0,
 * ::) is reached on the loopback.
 */
export function loopbackTarget(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (host === '0.0.0.0' || host === '') return { host: '127.0.0.1', port };
  if (host === '::') return { host: '::1', port };
  return { host, port };
}

/** The endpoint URL for code that reaches the host's loopback directly (the process driver). */
export function directEndpoint(endpoint: string): string {
  const { host, port } = loopbackTarget(endpoint);
  return `${new URL(endpoint).protocol}//${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Flint's CA as files on the host, for sandboxes whose code calls Flint over HTTPS. */
export interface FlintCaFiles {
  /** The CA followed by the system roots (botocore replaces its roots with AWS_CA_BUNDLE). */
  bundle: string;
  /** The CA alone (Node.js adds NODE_EXTRA_CA_CERTS to its own roots). */
  cert: string;
}

/**
 * The variables that make the SDKs inside trust Flint's CA: `AWS_CA_BUNDLE` (botocore, the AWS
 * CLI) and `NODE_EXTRA_CA_CERTS` (Node.js reads it once at process start, so it must be there at
 * spawn, pre-initialized runtimes included). Defaults only: a function's own values win, as any
 * variable it sets over a runtime default does on Lambda.
 */
export function withFlintCa(env: Record<string, string>, ca: FlintCaFiles | undefined): Record<string, string> {
  if (!ca) return env;
  return { AWS_CA_BUNDLE: ca.bundle, NODE_EXTRA_CA_CERTS: ca.cert, ...env };
}
