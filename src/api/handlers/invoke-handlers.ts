import type { OperationHandlers } from '../api-server.js';
import type { SyncInvoker } from '../../ports/invoker.js';
import { checkPayloadJson } from '../../invoke/payload-json.js';
import { UnsupportedOperationException } from '../../domain/errors.js';
import { invokeRequestOf, traceHeaderOf } from './invoke-request-of.js';

/** The async (`Event`) side of Invoke: writes the event durably and returns its request id. */
export interface EventInvoker {
  enqueue(req: { functionName: string; qualifier?: string; payload: Buffer; clientContext?: string; requestId?: string; traceId?: string }): Promise<{ requestId: string }>;
}

const EMPTY = Buffer.alloc(0);

/**
 * Invoke and the deprecated InvokeAsync. The payload arrives as raw bytes with or without a
 * Content-Type (the CLI and boto3 send none); it must be JSON or empty. RequestResponse answers
 * 200 with the function's output, Event 202 and DryRun 204 with empty bodies.
 */
export function invokeHandlers(deps: { invoke: SyncInvoker; events?: EventInvoker }): OperationHandlers {
  const enqueue = (req: Parameters<EventInvoker['enqueue']>[0]) => {
    if (!deps.events) throw new UnsupportedOperationException('Asynchronous invocation is not available on this Flint server.');
    return deps.events.enqueue(req);
  };
  return {
    Invoke: async (input, ctx) => {
      const payload: Buffer = input.Payload ?? EMPTY;
      checkPayloadJson(payload);
      const type: string = input.InvocationType ?? 'RequestResponse';
      if (type === 'DryRun') {
        deps.invoke.dryRun(input.FunctionName, input.Qualifier);
        return { StatusCode: 204, Payload: EMPTY };
      }
      if (type === 'Event') {
        await enqueue({
          functionName: input.FunctionName,
          ...(input.Qualifier !== undefined ? { qualifier: input.Qualifier } : {}),
          payload,
          ...(input.ClientContext !== undefined ? { clientContext: input.ClientContext } : {}),
          // The queued invocation keeps the API request's id, so the 202's x-amzn-RequestId names it (as on AWS).
          requestId: ctx.requestId,
          ...traceHeaderOf(ctx.headers),
        });
        return { StatusCode: 202, Payload: EMPTY };
      }
      const r = await deps.invoke.invoke(invokeRequestOf(input, payload, ctx));
      return {
        StatusCode: r.statusCode,
        Payload: r.payload,
        ...(r.functionError ? { FunctionError: r.functionError } : {}),
        ...(r.logResult !== undefined ? { LogResult: r.logResult } : {}),
        ExecutedVersion: r.executedVersion,
      };
    },
    InvokeAsync: async (input, ctx) => {
      const payload: Buffer = input.InvokeArgs ?? EMPTY;
      checkPayloadJson(payload);
      await enqueue({ functionName: input.FunctionName, payload, requestId: ctx.requestId, ...traceHeaderOf(ctx.headers) });
      return { Status: 202 };
    },
  };
}
