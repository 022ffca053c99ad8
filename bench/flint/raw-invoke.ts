import { Agent, request } from 'node:http';
import { signedInvokeJob } from './invoke-request.js';
import type { FlintReady } from './flint-functions.js';

export interface InvokeOutcome {
  status: number;
  body: string;
  ms: number;
  /** `Init Duration` from the REPORT line of the Tail log, when the start was cold. */
  initDurationMs?: number;
  functionError?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One signed Invoke over a keep-alive connection, timed from send to the last byte (signing excluded). */
export function timedInvoke(server: FlintReady, functionName: string, payload: string): Promise<InvokeOutcome> {
  const job = signedInvokeJob(server, functionName, payload, { warmupMs: 0, durationMs: 0 });
  const url = new URL(job.url);
  const headers = { ...job.headers, 'x-amz-log-type': 'Tail' };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        const log = res.headers['x-amz-log-result'];
        const tail = typeof log === 'string' ? Buffer.from(log, 'base64').toString() : '';
        const init = /Init Duration: ([\d.]+) ms/.exec(tail);
        const fe = res.headers['x-amz-function-error'];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          ms,
          initDurationMs: init ? Number(init[1]) : undefined,
          functionError: typeof fe === 'string' ? fe : undefined,
        });
      });
    });
    req.on('error', reject);
    req.end(job.body);
  });
}

export function closeRawInvokes(): void {
  agent.destroy();
}
