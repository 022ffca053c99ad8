import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { guardHttpServer } from '../../src/api/malformed-http.js';
import { until } from '../helpers/until.js';

/*
 * Malformed HTTP over raw sockets against a plain Node server guarded by guardHttpServer: every
 * case Node would answer with a bare status line (or not at all) gets a complete AWS-shaped answer,
 * and the server keeps serving.
 */

let server: Server;
let port: number;
let ids = 0;
const logged: string[] = [];

before(async () => {
  server = createServer({ headersTimeout: 400, requestTimeout: 600, connectionsCheckingInterval: 50 } as object, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    if (req.url === '/early') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('early-headers;');
    }
    req.on('end', () => {
      if (req.url === '/early') return; // Answered below, before the body.
      if (req.url === '/slow-stream') {
        // Headers now, body later: a response under way when the next bytes turn out to be garbage.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part-1;');
        setTimeout(() => res.end('part-2'), 300);
        return;
      }
      const body = JSON.stringify({ method: req.method, url: req.url, bytes: Buffer.concat(chunks).length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  guardHttpServer(server, { requestId: () => `req-${++ids}`, log: (l) => logged.push(l) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends bytes over a fresh connection and collects everything until the server closes it. */
function raw(parts: Array<string | Buffer>, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no close within ${opts.timeoutMs ?? 5000} ms; got ${Buffer.concat(chunks).toString()}`)); }, opts.timeoutMs ?? 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {}); // A reset after the answer is the server's right.
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
    s.on('connect', () => {
      for (const p of parts) s.write(p);
      if (opts.halfClose) s.end();
    });
  });
}

/** The first response in `text`. */
function parse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) \S/.exec(statusLine!);
  assert.ok(m, `bad status line ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length']);
  return { status: Number(m[1]), headers, body: text.slice(end + 4, end + 4 + length), raw: text };
}

/** The shape every refusal must have; returns the parsed JSON body. */
function assertAwsRefusal(r: RawResponse, status: number, type: string): { __type: string; message: string } {
  assert.equal(r.status, status, r.raw.slice(0, 300));
  assert.match(r.headers['x-amzn-requestid'] ?? '', /^req-\d+$/);
  assert.equal(r.headers['x-amzn-errortype'], type);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['connection'], 'close');
  assert.equal(Buffer.byteLength(r.body), Number(r.headers['content-length']));
  const body = JSON.parse(r.body);
  assert.equal(body.__type, type);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  return body;
}

async function assertStillServing(): Promise<void> {
  const r = parse(await raw(['GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']));
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).url, '/ok');
}

test('malformed http: an Expect other than 100-continue is 417 ExpectationFailedException with a body', async () => {
  const body = assertAwsRefusal(parse(await raw(['GET / HTTP/1.1\r\nHost: x\r\nExpect: banana\r\n\r\n'])), 417, 'ExpectationFailedException');
  assert.match(body.message, /'banana'/);
  await assertStillServing();
});

test('malformed http: Expect: 100-continue still gets 100 Continue and reaches the handler', async () => {
  const text = await raw(['POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n', 'abc']);
  assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.equal(JSON.parse(text.slice(text.lastIndexOf('\r\n\r\n') + 4)).bytes, 3);
});

test('malformed http: a header line without a colon is 400 BadRequestException naming the fault', async () => {
  const body = assertAwsRefusal(parse(await raw(['GET / HTTP/1.1\r\nHost: x\r\nBadHeaderLine\r\n\r\n'])), 400, 'BadRequestException');
  assert.match(body.message, /^The HTTP request could not be parsed: .*header/i);
  await assertStillServing();
});

test('malformed http: Content-Length together with Transfer-Encoding is 400 (request smuggling guard)', async () => {
  const body = assertAwsRefusal(
    parse(await raw(['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'])),
    400,
    'BadRequestException',
  );
  assert.match(body.message, /Transfer-Encoding can't be present with Content-Length/);
  await assertStillServing();
});

test('malformed http: headers past 16 KiB are 431 RequestHeaderFieldsTooLargeException', async () => {
  const body = assertAwsRefusal(
    parse(await raw([`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`])),
    431,
    'RequestHeaderFieldsTooLargeException',
  );
  assert.match(body.message, /16384 bytes/);
  await assertStillServing();
});

test('malformed http: the 431 arrives even while the client is still sending a 1 MiB header', async () => {
  const text = await raw([`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1 << 20)}`], { timeoutMs: 10_000 });
  assertAwsRefusal(parse(text), 431, 'RequestHeaderFieldsTooLargeException');
  await assertStillServing();
});

test('malformed http: CONNECT is 405 MethodNotAllowedException with Allow, not a dropped connection', async () => {
  const r = parse(await raw(['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n']));
  const body = assertAwsRefusal(r, 405, 'MethodNotAllowedException');
  assert.match(r.headers['allow'] ?? '', /GET/);
  assert.match(body.message, /not a proxy/);
  await assertStillServing();
});

test('malformed http: an HTTP/1.1 request without Host is 400 with a body, and never reaches the handler', async () => {
  const r = parse(await raw(['GET /no-host HTTP/1.1\r\n\r\n']));
  const body = assertAwsRefusal(r, 400, 'BadRequestException');
  assert.match(body.message, /Host/);
  // HTTP/1.0 has no Host requirement.
  const old = parse(await raw(['GET /old HTTP/1.0\r\n\r\n']));
  assert.equal(old.status, 200);
});

test('malformed http: a garbage request line is 400 BadRequestException', async () => {
  assertAwsRefusal(parse(await raw(['GARBAGE\r\n\r\n'])), 400, 'BadRequestException');
  assertAwsRefusal(parse(await raw(['GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n'])), 400, 'BadRequestException');
  assertAwsRefusal(parse(await raw(['GET / HTTP/1.1\nHost: x\n\n'])), 400, 'BadRequestException');
  await assertStillServing();
});

test('malformed http: a bad chunk size is 400 even though the request was already dispatched', async () => {
  const body = assertAwsRefusal(
    parse(await raw(['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n'])),
    400,
    'BadRequestException',
  );
  assert.match(body.message, /chunk size/);
  await assertStillServing();
});

test('malformed http: a body cut short by the client closing is 400 saying so', async () => {
  const body = assertAwsRefusal(
    parse(await raw(['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc'], { halfClose: true })),
    400,
    'BadRequestException',
  );
  assert.match(body.message, /ended before the request was complete/);
  await assertStillServing();
});

test('malformed http: headers not received in time are 408 RequestTimeoutException', async () => {
  const body = assertAwsRefusal(parse(await raw(['GET / HTTP/1.1\r\nHost: x\r\n'])), 408, 'RequestTimeoutException');
  assert.ok(body.message.length > 0);
  await assertStillServing();
});

test('malformed http: garbage pipelined after a good request answers the good one, then the refusal', async () => {
  const text = await raw(['GET /first HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n']);
  const first = parse(text);
  assert.equal(first.status, 200);
  const rest = text.slice(text.indexOf(first.body) + first.body.length);
  assertAwsRefusal(parse(rest), 400, 'BadRequestException');
});

test('malformed http: garbage pipelined while a response is being written waits for that response, then is refused', async () => {
  const text = await raw(['GET /slow-stream HTTP/1.1\r\nHost: x\r\n\r\n', 'GARBAGE\r\n\r\n']);
  assert.match(text, /^HTTP\/1\.1 200 OK/);
  const second = text.indexOf('HTTP/1.1 400');
  assert.ok(second > 0, text);
  assert.match(text.slice(0, second), /part-1;.*part-2/s);
  assertAwsRefusal(parse(text.slice(second)), 400, 'BadRequestException');
  await assertStillServing();
});

test('malformed http: a broken chunk after the response to its own request has begun cuts the connection, no second status line', async () => {
  const s = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('error', () => {});
  const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
  // /echo-early answers as soon as headers arrive, before the chunked body is read.
  s.write('POST /early HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
  await until(() => Buffer.concat(chunks).toString().includes('early-headers'));
  s.write('ZZ\r\n');
  await closed;
  const text = Buffer.concat(chunks).toString();
  assert.equal(text.match(/HTTP\/1\.1 \d{3}/g)?.length, 1, text);
  await assertStillServing();
});

test('malformed http: a client that resets right after its garbage does not take the server down', async () => {
  await Promise.all(
    Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        s.resetAndDestroy();
      });
      s.on('error', () => {});
      s.on('close', () => resolve());
    })),
  );
  await assertStillServing();
});

test('malformed http: each refusal is logged with the parser code', () => {
  assert.ok(logged.some((l) => /HPE_INVALID_HEADER_TOKEN .* → 400$/.test(l)), logged.join('\n'));
  assert.ok(logged.some((l) => /HPE_HEADER_OVERFLOW .* → 431$/.test(l)));
});
