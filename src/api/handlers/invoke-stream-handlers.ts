import type { OperationHandlers } from '../api-server.js';
import type { SyncInvoker } from '../../ports/invoker.js';
import type { InvokeResult, ResponseStream } from '../../ports/invoker.js';
import { checkPayloadJson } from '../../invoke/payload-json.js';
import { invokeRequestOf } from './invoke-request-of.js';
import { EVENT_STREAM_CONTENT_TYPE, eventFrame } from '../protocols/event-stream-frames.js';

const EMPTY = Buffer.alloc(0);

/**
 * InvokeWithResponseStream: the function's response as an event stream — `PayloadChunk` events
 * carrying the bytes as the function writes them, then one `InvokeComplete` with `ErrorCode` and
 * `ErrorDetails` when the invocation failed (a function error, a timeout, the size limit) and
 * `LogResult` for `LogType: Tail`. Errors before the function runs (not found, throttled, bad
 * payload) are ordinary error responses; once the stream began, the HTTP status is 200 and failures
 * travel in InvokeComplete. A function that does not stream answers in one PayloadChunk.
 */
export function invokeStreamHandlers(deps: { invoke: SyncInvoker }): OperationHandlers {
  return {
    InvokeWithResponseStream: async (input, ctx) => {
      const payload: Buffer = input.Payload ?? EMPTY;
      checkPayloadJson(payload);
      if (input.InvocationType === 'DryRun') {
        deps.invoke.dryRun(input.FunctionName, input.Qualifier);
        return { StatusCode: 204 };
      }
      let started!: (s: { stream: ResponseStream; executedVersion: string }) => void;
      const streamStarted = new Promise<{ stream: ResponseStream; executedVersion: string }>((r) => (started = r));
      const invoking = deps.invoke.invoke({
        ...invokeRequestOf(input, payload, ctx),
        onStream: (stream, meta) => started({ stream, executedVersion: meta.executedVersion }),
      });
      // Observed here too: a stream whose reader left must not leave the invocation's failure unhandled.
      invoking.catch(() => {});
      // Whichever comes first: the stream's start (200 and events), or the invocation's end (a
      // function that replied without streaming, or an error that becomes the API's answer).
      const first = await Promise.race([streamStarted, invoking.then((result) => ({ result }))]);
      const executedVersion = 'result' in first ? first.result.executedVersion : first.executedVersion;
      return {
        StatusCode: 200,
        ExecutedVersion: executedVersion,
        ResponseStreamContentType: EVENT_STREAM_CONTENT_TYPE,
        EventStream: events('result' in first ? undefined : first.stream, invoking),
      };
    },
  };
}

async function* events(stream: ResponseStream | undefined, invoking: Promise<InvokeResult>): AsyncGenerator<Uint8Array> {
  if (stream) {
    let read = false;
    try {
      for await (const chunk of stream.chunks()) yield eventFrame('PayloadChunk', 'application/octet-stream', chunk);
      read = true;
    } finally {
      // The caller went away mid-stream: the rest is read and dropped, so the function is not held up by a full pipe.
      if (!read) void drain(stream);
    }
  }
  const result = await invoking;
  if (!stream && result.payload.length > 0 && !result.functionError) yield eventFrame('PayloadChunk', 'application/octet-stream', result.payload);
  const failure = stream?.error ?? (result.functionError ? errorOf(result.payload) : undefined);
  const complete: Record<string, string> = {};
  if (failure) {
    complete['ErrorCode'] = failure.errorType;
    complete['ErrorDetails'] = failure.errorMessage;
  }
  if (result.logResult !== undefined) complete['LogResult'] = result.logResult;
  yield eventFrame('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete)));
}

/** A buffered function error body `{errorType, errorMessage}` as InvokeComplete's code and details. */
function errorOf(payload: Buffer): { errorType: string; errorMessage: string } {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown };
    return { errorType: typeof doc.errorType === 'string' ? doc.errorType : 'Unhandled', errorMessage: typeof doc.errorMessage === 'string' ? doc.errorMessage : payload.toString('utf8') };
  } catch {
    return { errorType: 'Unhandled', errorMessage: payload.toString('utf8') };
  }
}

async function drain(stream: ResponseStream): Promise<void> {
  for await (const _ of stream.chunks()) {
    // dropped
  }
}
