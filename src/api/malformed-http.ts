import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** An AWS-shaped refusal of a request that never reaches the front door's protocols. */
interface Refusal {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
}

/** How long a refused connection keeps draining what the client still sends before it is cut. */
const LINGER_MS = 2_000;
const ignore = (): void => {};

/**
 * Makes every HTTP-level failure an answer in the same shape as the front door's own errors.
 * Node answers a request it cannot parse (bad request line, a header line without a colon,
 * Content-Length with Transfer-Encoding, headers past `maxHeaderSize`, a bad chunk, a timeout),
 * an unknown `Expect`, and a missing Host with a bare status line, and drops CONNECT without a word.
 * AWS's front doors answer such requests with a body and a request id; so does this: a complete
 * HTTP/1.1 response with `x-amzn-RequestId`, `x-amzn-ErrorType`, a JSON `{"__type","message"}` body
 * (the error shape of the JSON protocols: no service is known yet to pick another), and
 * `connection: close`, since the connection's framing can no longer be trusted.
 *
 * Types, mirroring API Gateway (AWS's HTTP front door) where it has one:
 * - 400 BadRequestException: anything the HTTP parser refuses, and HTTP/1.1 without Host
 *   (RFC 9112 §3.2 requires the 400); the message says what the parser found.
 * - 431 RequestHeaderFieldsTooLargeException: request line and headers past the server's
 *   `maxHeaderSize` (16 KiB by default); 413 RequestEntityTooLargeException for chunk extensions.
 * - 408 RequestTimeoutException: headers or body not received within the server's timeouts.
 * - 417 ExpectationFailedException: an `Expect` other than 100-continue (RFC 9110 §10.1.1).
 * - 405 MethodNotAllowedException for CONNECT, with `Allow`: Flint is an origin server, not a
 *   proxy, and CONNECT names no resource of its own (RFC 9110 §15.5.6; 501 would read as a server
 *   fault, which this is not).
 *
 * Call it once the request listener is attached (ApiServer attaches its own in its constructor):
 * requests without Host are answered before that listener sees them.
 */
export function guardHttpServer(server: Server, opts: { requestId: () => string; log?: (line: string) => void }): void {
  const log = opts.log ?? ignore;
  const answered = new WeakSet<Duplex>();

  /** Writes the refusal straight to the socket, then closes it once the client has read it. */
  const refuseOnSocket = (socket: Duplex, r: Refusal): void => {
    socket.on('error', ignore);
    if (answered.has(socket)) return;
    answered.add(socket);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(r, opts.requestId()));
    // Keep reading (and discarding) until the client closes: closing with unread input would send a
    // reset that can overtake the answer (RFC 9112 §9.6); a client that never closes is cut later.
    socket.once('end', () => socket.destroy());
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };

  server.on('clientError', (err: ParserError, socket: Duplex) => {
    socket.on('error', ignore);
    if (answered.has(socket)) return; // The parser keeps failing on what arrives after our answer.
    const refusal = refusalFor(err, server);
    if (refusal === undefined) {
      socket.destroy();
      return;
    }
    log(`flint: refused malformed HTTP from ${remote(socket)}: ${err.code ?? 'error'} (${reasonOf(err)}) → ${refusal.status}`);
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && inFlight.req?.complete) {
      // The garbage follows a complete request (pipelining): that request keeps its answer, and the
      // refusal comes after it, in order.
      answered.add(socket);
      const after = (): void => { answered.delete(socket); refuseOnSocket(socket, refusal); };
      if (inFlight.writableFinished) after();
      else {
        inFlight.once('finish', after);
        inFlight.once('close', () => { if (!inFlight.writableFinished) socket.destroy(); });
      }
      return;
    }
    // The fault is in the request being answered: its answer cannot have begun, or the client would
    // read two responses for one request; if it has begun, all that is left is to cut the connection.
    if (inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    refuseOnSocket(socket, refusal);
  });

  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expect = String(req.headers.expect ?? '').slice(0, 100);
    refuseOnResponse(req, res, opts.requestId(), {
      status: 417,
      type: 'ExpectationFailedException',
      message: `Expect: '${expect}' is not supported; the only expectation Flint meets is 100-continue.`,
    });
  });

  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    log(`flint: refused CONNECT ${String(req.url).slice(0, 200)} from ${remote(socket)}`);
    refuseOnSocket(socket, {
      status: 405,
      type: 'MethodNotAllowedException',
      message: 'CONNECT is not supported: Flint is an AWS API endpoint, not a proxy.',
      headers: { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' },
    });
  });

  // Node answers an HTTP/1.1 request without Host with its own bare 400 before any listener runs;
  // take that check over so the 400 carries a body and a request id like every other refusal.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1) {
      refuseOnResponse(req, res, opts.requestId(), { status: 400, type: 'BadRequestException', message: 'An HTTP/1.1 request must carry a Host header.' });
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}

type ParserError = Error & { code?: string; reason?: string };

/** The answer to a parser or socket failure; undefined when there is nobody left to answer. */
function refusalFor(err: ParserError, server: Server): Refusal | undefined {
  const code = err.code ?? '';
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': {
      const max = (server as Server & { maxHeaderSize?: number }).maxHeaderSize ?? 16_384;
      return {
        status: 431,
        type: 'RequestHeaderFieldsTooLargeException',
        message: `The request line and headers must be smaller than ${max} bytes in total.`,
      };
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, type: 'RequestEntityTooLargeException', message: 'The chunk extensions of the request body are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, type: 'RequestTimeoutException', message: 'The request was not received in full in time.' };
    case 'HPE_INVALID_EOF_STATE':
      return { status: 400, type: 'BadRequestException', message: 'The HTTP request could not be parsed: the connection ended before the request was complete.' };
    default:
      // Other HPE_* codes are the parser's; anything else (ECONNRESET, EPIPE) is a socket gone.
      if (!code.startsWith('HPE_')) return undefined;
      return { status: 400, type: 'BadRequestException', message: `The HTTP request could not be parsed: ${reasonOf(err)}.` };
  }
}

/** llhttp's reason ("Transfer-Encoding can't be present with Content-Length"), without Node's prefix. */
function reasonOf(err: ParserError): string {
  const reason = err.reason ?? err.message.replace(/^Parse Error:\s*/, '');
  return reason.trim() === '' ? 'malformed request' : reason.replace(/\.$/, '');
}

function refuseOnResponse(req: IncomingMessage, res: ServerResponse, requestId: string, r: Refusal): void {
  req.resume();
  const body = JSON.stringify({ __type: r.type, message: r.message });
  res.writeHead(r.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': r.type,
    connection: 'close',
    ...(r.headers ?? {}),
  });
  res.end(body);
}

function rawResponse(r: Refusal, requestId: string): string {
  const body = JSON.stringify({ __type: r.type, message: r.message });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-RequestId': requestId,
    'x-amzn-ErrorType': r.type,
    date: new Date().toUTCString(),
    connection: 'close',
    ...(r.headers ?? {}),
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\n${head}\r\n${body}`;
}

function remote(socket: Duplex): string {
  return (socket as Duplex & { remoteAddress?: string }).remoteAddress ?? 'unknown';
}
