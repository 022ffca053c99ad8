/**
 * A sandbox driver that gives the code in its sandboxes a way to Flint's own API (its AWS front
 * door), so SDKs inside a function reach Flint with no code change. The data plane hands it Flint's
 * endpoint once the front door listens, and sets AWS_ENDPOINT_URL (and the per-service variables)
 * to what this returns: the address the code uses inside the sandbox.
 *
 * (An optional capability of the drivers in this directory; a candidate for the SandboxDriver port.)
 */
export interface FlintApiAccess {
  /** `endpoint`: Flint's API as listened on the host (`http://127.0.0.1:<port>`). Returns the URL for inside. */
  connectFlintApi(endpoint: string): string;
}

export function hasFlintApiAccess(driver: object): driver is FlintApiAccess {
  return typeof (driver as Partial<FlintApiAccess>).connectFlintApi === 'function';
}

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
