import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut: `cut()` drops every open connection and
 * black-holes new ones (accepted, never answered: what a partition looks like to the client, which
 * only its own timeouts end); `restore()` forwards again. One node's link to the database is cut
 * while the others keep theirs.
 */
export interface CuttableProxy {
  readonly port: number;
  /** The database URL through the proxy. */
  url(databaseUrl: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetHost: string, targetPort: number): Promise<CuttableProxy> {
  let isCut = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (isCut) { client.pause(); return; }
    const upstream = createConnection(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => { open.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (databaseUrl) => { const u = new URL(databaseUrl); u.hostname = '127.0.0.1'; u.port = String(port); return u.toString(); },
    cut() { isCut = true; for (const s of open) s.destroy(); open.clear(); },
    restore() { isCut = false; for (const s of open) s.destroy(); open.clear(); },
    close: () => new Promise<void>((r) => { for (const s of open) s.destroy(); server.close(() => r()); }),
  };
}
