import { signRequest } from '../load/sigv4-sign.js';
import type { RawJob, SdkJob } from '../load/load-job.js';
import type { FlintReady } from './flint-functions.js';

type Timing = Pick<RawJob, 'warmupMs' | 'durationMs'>;

/**
 * A raw Invoke request signed now (valid for Flint's ±15 min window), for the load generators to
 * replay: sign again for each measurement.
 */
export function signedInvokeJob(server: FlintReady, functionName: string, payload: string, timing: Timing, invocationType: 'RequestResponse' | 'Event' = 'RequestResponse'): Omit<RawJob, 'startAt' | 'concurrency' | 'totalRequests'> {
  const path = `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  const body = Buffer.from(payload);
  const headers = signRequest({
    method: 'POST',
    endpoint: server.endpoint,
    path,
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': invocationType },
    body,
    region: server.region,
    service: 'lambda',
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  return { kind: 'raw', url: server.endpoint + path, method: 'POST', headers, body: payload, expectStatus: invocationType === 'Event' ? 202 : 200, ...timing };
}

export function sdkInvokeJob(server: FlintReady, functionName: string, payload: string, timing: Timing): Omit<SdkJob, 'startAt' | 'concurrency' | 'totalRequests'> {
  return {
    kind: 'sdk',
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    functionName,
    payload,
    invocationType: 'RequestResponse',
    expectStatus: 200,
    ...timing,
  };
}
