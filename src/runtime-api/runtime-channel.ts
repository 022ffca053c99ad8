import type { StreamingUpload } from './streaming-upload.js';

/**
 * One execution environment's side of the Lambda Runtime API (2018-06-01), without HTTP: the
 * protocol state of the runtime and the hand-over of invocations to it.
 *
 * The runtime's states and their names follow AWS's runtime emulator (rapid): a call the current
 * state does not allow is refused with 403 `InvalidStateTransition` ("State transition from X to Y
 * failed for runtime. Error: State transition is not allowed"), a response for a request id that is
 * not the one in flight with 400 `InvalidRequestID`. Requests are validated before any transition,
 * so a refused call changes nothing.
 */

/** The largest response or error a runtime may post: 6 MB + 100 bytes (rapid's MaxPayloadSize). */
export const MAX_RUNTIME_PAYLOAD_BYTES = 6_291_556;

export type RuntimeState =
  /** A pre-initialized runtime ("stem cell") waiting in Flint's GET /flint/bind for its function. */
  | 'Unbound'
  /** Process launched; the runtime has not called /next yet (it is initializing). */
  | 'Started'
  /** The runtime posted /init/error. */
  | 'InitError'
  /** The runtime waits in /next with nothing to run. */
  | 'Ready'
  /** An invocation was handed out; /response or /error is expected. */
  | 'Running'
  /** The reply for the invocation was taken; the runtime's next call is /next. */
  | 'RuntimeResponseSentState'
  /** The environment is going away: every call is refused. */
  | 'Closed';

/** What the runtime receives from GET /runtime/invocation/next. */
export interface InvocationEvent {
  requestId: string;
  payload: Buffer;
  /** Epoch ms (Lambda-Runtime-Deadline-Ms). */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
  /** JSON text (already decoded from the API's base64), Lambda-Runtime-Client-Context. */
  clientContext?: string;
  /** JSON text, Lambda-Runtime-Cognito-Identity. */
  cognitoIdentity?: string;
}

/** How the runtime answered an invocation. */
export type RuntimeReply =
  | { kind: 'response'; payload: Buffer }
  /** A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`): its chunks follow. */
  | { kind: 'stream'; upload: StreamingUpload }
  /** `errorType` from Lambda-Runtime-Function-Error-Type when sent (aws-lambda-ric does not send it). */
  | { kind: 'error'; payload: Buffer; errorType?: string }
  /** The runtime's response exceeded MAX_RUNTIME_PAYLOAD_BYTES. */
  | { kind: 'too-large' };

export interface InitFailure {
  errorType?: string;
  payload: Buffer;
}

/** A protocol refusal, rendered by the HTTP layer as `{errorMessage, errorType}` with `status`. */
export class RuntimeApiRefusal extends Error {
  readonly status: number;
  readonly errorType: string;

  constructor(status: number, errorType: string, message: string) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }
}

/** A pending GET /next: the HTTP layer answers it with the event once one is dispatched. */
export interface NextWaiter {
  deliver(event: InvocationEvent): void;
  /** True once the runtime's connection went away (the waiter can be replaced). */
  readonly closed: boolean;
}

/** A pending GET /2018-06-01/flint/bind of a pre-initialized runtime. */
export interface BindWaiter {
  /** Answers with the bind document (JSON: the function's environment, task root, /opt). */
  deliver(doc: Buffer): void;
  readonly closed: boolean;
}

export interface RuntimeChannelListener {
  /** An unbound runtime is waiting for its function (its own start is done). */
  bindWaiting?(): void;
  /** The runtime called /next for the first time: initialization is complete. */
  initDone(): void;
  initError(failure: InitFailure): void;
  /** The reply to the invocation in flight. */
  reply(requestId: string, reply: RuntimeReply): void;
  /** After a reply, the runtime is back in /next and can take the next invocation. */
  ready(): void;
}

const NOT_ALLOWED = 'State transition is not allowed';

export class RuntimeChannel {
  #state: RuntimeState;
  #waiter: NextWaiter | undefined;
  #inFlight: InvocationEvent | undefined;
  #listener: RuntimeChannelListener;
  #bindWaiter: BindWaiter | undefined;
  #bindDoc: Buffer | undefined;

  /** `unbound`: the runtime first asks Flint's /flint/bind for its function (a pre-initialized runtime). */
  constructor(listener: RuntimeChannelListener, opts: { unbound?: boolean } = {}) {
    this.#listener = listener;
    this.#state = opts.unbound ? 'Unbound' : 'Started';
  }

  /** Hands the protocol's events to another listener (a pre-initialized runtime joining its environment). */
  attach(listener: RuntimeChannelListener): void {
    this.#listener = listener;
  }

