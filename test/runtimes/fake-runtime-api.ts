import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A Runtime API peer written against raw TCP, for testing Flint's bootstraps' own HTTP clients:
 * unlike Flint's server it can split a response into any TCP writes, frame it chunked, reset the
 * connection or close it after a response.
 */
export interface SeenRequest {
  conn: number;
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
  socket: Socket;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Transfer-Encoding: chunked, in chunks of this many bytes. */
  chunked?: number;
  /** Write the bytes in pieces of this size (a macrotask apart, so they leave as separate segments). */
  split?: number;
  /** Close the connection after the reply. */
  close?: boolean;
}

export class FakeRuntimeApi {
  readonly #server: Server;
  readonly #queue: SeenRequest[] = [];
  #waiter: (() => void) | undefined;
  #conns = 0;
  readonly sockets: Socket[] = [];

  private constructor() {
    this.#server = createServer((socket) => this.#accept(socket));
  }

  static async start(): Promise<FakeRuntimeApi & { address: string }> {
    const api = new FakeRuntimeApi();
    await new Promise<void>((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
    const addr = api.#server.address() as { port: number };
    return Object.assign(api, { address: `127.0.0.1:${addr.port}` });
  }

  /** The next request any runtime connection made (in arrival order). */
  async request(): Promise<SeenRequest> {
    const deadline = Date.now() + 60_000;
    while (this.#queue.length === 0) {
      if (Date.now() > deadline) throw new Error('fake Runtime API: no request within 60 s');
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        setTimeout(resolve, 1000);
      });
    }
    return this.#queue.shift()!;
  }

  async reply(req: SeenRequest, r: Reply = {}): Promise<void> {
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.from('{"status":"OK"}\n'));
    const head = [`HTTP/1.1 ${r.status ?? 200} X`];
    for (const [k, v] of Object.entries(r.headers ?? {})) head.push(`${k}: ${v}`);
    let payload: Buffer;
    if (r.chunked) {
      head.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (let i = 0; i < body.length; i += r.chunked) {
        const c = body.subarray(i, i + r.chunked);
        parts.push(Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n'));
      payload = Buffer.concat(parts);
    } else {
      head.push(`Content-Length: ${body.length}`);
      payload = body;
    }
    const bytes = Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), payload]);
    const size = r.split ?? bytes.length;
    for (let i = 0; i < bytes.length; i += size) {
      req.socket.write(bytes.subarray(i, i + size));
      if (size < bytes.length) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (r.close) req.socket.end();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const conn = ++this.#conns;
    this.sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const [method, path] = lines[0]!.split(' ');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + length) return;
        const body = buf.subarray(end + 4, end + 4 + length);
        buf = buf.subarray(end + 4 + length);
        this.#queue.push({ conn, method: method!, path: path!, headers, body, socket });
        this.#waiter?.();
      }
    });
  }
}

const RUNTIMES = fileURLToPath(new URL('../../src/runtimes/', import.meta.url));
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** One of Flint's bootstraps started against `api`, with handler files written to a task root. */
export function startRuntime(kind: 'node' | 'python', api: string, files: Record<string, string>, handler = 'index.handler'): { proc: ChildProcess; stderr: () => string; exit: Promise<number | null>; cleanup: () => void } {
  const taskRoot = mkdtempSync(join(tmpdir(), 'flint-rt-client-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(taskRoot, name), text);
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', AWS_LAMBDA_RUNTIME_API: api, _HANDLER: handler, LAMBDA_TASK_ROOT: taskRoot, TZ: ':UTC' };
  const argv = kind === 'node'
    ? [process.execPath, join(RUNTIMES, 'nodejs', 'index.mjs')]
    : [PYTHON, '-u', join(RUNTIMES, 'python', 'bootstrap.py'), join(taskRoot, 'opt')];
  if (kind === 'python') env['PYTHONPATH'] = join(RUNTIMES, 'python');
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: taskRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    stderr: () => err,
    exit,
    cleanup: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rmSync(taskRoot, { recursive: true, force: true });
    },
  };
}

/** The /next reply for an event. */
export function eventReply(requestId: string, event: Buffer | string, extra: Partial<Reply> = {}): Reply {
  return {
    headers: {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': requestId,
      'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
      'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:000000000000:function:f',
      'Lambda-Runtime-Trace-Id': 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
    },
    body: event,
    ...extra,
  };
}
