import type { IncomingMessage } from 'node:http';

/** Where a streamed response goes (the invocation's StreamedResponse, src/invoke/streamed-response.ts). */
export interface ResponseSink {
  /** False when the reader is behind: the upload pauses until `onDrain`. */
  write(chunk: Buffer): boolean;
  onDrain(fn: () => void): void;
  end(): void;
  fail(error: { errorType: string; errorMessage: string }): void;
}

/** The Runtime API's header that turns POST /response into a stream (Lambda's custom-runtime streaming). */
export const RESPONSE_MODE_HEADER = 'lambda-runtime-function-response-mode';
const ERROR_TYPE_TRAILER = 'lambda-runtime-function-error-type';
const ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';

/** Whether a POST /response is a streamed one: `Lambda-Runtime-Function-Response-Mode: streaming`. */
export function isStreamingResponse(req: IncomingMessage): boolean {
  return String(req.headers[RESPONSE_MODE_HEADER] ?? '').toLowerCase() === 'streaming';
}

/**
 * A runtime's streamed POST /runtime/invocation/{id}/response (chunked transfer): its chunks are
 * held back (the request is paused) until the invocation attaches its sink, then handed on as they
 * arrive. A mid-stream failure comes as HTTP trailers, as Lambda's runtimes send it:
 * `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body` (base64 of the
 * `{errorType, errorMessage, stackTrace}` document).
 */
export class StreamingUpload {
  readonly contentType: string;
  readonly #req: IncomingMessage;
  readonly #finished: Promise<void>;
  #resolve!: () => void;

  constructor(req: IncomingMessage) {
    this.#req = req;
    this.contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
    this.#finished = new Promise((r) => (this.#resolve = r));
    req.pause();
  }

  /** Settles when the runtime's upload ended (either way): then the Runtime API answers it. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  pipeTo(sink: ResponseSink): void {
    const req = this.#req;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      if (!sink.write(chunk)) {
        req.pause();
        sink.onDrain(() => req.resume());
      }
    });
    req.on('end', () => {
      ended = true;
      const type = req.trailers[ERROR_TYPE_TRAILER];
      if (type !== undefined && type !== '') sink.fail({ errorType: type, errorMessage: errorMessageOf(req.trailers[ERROR_BODY_TRAILER]) ?? type });
      else sink.end();
      this.#resolve();
    });
    req.on('close', () => {
      if (!ended) sink.fail({ errorType: 'Runtime.ExitError', errorMessage: 'The runtime closed its response stream before ending it.' });
      this.#resolve();
    });
    req.resume();
  }

  /** Nobody takes the stream (the invocation is gone): read and drop it. */
  discard(): void {
    this.#req.on('end', () => this.#resolve()).on('close', () => this.#resolve());
    this.#req.resume();
  }
}

function errorMessageOf(b64: string | undefined): string | undefined {
  if (!b64) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { errorMessage?: unknown };
    return typeof doc.errorMessage === 'string' ? doc.errorMessage : undefined;
  } catch {
    return undefined;
  }
}
