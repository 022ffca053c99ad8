import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/**
 * A streaming Node.js function (awslambda.streamifyResponse) whose event picks what it does:
 * `gated` writes a chunk, then waits for an HTTP GET to `gate` to answer before writing the rest;
 * `fail` writes, then throws; `chunks` writes `n` chunks `gap` ms apart; `big` writes `n` 64 KiB
 * chunks; `url` answers through HttpResponseStream with a status and headers; `slow` writes, then
 * outlives its timeout.
 */
export const STREAMING_HANDLER = `
import http from 'node:http';
const get = (url) => new Promise((resolve, reject) => http.get(url, (r) => { r.resume(); r.on('end', resolve); }).on('error', reject));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  // Through a function URL the test's instructions are the request body.
  if (event.version === '2.0') event = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body);
  if (event.mode === 'gated') { stream.write('first;'); await get(event.gate); stream.write('second;'); stream.end(); return; }
  if (event.mode === 'fail-early') throw new Error('boom before any byte');
  if (event.mode === 'fail') { stream.write('partial;'); await sleep(10); throw new Error('boom mid-stream'); }
  if (event.mode === 'chunks') { for (let i = 0; i < event.n; i++) { stream.write('c' + i + ';'); await sleep(event.gap ?? 20); } stream.end(); return; }
  if (event.mode === 'big') { const b = Buffer.alloc(65536, 120); for (let i = 0; i < event.n; i++) { if (!stream.write(b)) await new Promise((r) => stream.once('drain', r)); } stream.end(); return; }
  if (event.mode === 'url') {
    const s = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { 'x-custom': 'yes', 'content-type': 'text/plain' } });
    s.write('hello ');
    if (event.gate) await get(event.gate);
    s.end('world');
    return;
  }
  if (event.mode === 'slow') { console.log('slow start'); stream.write('start;'); await sleep(60000); stream.end(); return; }
  stream.end(JSON.stringify(event));
});
`;

export async function deployStreaming(h: Harness, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await h.client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Timeout: 30,
    Code: { ZipFile: await makeZip({ 'index.mjs': STREAMING_HANDLER }) }, ...extra,
  }));
  await waitSettled(h.client, name);
}

/** An HTTP gate the function waits on: `url` answers only once `open()` was called. */
export class Gate {
  readonly #server: Server;
  #waiting: Array<() => void> = [];
  #open = false;
  #reached!: () => void;
  /** Resolves when the function first reached the gate. */
  readonly reached = new Promise<void>((r) => (this.#reached = r));
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      this.#reached();
      const answer = () => res.end('open');
      if (this.#open) answer();
      else this.#waiting.push(answer);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/gate`;
    return this;
  }

  open(): void {
    this.#open = true;
    for (const w of this.#waiting.splice(0)) w();
  }

  async close(): Promise<void> {
    this.open();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
