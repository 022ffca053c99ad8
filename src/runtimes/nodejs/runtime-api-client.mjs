// The Node.js runtime's HTTP/1.1 client for the Runtime API (used by index.mjs). node:http's
// agent, request objects and stream plumbing were most of the runtime's CPU per invocation
// (measured); the Runtime API listener is the only peer and the runtime asks one thing at a time,
// so this client keeps one TCP connection alive, writes a request in one write and parses the
// response from the bytes as they come — status line, headers, then a body framed by
// Content-Length (what Flint's listener sends) or chunked. Anything else is an error, never a
// guess. A call made while another is pending (a crash report during a reply) gets a connection
// of its own, as node:http's agent did.
import net from 'node:net';
import { existsSync } from 'node:fs';

// In a bwrap sandbox AWS_LAMBDA_RUNTIME_API is a relay (127.0.0.1:9001) in front of a unix socket
// the host serves; Flint's own runtime skips the relay and talks to the socket itself (one process
// hop fewer per request each way). Code that reads AWS_LAMBDA_RUNTIME_API still finds the relay.
const RELAYED_ADDRESS = '127.0.0.1:9001';
const SANDBOX_SOCKET = '/run/flint/runtime-api.sock';

export class RuntimeApiClient {
  #host;
  #port;
  #hostHeader;
  #path; // the sandbox's unix socket, when there is one behind the relay
  #idle = undefined; // the kept-alive connection when no request uses it

  /** `address`: AWS_LAMBDA_RUNTIME_API, `host:port` (an IPv6 host in brackets). */
  constructor(address) {
    const colon = address.lastIndexOf(':');
    this.#host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.#port = Number(address.slice(colon + 1));
    this.#hostHeader = `Host: ${address}\r\n`;
    this.#path = address === RELAYED_ADDRESS && existsSync(SANDBOX_SOCKET) ? SANDBOX_SOCKET : undefined;
  }

