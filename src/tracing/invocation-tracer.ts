import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { InvocationTracing, TracedInvocation, TracedOutcome, TraceStart } from '../ports/invocation-tracing.js';
import { formatTraceHeader, newTraceRoot, parseTraceHeader } from '../domain/trace-header.js';
import { lambdaSegments } from './lambda-segments.js';
import type { TraceRecorder } from './trace-recorder.js';
import type { TraceSampler } from './trace-sampler.js';

/** Random hex drawn from the system in blocks rather than per id. */
class HexPool {
  readonly #buf = Buffer.alloc(4096);
  #at = this.#buf.length;

  take(bytes: number): string {
    if (this.#at + bytes > this.#buf.length) {
      randomBytes(this.#buf.length).copy(this.#buf);
      this.#at = 0;
    }
    return this.#buf.toString('hex', this.#at, (this.#at += bytes));
  }
}

const NOOP = () => {};

/**
 * Lambda's side of X-Ray for one invocation. The sampling decision follows TracingConfig:
 * a header's `Sampled=1|0` is respected in either mode; without one, an Active function asks the
 * sampler and a PassThrough function does not trace (Lambda: "PassThrough: only trace the request
 * from an upstream service if it contains a tracing header with Sampled=1"). A header without a
 * valid Root is ignored, as Lambda does. The runtime always gets a header; when the invocation is
 * sampled its Parent is the function segment, so segments the function sends (X-Ray SDK) nest
 * under it.
 */
export class InvocationTracer implements InvocationTracing {
  readonly #clock: Clock;
  readonly #sampler: TraceSampler;
  readonly #recorder: TraceRecorder;
  readonly #hex = new HexPool();

  constructor(deps: { clock: Clock; sampler: TraceSampler; recorder: TraceRecorder }) {
    this.#clock = deps.clock;
    this.#sampler = deps.sampler;
    this.#recorder = deps.recorder;
  }

  begin(start: TraceStart): TracedInvocation {
    const now = this.#clock.now();
    const incoming = parseTraceHeader(start.header);
    const sampled = incoming?.sampled ?? (start.mode === 'Active' ? this.#sampler.sample() : false);
    const root = incoming?.root ?? newTraceRoot(now, this.#hex.take(12));
    const carried = { ...(incoming?.lineage !== undefined ? { lineage: incoming.lineage } : {}), extra: incoming?.extra ?? [] };
    if (!sampled) {
      return { header: formatTraceHeader({ root, parent: incoming?.parent ?? this.#hex.take(8), sampled: false, ...carried }), sampled: false, finish: NOOP };
    }
    const serviceSegmentId = this.#hex.take(8);
    const functionSegmentId = this.#hex.take(8);
    const receivedAt = start.async && start.enqueuedAt !== undefined ? start.enqueuedAt : now;
    return {
      header: formatTraceHeader({ root, parent: functionSegmentId, sampled: true, ...carried }),
      sampled: true,
      finish: (outcome: TracedOutcome) => {
        const docs = lambdaSegments(
          {
            traceId: root,
            ...(incoming?.parent !== undefined ? { parentId: incoming.parent } : {}),
            serviceSegmentId,
            functionSegmentId,
            functionName: start.functionName,
            functionArn: start.functionArn,
            version: start.version,
            accountId: start.functionArn.split(':')[4] ?? '',
            requestId: start.requestId,
            receivedAt,
            startedAt: now,
            endedAt: this.#clock.now(),
            async: start.async,
            newId: () => this.#hex.take(8),
          },
          outcome,
        );
        this.#recorder.record(docs);
      },
    };
  }
}
