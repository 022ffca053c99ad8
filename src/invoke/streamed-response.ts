import type { TimerClock } from '../ports/clock.js';

/**
 * Lambda's limits on a streamed response (checked in AWS's "Response streaming for Lambda
 * functions" page, docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html,
 * and the What's New post of 2025-07-31 "AWS Lambda response streaming now supports 200 MB
 * payloads", which raised the former 20 MB soft limit): up to 200 MB per response; the first
 * 6 MB stream uncapped, the rest at most 2 MB/s ("Bandwidth limits for response streaming").
 */
export interface StreamLimits {
  /** The largest streamed response: 200 MB. */
  maxBytes: number;
  /** Bytes sent before the bandwidth cap applies: the first 6 MB. */
  uncappedBytes: number;
  /** The cap after that: 2 MB/s. */
  bytesPerSecond: number;
}

const MB = 1024 * 1024;
export const LAMBDA_STREAM_LIMITS: StreamLimits = { maxBytes: 200 * MB, uncappedBytes: 6 * MB, bytesPerSecond: 2 * MB };

/** How a stream ended badly: the error type and message (InvokeComplete's ErrorCode and ErrorDetails). */
export interface StreamError {
  errorType: string;
  errorMessage: string;
}

/** Chunks queued before the runtime's upload is paused (backpressure toward the function). */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * One invocation's streamed response on its way from the runtime (Runtime API, `streaming`
 * response mode) to whoever reads it (InvokeWithResponseStream, a RESPONSE_STREAM function URL, or
 * a buffered Invoke that collects it). Chunks are handed on as they come, paced to Lambda's
 * bandwidth cap after the uncapped first bytes; a response over the maximum size ends with
 * `Function.ResponseSizeTooLarge`. The writer is paused while too much is queued.
 */
export class StreamedResponse {
  readonly contentType: string;
  readonly #limits: StreamLimits;
  readonly #clock: TimerClock;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #received = 0;
  #sent = 0;
  /** When the capped phase started (clock ms) and how many bytes had been sent then. */
  #capStart: { at: number; bytes: number } | undefined;
  #ended = false;
  #error: StreamError | undefined;
  #wake: (() => void) | undefined;
  #drain: (() => void) | undefined;
  #closed: (r: { bytes: number; error?: StreamError }) => void = () => {};
  /** Settles once the writer ended (or failed) the stream: bytes received, and the error if any. */
  readonly done: Promise<{ bytes: number; error?: StreamError }>;

  constructor(contentType: string, clock: TimerClock, limits: StreamLimits = LAMBDA_STREAM_LIMITS) {
    this.contentType = contentType;
    this.#clock = clock;
    this.#limits = limits;
    this.done = new Promise((r) => (this.#closed = r));
  }

  get bytes(): number {
    return this.#received;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Adds a chunk; false when the reader is behind and the writer should wait for `onDrain`. Chunks after the end are dropped. */
  write(chunk: Buffer): boolean {
    if (this.#ended || chunk.length === 0) return true;
    if (this.#received + chunk.length > this.#limits.maxBytes) {
      this.fail({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${this.#limits.maxBytes} bytes).` });
      return true;
    }
    this.#received += chunk.length;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#wakeReader();
    return this.#queued < HIGH_WATER_BYTES;
  }

  onDrain(fn: () => void): void {
    this.#drain = fn;
  }

  /** The writer finished. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closed({ bytes: this.#received });
    this.#wakeReader();
  }

  /** The stream ends with an error (a function error in the trailers, a timeout, a crash, the size limit). */
  fail(error: StreamError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#closed({ bytes: this.#received, error });
    this.#wakeReader();
  }

  get error(): StreamError | undefined {
    return this.#error;
  }

  /** The chunks as they become available (paced to the bandwidth cap); ends when the writer does. */
  async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        if (this.#queued < HIGH_WATER_BYTES) this.#releaseWriter();
        await this.#pace(chunk.length);
        this.#sent += chunk.length;
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** Everything the stream carried, for a caller that buffers (a plain Invoke of a streaming function). */
  async collect(limit: number): Promise<{ payload: Buffer; tooLarge: boolean }> {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const c of this.chunks()) {
      size += c.length;
      if (size > limit) tooLarge = true;
      else parts.push(c);
    }
    return { payload: Buffer.concat(parts), tooLarge };
  }

  /** Waits as long as Lambda's cap asks before `n` more bytes go out. */
  async #pace(n: number): Promise<void> {
    const { uncappedBytes, bytesPerSecond } = this.#limits;
    if (this.#sent + n <= uncappedBytes) return;
    const now = this.#clock.monotonic();
    this.#capStart ??= { at: now, bytes: Math.max(this.#sent, uncappedBytes) };
    const dueAt = this.#capStart.at + ((this.#sent + n - this.#capStart.bytes) / bytesPerSecond) * 1000;
    if (dueAt > now) await new Promise<void>((r) => this.#clock.setTimeout(r, dueAt - now));
  }

  #wakeReader(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #releaseWriter(): void {
    const d = this.#drain;
    this.#drain = undefined;
    d?.();
  }
}
