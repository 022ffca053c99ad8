import type { InvokeRequest } from '../../ports/invoker.js';
import type { RequestContext } from '../request-context.js';

/** The caller's X-Ray header, passed on to the invocation (malformed ones are ignored further in, as Lambda does). */
export function traceHeaderOf(headers: Record<string, string | string[] | undefined> | undefined): { traceId: string } | Record<string, never> {
  const h = headers?.['x-amzn-trace-id'];
  const v = Array.isArray(h) ? h[0] : h;
  return v !== undefined && v !== '' ? { traceId: v } : {};
}

/**
 * The synchronous invocation an Invoke or InvokeWithResponseStream call asks for. It runs with the
 * API request's id, so x-amzn-RequestId names the invocation (as on AWS).
 */
export function invokeRequestOf(
  input: { FunctionName: string; Qualifier?: string; ClientContext?: string; LogType?: 'Tail' | 'None' },
  payload: Buffer,
  ctx: Pick<RequestContext, 'requestId' | 'headers'>,
): InvokeRequest {
  return {
    functionName: input.FunctionName,
    ...(input.Qualifier !== undefined ? { qualifier: input.Qualifier } : {}),
    payload,
    ...(input.ClientContext !== undefined ? { clientContext: input.ClientContext } : {}),
    ...(input.LogType !== undefined ? { logType: input.LogType } : {}),
    requestId: ctx.requestId,
    ...traceHeaderOf(ctx.headers),
  };
}