  /**
   * One request; resolves {status, headers (lower-case names), body: Buffer}. `body` is a string
   * (sent as UTF-8 JSON); `errorType` becomes Lambda-Runtime-Function-Error-Type.
   */
  request(method, fullPath, body, errorType) {
    let conn = this.#idle;
    this.#idle = undefined;
    if (conn === undefined || conn.closed) conn = new Connection(this.#port, this.#host, this.#path);
    let head = `${method} ${fullPath} HTTP/1.1\r\n${this.#hostHeader}`;
    // A header value must be visible ASCII; an error type that is not stays in the body only
    // (Flint reads it from there when the header is absent, as for aws-lambda-ric).
    if (errorType !== undefined && /^[\x20-\x7e]+$/.test(errorType)) head += `Lambda-Runtime-Function-Error-Type: ${errorType}\r\n`;
    return this.#attempt(conn, head, body, true);
  }

  #attempt(conn, head, body, mayRetry) {
    return conn.send(head, body).then(
      (res) => {
        if (this.#idle === undefined && !conn.closed) this.#idle = conn;
        else conn.close();
        return res;
      },
      (err) => {
        // A kept-alive connection the server closed as the request went out: nothing was
        // answered, so the request goes once more on a new connection (what HTTP clients do).
        if (!mayRetry || !conn.reused || conn.answered) throw err;
        return this.#attempt(new Connection(this.#port, this.#host, this.#path), head, body, false);
      },
    );
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');
// One response head: status line and headers (names are case-insensitive; values keep their case).
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;
const MAX_HEAD_BYTES = 64 * 1024;
const SMALL_BODY_CHARS = 64 * 1024;

class Connection {
  #socket;
  #pending; // {resolve, reject} of the request in flight
  #buf = undefined; // bytes received and not yet consumed
  #res = undefined; // the response being read: {status, headers, body parts, framing state}
  closed = false;
  reused = false; // a response was completed on it before the current request
  answered = false; // bytes of the current request's response arrived

  constructor(port, host, path) {
    const socket = new net.Socket();
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('socket hang up')));
    if (path !== undefined) socket.connect(path);
    else socket.connect(port, host);
  }

  send(head, body) {
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#res = undefined;
      this.answered = false;
      // Referenced only while a request is pending: an idle connection must not keep the event
      // loop alive (the reply of a callback handler waits for the loop to empty).
      this.#socket.ref();
      if (body === undefined) {
        this.#socket.write(`${head}\r\n`, 'latin1');
      } else if (body.length <= SMALL_BODY_CHARS) {
        // Head and body in one write (one syscall, one TCP segment).
        this.#socket.write(`${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'utf8');
      } else {
        const bytes = Buffer.from(body, 'utf8');
        this.#socket.cork();
        this.#socket.write(`${head}Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`, 'latin1');
        this.#socket.write(bytes);
        this.#socket.uncork();
      }
    });
  }

  close() {
    this.closed = true;
    this.#socket.destroy();
  }

  #fail(err) {
    this.closed = true;
    const pending = this.#pending;
    this.#pending = undefined;
    this.#socket.unref();
    if (pending) pending.reject(err);
    this.#socket.destroy();
  }

  #onData(chunk) {
    if (this.#pending === undefined) return this.#fail(new Error('the Runtime API sent data nobody asked for'));
    this.answered = true;
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#parse();
    } catch (err) {
      this.#fail(err);
    }
  }

  #parse() {
    let res = this.#res;
    if (res === undefined) {
      const buf = this.#buf;
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) throw new Error('the Runtime API sent a response head over 64 KiB');
        return;
      }
      const lines = buf.toString('latin1', 0, end).split('\r\n');
      const m = STATUS_LINE.exec(lines[0]);
      if (m === null) throw new Error(`the Runtime API sent a malformed status line: ${JSON.stringify(lines[0].slice(0, 100))}`);
      const headers = {};
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        const colon = line.indexOf(':');
        if (colon <= 0) throw new Error(`the Runtime API sent a malformed header line: ${JSON.stringify(line.slice(0, 100))}`);
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const chunked = /(?:^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '');
      const length = headers['content-length'];
      const status = Number(m[1]);
      let left = -1;
      if (!chunked) {
        if (length !== undefined && /^\d+$/.test(length)) left = Number(length);
        else if (status === 204 || status === 304) left = 0;
        else throw new Error('the Runtime API sent a response without Content-Length');
      }
      res = this.#res = { status, headers, parts: [], left, chunked };
      this.#buf = buf.length > end + 4 ? buf.subarray(end + 4) : undefined;
    }
    if (res.chunked) this.#readChunks(res);
    else if (this.#buf !== undefined) {
      const buf = this.#buf;
      if (buf.length > res.left) throw new Error('the Runtime API sent more than its Content-Length');
      res.parts.push(buf);
      res.left -= buf.length;
      this.#buf = undefined;
    }
    if (res.left === 0) this.#complete(res);
  }

  // Chunked framing: `<hex size>[;ext]\r\n<data>\r\n` ... `0\r\n[trailers]\r\n`.
  #readChunks(res) {
    while (this.#buf !== undefined) {
      const buf = this.#buf;
      if (res.left > 0) {
        // Inside a chunk's data (res.left counts its bytes plus the CRLF after it).
        const take = Math.min(res.left, buf.length);
        const data = Math.min(take, res.left - 2);
        if (data > 0) res.parts.push(buf.subarray(0, data));
        res.left -= take;
        this.#buf = take < buf.length ? buf.subarray(take) : undefined;
        if (res.left === 0) res.left = -1;
        continue;
      }
      if (res.left === -2) {
        // After the last chunk: trailer lines until an empty one.
        const eol = buf.indexOf('\r\n');
        if (eol < 0) return;
        this.#buf = eol + 2 < buf.length ? buf.subarray(eol + 2) : undefined;
        if (eol === 0) {
          res.left = 0;
          return;
        }
        continue;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 1024) throw new Error('the Runtime API sent a malformed chunk size');
        return;
      }
      const size = buf.toString('latin1', 0, eol).split(';')[0].trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(size)) throw new Error('the Runtime API sent a malformed chunk size');
      this.#buf = eol + 2 < buf.length ? buf.subarray(eol + 2) : undefined;
      const n = parseInt(size, 16);
      res.left = n === 0 ? -2 : n + 2;
    }
  }

  #complete(res) {
    if (this.#buf !== undefined) throw new Error('the Runtime API sent more than one response');
    const pending = this.#pending;
    this.#pending = undefined;
    this.#res = undefined;
    this.#socket.unref();
    this.reused = true;
    const body = res.parts.length === 1 ? res.parts[0] : Buffer.concat(res.parts);
    if (/\bclose\b/i.test(res.headers.connection ?? '')) this.close();
    pending.resolve({ status: res.status, headers: res.headers, body });
  }
}
