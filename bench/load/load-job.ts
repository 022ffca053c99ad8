/** What a load generator process is asked to do, and what it reports back. */

interface JobTiming {
  concurrency: number;
  /** Epoch ms at which every worker of a measurement starts together. */
  startAt: number;
  /** Requests before this much time has passed are not recorded (connections, JIT, environments). */
  warmupMs: number;
  /** Length of the measured window. */
  durationMs: number;
  /** When set, the worker sends exactly this many requests (no warmup, no window) and reports wall time. */
  totalRequests?: number;
  /** Status a successful response has (200 for RequestResponse, 202 for Event). */
  expectStatus: number;
}

/** Pre-signed (or unsigned) HTTP request replayed over keep-alive connections. */
export interface RawJob extends JobTiming {
  kind: 'raw';
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  /** Several front ends (cluster api nodes): requests go to these in turn instead of `url` (each signed for its own host). */
  targets?: Array<{ url: string; headers: Record<string, string> }>;
}

/** The same Invoke through `@aws-sdk/client-lambda` (signing, serialization and all). */
export interface SdkJob extends JobTiming {
  kind: 'sdk';
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  functionName: string;
  payload: string;
  invocationType: 'RequestResponse' | 'Event';
}

export type LoadJob = RawJob | SdkJob;

export interface LoadResult {
  /** Responses with the expected status completed inside the window (or all, for totalRequests). */
  ok: number;
  errors: number;
  /** First unexpected answer, for the skip/error note. */
  firstError?: string;
  /** Latency of each ok response started inside the window, ms. */
  latenciesMs: number[];
  /** The window (or, for totalRequests, first send → last answer) in ms. */
  wallMs: number;
  /** CPU ms this generator used during the window: near wallMs means the client, not the server, was the limit. */
  cpuMs: number;
  /** One response body, to check the right thing answered. */
  sampleBody?: string;
}
