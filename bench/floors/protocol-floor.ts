/**
 * Floor 3: the Lambda protocol itself, with nothing else. One process serves the front door (POST /
 * → an invocation) and the Runtime API (`GET /2018-06-01/runtime/invocation/next`, `POST
 * .../{id}/response`); `runtimes` separate Node processes (protocol-runtime.ts) loop on /next and
 * post each response, as a Lambda runtime does. No auth, no bookkeeping, no logs: what is left is
 * what the protocol costs — two HTTP exchanges and a process hop per invocation. With one runtime
 * the requests queue in front of it; with one per concurrent request each waits on its own.
 *
 *   protocol-floor.ts <runtimes>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const runtimes = Math.max(1, Number(process.argv[2] ?? 1));
const NEXT = '/2018-06-01/runtime/invocation/next';
const PREFIX = '/2018-06-01/runtime/invocation/';

interface Pending { id: string; body: Buffer; res: ServerResponse }
const queue: Pending[] = [];
const idle: ServerResponse[] = [];
const inFlight = new Map<string, ServerResponse>();
let seq = 0;

function readAll(req: IncomingMessage, done: (b: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function hand(next: ServerResponse, p: Pending): void {
  inFlight.set(p.id, p.res);
  next.writeHead(200, {
    'content-type': 'application/json',
    'content-length': p.body.length,
    'lambda-runtime-aws-request-id': p.id,
    'lambda-runtime-deadline-ms': String(Date.now() + 30_000),
  });
  next.end(p.body);
}

const front = createServer((req, res) => {
  readAll(req, (body) => {
    const p = { id: `r${++seq}`, body, res };
    const next = idle.pop();
    if (next) hand(next, p);
    else queue.push(p);
  });
});

const runtimeApi = createServer((req, res) => {
  const url = req.url ?? '';
  if (url === NEXT) {
    req.resume();
    const p = queue.shift();
    if (p) hand(res, p);
    else idle.push(res);
    return;
  }
  readAll(req, (body) => {
    const id = url.slice(PREFIX.length, url.lastIndexOf('/'));
    const client = inFlight.get(id);
    inFlight.delete(id);
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': 16 });
    res.end('{"status":"OK"}\n');
    if (client) {
      client.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      client.end(body);
    }
  });
});
front.keepAliveTimeout = 60_000;
runtimeApi.keepAliveTimeout = 0;
runtimeApi.headersTimeout = 0;
runtimeApi.requestTimeout = 0;

const children: ChildProcess[] = [];
const listen = (s: typeof front) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
const frontPort = await listen(front);
const apiPort = await listen(runtimeApi);
const script = fileURLToPath(new URL('./protocol-runtime.mjs', import.meta.url));
for (let i = 0; i < runtimes; i++) {
  children.push(spawn(process.execPath, [script], { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${apiPort}` }, stdio: ['ignore', 'ignore', 'inherit'] }));
}
// Ready once every runtime is parked on /next.
while (idle.length < runtimes) await new Promise((r) => setTimeout(r, 10));
process.send!({ ready: { port: frontPort, runtimes, runtimePids: children.map((c) => c.pid) } });
const stop = () => {
  for (const c of children) c.kill('SIGKILL');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