  /** Flint's GET /2018-06-01/flint/bind: only an unbound runtime may ask, once. */
  awaitBind(waiter: BindWaiter): void {
    if (this.#state !== 'Unbound' || (this.#bindWaiter && !this.#bindWaiter.closed)) this.#refuse('Bind');
    if (this.#bindDoc) {
      const doc = this.#bindDoc;
      this.#bindDoc = undefined;
      this.#state = 'Started';
      return waiter.deliver(doc);
    }
    this.#bindWaiter = waiter;
    this.#listener.bindWaiting?.();
  }

  /** Whether an unbound runtime is waiting in /flint/bind on a live connection. */
  get bindWaiting(): boolean {
    return this.#state === 'Unbound' && this.#bindWaiter !== undefined && !this.#bindWaiter.closed;
  }

  /** Binds an unbound runtime: its init starts now (delivered at once, or when it asks). */
  bind(doc: Buffer): void {
    if (this.#state !== 'Unbound') throw new Error(`runtime channel: cannot bind in state ${this.#state}`);
    const waiter = this.#bindWaiter;
    this.#bindWaiter = undefined;
    if (waiter && !waiter.closed) {
      this.#state = 'Started';
      waiter.deliver(doc);
    } else {
      this.#bindDoc = doc;
    }
  }

  get state(): RuntimeState {
    return this.#state;
  }

  /** The request id currently handed to the runtime, if any. */
  get inFlightRequestId(): string | undefined {
    return this.#inFlight?.requestId;
  }

  /** GET /runtime/invocation/next. */
  next(waiter: NextWaiter): void {
    const s = this.#state;
    if (s === 'Ready' && this.#waiter && !this.#waiter.closed) this.#refuse('Ready');
    if (s !== 'Started' && s !== 'RuntimeResponseSentState' && s !== 'Ready') this.#refuse('Ready');
    this.#waiter = waiter;
    this.#state = 'Ready';
    if (s === 'Started') this.#listener.initDone();
    else if (s === 'RuntimeResponseSentState') this.#listener.ready();
  }

  /** POST /runtime/invocation/{id}/response (`payload` undefined when it was over the limit). */
  response(requestId: string, payload: Buffer | undefined): void {
    this.#checkReply(requestId, 'InvocationResponse');
    this.#finish(requestId, payload === undefined ? { kind: 'too-large' } : { kind: 'response', payload });
  }

  /** POST /runtime/invocation/{id}/response in streaming mode: the reply is the stream, whose chunks follow. */
  streamResponse(requestId: string, upload: StreamingUpload): void {
    this.#checkReply(requestId, 'InvocationResponse');
    this.#finish(requestId, { kind: 'stream', upload });
  }

  /** POST /runtime/invocation/{id}/error. */
  error(requestId: string, payload: Buffer, errorType: string | undefined): void {
    this.#checkReply(requestId, 'InvocationErrorResponse');
    this.#finish(requestId, { kind: 'error', payload, ...(errorType ? { errorType } : {}) });
  }

  /** POST /runtime/init/error: only while initializing. */
  initError(payload: Buffer, errorType: string | undefined): void {
    if (this.#state !== 'Started') this.#refuse('InitError');
    this.#state = 'InitError';
    this.#listener.initError({ payload, ...(errorType ? { errorType } : {}) });
  }

  /** Hands an invocation to the runtime waiting in /next. */
  dispatch(event: InvocationEvent): void {
    const waiter = this.#waiter;
    if (this.#state !== 'Ready' || !waiter || waiter.closed) {
      throw new Error(`runtime channel: cannot dispatch in state ${this.#state}${waiter?.closed ? ' (the runtime left /next)' : ''}`);
    }
    this.#waiter = undefined;
    this.#inFlight = event;
    this.#state = 'Running';
    waiter.deliver(event);
  }

  /** Whether the runtime is waiting in /next on a live connection. */
  get waiting(): boolean {
    return this.#state === 'Ready' && this.#waiter !== undefined && !this.#waiter.closed;
  }

  close(): void {
    this.#state = 'Closed';
    this.#waiter = undefined;
    this.#bindWaiter = undefined;
    this.#bindDoc = undefined;
    this.#inFlight = undefined;
  }

  #checkReply(requestId: string, to: string): void {
    if (this.#state !== 'Running') this.#refuse(to);
    if (this.#inFlight?.requestId !== requestId) throw new RuntimeApiRefusal(400, 'InvalidRequestID', 'Invalid request ID');
  }

  #finish(requestId: string, reply: RuntimeReply): void {
    this.#inFlight = undefined;
    this.#state = 'RuntimeResponseSentState';
    this.#listener.reply(requestId, reply);
  }

  #refuse(to: string): never {
    throw new RuntimeApiRefusal(403, 'InvalidStateTransition', `State transition from ${this.#state} to ${to} failed for runtime. Error: ${NOT_ALLOWED}`);
  }
}
