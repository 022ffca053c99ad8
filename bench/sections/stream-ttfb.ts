import yazl from 'yazl';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import type { BenchOptions } from '../lib/options.js';
import { median, round } from '../lib/stats.js';
import { clientFor, deleteFunction, type FlintReady } from '../flint/flint-functions.js';

/*
 * Response streaming (issue 12, item 3): time to first byte against the whole response for a
 * streaming function writing 10 chunks 20 ms apart, read by SDK v3's InvokeWithResponseStream on a
 * warm environment. The function's own span is ~200 ms; a TTFB well under the total (the ratio)
 * is what streaming promises. Reported as notes (this section registers with one line in run.ts).
 */
const CHUNKS = 10;
const GAP_MS = 20;
const HANDLER = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  for (let i = 0; i < ${CHUNKS}; i++) { stream.write('chunk ' + i + '\\n'); await new Promise((r) => setTimeout(r, ${GAP_MS})); }
  stream.end();
});`;

async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), path, { mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function runStreamTtfb(deps: { opts: BenchOptions; flint: FlintReady }): Promise<string[]> {
  const { flint, opts } = deps;
  const client = clientFor(flint, 4);
  const name = `stream-ttfb-${Date.now().toString(36)}`;
  try {
    await client.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/lambda-role',
      Code: { ZipFile: await zipOf({ 'index.mjs': HANDLER }) }, MemorySize: 256, Timeout: 30,
    }));
    for (let i = 0; i < 1500; i++) {
      const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      if (c.State === 'Active') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ttfb: number[] = [];
    const total: number[] = [];
    const samples = opts.tiny ? 5 : 20;
    // The first call is the cold start: not counted.
    for (let i = 0; i <= samples; i++) {
      const t0 = performance.now();
      const r = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
      let first: number | undefined;
      let bytes = 0;
      for await (const e of r.EventStream!) {
        if (e.PayloadChunk?.Payload?.length) {
          first ??= performance.now() - t0;
          bytes += e.PayloadChunk.Payload.length;
        }
        if (e.InvokeComplete?.ErrorCode) throw new Error(`stream ended with ${e.InvokeComplete.ErrorCode}: ${e.InvokeComplete.ErrorDetails}`);
      }
      if (i === 0 || first === undefined || bytes === 0) continue;
      ttfb.push(first);
      total.push(performance.now() - t0);
    }
    const t = median(ttfb);
    const all = median(total);
    return [`response streaming (${flint.sandbox}, warm, ${CHUNKS} chunks ${GAP_MS} ms apart, SDK v3, n=${ttfb.length}): time to first byte p50 ${round(t, 1)} ms, whole response p50 ${round(all, 1)} ms, TTFB/total = ${round(t / all, 3)}`];
  } catch (err) {
    return [`response streaming: failed: ${(err as Error).message.slice(0, 200)}`];
  } finally {
    await deleteFunction(client, name);
    client.destroy();
  }
}
