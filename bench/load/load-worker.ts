/**
 * A load generator process: runs one LoadJob at a time on request from the bench and replies with
 * its LoadResult. Separate processes keep the client's CPU off the server's cores.
 */
import '../lib/quiet-warnings.js';
import { Agent, request } from 'node:http';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { serveRequests } from '../lib/child.js';
import type { LoadJob, LoadResult, RawJob, SdkJob } from './load-job.js';

type Send = () => Promise<{ status: number; body: string }>;

function rawSender(job: RawJob): { send: Send; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency, keepAliveMsecs: 30_000 });
  const targets = (job.targets ?? [{ url: job.url, headers: job.headers }]).map((t) => ({ url: new URL(t.url), headers: t.headers }));
  const body = Buffer.from(job.body);
  let next = 0;
  const send: Send = () =>
    new Promise((resolve, reject) => {
      const { url, headers } = targets[next++ % targets.length]!;
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method: job.method, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

function sdkSender(job: SdkJob): { send: Send; close(): void } {
  const client = new LambdaClient({
    endpoint: job.endpoint,
    region: job.region,
    credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: job.concurrency }) }),
  });
  const payload = Buffer.from(job.payload);
  const send: Send = async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: job.functionName, Payload: payload, InvocationType: job.invocationType }));
    const body = out.Payload ? Buffer.from(out.Payload).toString() : '';
    return { status: out.FunctionError ? 599 : (out.StatusCode ?? 0), body };
  };
  return { send, close: () => client.destroy() };
}

async function run(job: LoadJob): Promise<LoadResult> {
  const sender = job.kind === 'raw' ? rawSender(job) : sdkSender(job);
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let sampleBody: string | undefined;
  const delay = job.startAt - Date.now();
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const t0 = performance.now();
  const counted = job.totalRequests !== undefined;
  const windowStart = counted ? t0 : t0 + job.warmupMs;
  const windowEnd = counted ? Number.POSITIVE_INFINITY : windowStart + job.durationMs;
  let issued = 0;
  let lastEnd = t0;
  // CPU is charged from the window's start (the warmup's cost is not the steady state's).
  let cpuAtStart = counted ? process.cpuUsage() : undefined;
  const cpuTimer = counted ? undefined : setTimeout(() => { cpuAtStart = process.cpuUsage(); }, job.warmupMs);
  const lane = async () => {
    for (;;) {
      const start = performance.now();
      if (counted ? issued >= job.totalRequests! : start >= windowEnd) return;
      issued++;
      let outcome: { status: number; body: string } | Error;
      try {
        outcome = await sender.send();
      } catch (err) {
        outcome = err as Error;
      }
      const end = performance.now();
      if (outcome instanceof Error || outcome.status !== job.expectStatus) {
        errors++;
        firstError ??= outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : `HTTP ${outcome.status}: ${outcome.body.slice(0, 300)}`;
        // A failing target is not hammered at full speed: errors are reported, not measured.
        if (errors > 100) return;
        continue;
      }
      sampleBody ??= outcome.body.slice(0, 300);
      // Throughput counts completions inside the window; their latencies are the window's.
      if (end >= windowStart && end <= windowEnd) {
        ok++;
        latencies.push(end - start);
        lastEnd = Math.max(lastEnd, end);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  clearTimeout(cpuTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  sender.close();
  const wallMs = counted ? lastEnd - t0 : job.durationMs;
  return { ok, errors, firstError, latenciesMs: latencies, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, sampleBody };
}

serveRequests(async (msg) => ({ result: await run(msg['job'] as LoadJob) }));
process.send!({ ready: { pid: process.pid } });
