import type { IncomingMessage, ServerResponse } from 'node:http';

const EMPTY = Buffer.alloc(0);

/**
 * How much of an oversized body is read and thrown away, past the limit, before the error is sent.
 * Clients (the SDKs' Node and Python HTTP stacks, the AWS CLI) write the whole body before they
 * read the answer: an answer followed by a closed socket reaches them as `write EPIPE` / `Broken
 * pipe`, never as the 413 AWS sends. Draining lets them finish writing and read the error on a
 * connection that stays usable; the bounds keep a client from holding the server reading forever.
 */
export const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
export const DRAIN_LIMIT_MS = 10_000;

export interface DrainBounds {
  bytes: number;
  ms: number;
}
const DRAIN_BOUNDS: DrainBounds = { bytes: DRAIN_LIMIT_BYTES, ms: DRAIN_LIMIT_MS };

/**
 * Reads the whole body, or returns undefined when it passes `limit` bytes — once the rest has been
 * drained unread (bounded by DRAIN_LIMIT_BYTES and DRAIN_LIMIT_MS). When the drain stopped short,
 * `req.complete` is false and the caller answers with `connection: close` (see `mustClose`).
 * The front door and function URLs share it.
 */
export function readBody(req: IncomingMessage, limit: number, bounds: DrainBounds = DRAIN_BOUNDS): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return drain(req, declared > limit + bounds.bytes ? 0 : bounds.bytes, bounds.ms);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        req.off('data', onData).off('end', onEnd).off('error', reject);
        drain(req, bounds.bytes - (size - limit), bounds.ms).then(resolve);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/**
 * True when nobody is left to answer: the response's socket is gone, or the request was cut off
 * before its end (reset, aborted upload). Not `req.destroyed` alone: Node 20 destroys every
 * request once its body was read to the end, and a failure after that still gets its 500.
 */
export function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  return res.destroyed || (req.destroyed && !req.complete);
}

/** True when the request was not read to its end (an undrained oversized body): the answer must close the connection. */
export function mustClose(req: IncomingMessage): boolean {
  return !req.complete;
}

/** Reads and discards the rest of `req` (at most `budget` bytes, at most `ms`), then resolves undefined. */
function drain(req: IncomingMessage, budget: number, ms: number): Promise<undefined> {
  if (req.complete || budget <= 0) {
    // Still flowing, so Node keeps discarding what arrives until the connection closes.
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    let left = budget;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData).off('end', done).off('close', done).off('error', done);
      req.resume();
      resolve(undefined);
    };
    const onData = (c: Buffer) => {
      left -= c.length;
      if (left < 0) done();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    req.on('data', onData).on('end', done).on('close', done).on('error', done);
    req.resume();
  });
}
