/**
 * Floor 2: client → this server → a second server (the echo floor) → back. One extra process hop
 * over keep-alive HTTP is the least a frontend plus a Runtime API can cost: Flint's Invoke also
 * crosses from the frontend to the runtime's process and back.
 *
 *   two-hop-proxy.ts <upstream port>
 */
import { Agent, createServer, request } from 'node:http';

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const up = request(
      { host: '127.0.0.1', port: upstreamPort, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (upRes) => {
        const out: Buffer[] = [];
        upRes.on('data', (c: Buffer) => out.push(c));
        upRes.on('end', () => {
          const payload = Buffer.concat(out);
          res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': payload.length });
          res.end(payload);
        });
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    up.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send!({ ready: { port: typeof addr === 'object' && addr ? addr.port : 0 } });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
