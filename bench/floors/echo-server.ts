/**
 * Floor 1: a bare Node HTTP server that reads the request body and answers with a small JSON
 * document of the same shape as the bench's hello function — the least any HTTP frontend costs.
 */
import { createServer } from 'node:http';
import { HELLO_RESPONSE } from '../flint/hello-function.js';

const body = Buffer.from(HELLO_RESPONSE);
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send!({ ready: { port: typeof addr === 'object' && addr ? addr.port : 0 } });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
