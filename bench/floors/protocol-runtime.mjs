// A runtime loop of the protocol floor (protocol-floor.ts), as lean as a Lambda runtime can be:
// long-poll /next, run the bench's hello handler, post /response, again. Plain JavaScript so it
// starts without a TypeScript loader.
import { Agent, request } from 'node:http';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const base = '/2018-06-01/runtime/invocation/';
const handler = async (event) => {
  if (event && event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return { hello: 'world' };
};

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (;;) {
  const next = await call('GET', base + 'next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const result = await handler(JSON.parse(next.body));
  await call('POST', `${base}${id}/response`, JSON.stringify(result));
}
