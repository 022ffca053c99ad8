import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { clientGone, mustClose, readBody, type DrainBounds } from '../../src/api/read-body.js';

/**
 * readBody's bounded drain, on a bare server with small bounds: an oversized body is read to its
 * end before the 413 (the connection stays usable), unless it passes the byte or time bound —
 * then the answer closes the connection.
 */
async function withServer(limit: number, bounds: DrainBounds, fn: (port: number, outcomes: string[]) => Promise<void>): Promise<void> {
  const outcomes: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req, limit, bounds);
    if (body === undefined) {
      const close = mustClose(req);
      outcomes.push(close ? 'cut' : 'drained');
      res.writeHead(413, { 'content-length': '2', ...(close ? { connection: 'close' } : {}) });
      res.end('no');
      return;
    }
    outcomes.push(`read ${body.length}`);
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as AddressInfo).port, outcomes);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

/** Sends `head` then `body` in pieces on one socket and collects everything the server writes until it closes or `until` matches. */
function exchange(port: number, head: string, body: Buffer[], until: RegExp): Promise<{ text: string; closed: boolean; writeError?: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    let writeError: string | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve({ text, closed, ...(writeError ? { writeError } : {}) });
    };
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until.test(text)) finish(false);
    });
    s.on('error', (e) => { writeError = e.message; });
    s.on('close', () => finish(true));
    s.write(head);
    for (const b of body) s.write(b);
  });
}

test('oversized body: a declared body over the limit is drained, then answered; the same connection serves the next request', async () => {
  await withServer(10, { bytes: 1000, ms: 5000 }, async (port, outcomes) => {
    const big = Buffer.alloc(500, 'a');
    const r = await exchange(port,
      `POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${big.length}\r\n\r\n`,
      [big, Buffer.from('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc')],
      /HTTP\/1\.1 200[\s\S]*abc$/);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(r.text, /connection: close/i);
    assert.equal(r.closed, false);
    assert.deepEqual(outcomes, ['drained', 'read 3']);
  });
});

test('oversized body: a chunked body that passes the limit while read is drained too', async () => {
  await withServer(10, { bytes: 1000, ms: 5000 }, async (port, outcomes) => {
    const chunk = (s: string) => Buffer.from(`${s.length.toString(16)}\r\n${s}\r\n`);
    const r = await exchange(port,
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n',
      [chunk('x'.repeat(8)), chunk('y'.repeat(300)), Buffer.from('0\r\n\r\n'), Buffer.from('GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n')],
      /HTTP\/1\.1 200/);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    // (Node parses the pipelined second request while the first drains: answers stay in order.)
    assert.deepEqual(outcomes.sort(), ['drained', 'read 0']);
  });
});

test('oversized body: a declared length past the drain bound is answered at once, with connection: close', async () => {
  await withServer(10, { bytes: 100, ms: 5000 }, async (port, outcomes) => {
    const r = await exchange(port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n', [Buffer.alloc(20, 'a')], /no$/);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.match(r.text, /connection: close/i);
    assert.deepEqual(outcomes, ['cut']);
  });
});

test('oversized body: a body that sends more than the drain bound is cut short with connection: close', async () => {
  await withServer(10, { bytes: 100, ms: 5000 }, async (port, outcomes) => {
    const chunk = (s: string) => Buffer.from(`${s.length.toString(16)}\r\n${s}\r\n`);
    const r = await exchange(port, 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', [chunk('x'.repeat(50)), chunk('y'.repeat(200))], /no$/);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.match(r.text, /connection: close/i);
    assert.deepEqual(outcomes, ['cut']);
  });
});

test('oversized body: a client that stalls mid-body is answered when the drain time bound passes, with connection: close', async () => {
  await withServer(10, { bytes: 10_000, ms: 50 }, async (port, outcomes) => {
    // 20 of 1,000 declared bytes, then nothing: only the time bound can end the wait.
    const r = await exchange(port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n', [Buffer.alloc(20, 'a')], /no$/);
    assert.match(r.text, /^HTTP\/1\.1 413 /);
    assert.match(r.text, /connection: close/i);
    assert.deepEqual(outcomes, ['cut']);
  });
});

test('clientGone: a request read to its end still has someone to answer (Node 20 destroys it after the body); a cut-off upload has not', async () => {
  const seen: Array<{ gone: boolean; destroyed: boolean }> = [];
  const server: Server = createServer((req, res) => {
    readBody(req, 1 << 20).then(
      () => setTimeout(() => {
        seen.push({ gone: clientGone(req, res), destroyed: req.destroyed });
        res.end('late answer');
      }, 20),
      () => setTimeout(() => { seen.push({ gone: clientGone(req, res), destroyed: req.destroyed }); res.end(); }, 20),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(await r.text(), 'late answer');
    assert.deepEqual(seen[0], { gone: false, destroyed: true }, 'read to the end: destroyed by Node, yet answerable');
    // An upload cut off halfway: the socket closes before the declared length arrived.
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n' + 'y'.repeat(100));
        setTimeout(() => { s.destroy(); resolve(); }, 20);
      });
      s.on('error', () => undefined);
    });
    for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen[1], { gone: true, destroyed: true });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
