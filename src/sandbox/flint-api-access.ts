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
