import type { ServerResponse } from 'node:http';

/**
 * Writes a streamed body (an event stream) as it is produced: headers at once, then each piece as
 * a chunk, waiting for the socket to drain when the client reads slowly. A client that goes away
 * ends the producer (`return()` runs its cleanup); a producer that fails cuts the connection, the
 * only way left to say so once the status went out.
 */
export async function writeStream(res: ServerResponse, status: number, headers: Record<string, string>, body: AsyncIterable<Uint8Array>, logError: (err: unknown) => void): Promise<void> {
  res.writeHead(status, headers);
  // The headers go now, not with the first piece: the caller learns the invocation started.
  res.flushHeaders();
  const it = body[Symbol.asyncIterator]();
  let gone = false;
  let wake: (() => void) | undefined;
  res.on('close', () => {
    if (!res.writableFinished) gone = true;
    wake?.();
  });
  res.on('drain', () => wake?.());
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      if (gone) break;
      if (!res.write(next.value)) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      if (gone) break;
    }
    if (gone) await it.return?.(undefined);
    else res.end();
  } catch (err) {
    logError(err);
    res.destroy();
  }
}
