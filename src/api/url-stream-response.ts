import type { ServerResponse } from 'node:http';
import type { InvokeResult, ResponseStream } from '../ports/invoker.js';

/** The Content-Type `awslambda.HttpResponseStream.from` sets: the body starts with a JSON prelude. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** The prelude ends with 8 NUL bytes; it must come within the first 16 KB (as API Gateway documents for the same format). */
const DELIMITER = Buffer.alloc(8);
const MAX_PRELUDE_BYTES = 16 * 1024;

interface Prelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

/**
 * A RESPONSE_STREAM function URL's answer to a streaming function: the status, headers and cookies
 * from the HttpResponseStream prelude (else 200 with the stream's Content-Type), then the body as
 * the function writes it, chunked. A failure before any byte is the URL's 502; after, the
 * connection is cut (the status went out already, as on Lambda).
 */
export async function writeUrlStream(res: ServerResponse, stream: ResponseStream, base: Record<string, string | string[]>, finish: (headers: Record<string, string | string[]>) => void, head: boolean, fail502: () => void): Promise<void> {
  const it = stream.chunks()[Symbol.asyncIterator]();
  let pending: Buffer | undefined;
  let prelude: Prelude = { statusCode: 200, headers: { 'content-type': stream.contentType }, cookies: [] };
  if (stream.contentType === HTTP_INTEGRATION_CONTENT_TYPE) {
    let acc = Buffer.alloc(0);
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      acc = Buffer.concat([acc, next.value]);
      const at = acc.indexOf(DELIMITER);
      if (at >= 0) {
        prelude = parsePrelude(acc.subarray(0, at));
        pending = acc.subarray(at + DELIMITER.length);
        break;
      }
      if (acc.length > MAX_PRELUDE_BYTES) break;
    }
    if (pending === undefined) {
      void drain(it);
      return fail502();
    }
  } else {
    const next = await it.next();
    if (!next.done) pending = next.value;
  }
  if (pending === undefined && stream.error) return fail502();
  const headers: Record<string, string | string[]> = { ...lowerKeys(prelude.headers), ...base };
  if (prelude.cookies.length > 0) headers['set-cookie'] = prelude.cookies;
  finish(headers);
  res.writeHead(prelude.statusCode, headers);
  res.flushHeaders();
  let gone = false;
  res.on('close', () => { if (!res.writableFinished) gone = true; });
  if (pending !== undefined && pending.length > 0 && !head) res.write(pending);
  for (;;) {
    const next = await it.next();
    if (next.done) break;
    if (gone) continue;
    if (!head && !res.write(next.value)) await new Promise<void>((r) => { const w = () => { res.off('close', w); res.off('drain', w); r(); }; res.on('drain', w); res.on('close', w); });
  }
  if (stream.error) res.destroy();
  else res.end();
}

/** A URL in RESPONSE_STREAM mode started an invocation: the stream's start, or the whole (unstreamed) result. */
export function firstOf(invoking: Promise<InvokeResult>, started: Promise<ResponseStream>): Promise<{ stream: ResponseStream } | { result: InvokeResult }> {
  return Promise.race([started.then((stream) => ({ stream })), invoking.then((result) => ({ result }))]);
}

function parsePrelude(bytes: Buffer): Prelude {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { statusCode?: unknown; headers?: unknown; cookies?: unknown };
    const headers: Record<string, string> = {};
    if (doc.headers && typeof doc.headers === 'object') for (const [k, v] of Object.entries(doc.headers)) headers[k] = String(v);
    return {
      statusCode: typeof doc.statusCode === 'number' ? doc.statusCode : 200,
      headers,
      cookies: Array.isArray(doc.cookies) ? doc.cookies.map(String) : [],
    };
  } catch {
    return { statusCode: 200, headers: {}, cookies: [] };
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}

async function drain(it: AsyncIterator<Buffer>): Promise<void> {
  for (;;) if ((await it.next()).done) return;
}
