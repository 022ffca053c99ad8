/**
 * The durable queue behind asynchronous (`Event`) invocation. Lambda answers 202 only after the
 * event is in its internal queue; pollers then lease events, invoke the function and acknowledge
 * only when the event is finished (at-least-once: a lease that is never acknowledged expires and
 * the event is delivered again, e.g. after a crash).
 *
 * Every method is async so the same port fits a networked store (PostgreSQL) in a cluster.
 */

/** What the queue keeps of the last attempt, for the record sent to a destination when the event is dropped. */
export interface AttemptOutcome {
  /** 200 when the function ran (even with a function error); the error's HTTP status otherwise (429, 500, ...). */
  statusCode: number;
  executedVersion?: string;
  /** 'Unhandled' / 'Handled' when the function ran and failed. */
  functionError?: string;
  /** Base64 of the function's response (or of the error body) — kept as text so it survives JSON. */
  payloadBase64?: string;
  /** The service error type when the function did not run (TooManyRequestsException, ...). */
  errorType?: string;
  errorMessage?: string;
}

/** Why an event was put on the queue; decides nothing, but tells log lines apart. */
export type EventOrigin = 'invoke' | 'destination' | 'dead-letter';

export interface NewQueuedEvent {
  /** The request id returned with the 202; the invocation runs with the same id. */
  requestId: string;
  functionName: string;
  /** `$LATEST`, a version number or an alias name — resolved to a version when the event runs. */
  qualifier: string;
  payload: Buffer;
  /** Base64 JSON ClientContext, passed through to the invocation. */
  clientContext?: string;
  traceId?: string;
  origin: EventOrigin;
  /** Epoch ms when the event was accepted (its age counts from here). */
  enqueuedAt: number;
}

export interface QueuedEvent extends NewQueuedEvent {
  /** Invocations that ran the function (success or function error); these use up MaximumRetryAttempts. */
  attempts: number;
  /** Throttle / system-error retries so far (backoff exponent; they do not use up retry attempts). */
  systemRetries: number;
  /** Times the event has been leased, including leases that expired (a re-delivery after a crash). */
  deliveries: number;
  lastOutcome?: AttemptOutcome;
}

export interface LeasedEvent {
  event: QueuedEvent;
  /** Proves ownership of the lease: ack / reschedule / extend with a stale token do nothing. */
  leaseToken: string;
  /** Epoch ms when the lease expires and the event becomes visible again. */
  leaseUntil: number;
}

export interface RescheduleUpdate {
  /** Epoch ms when the event may be leased again. */
  visibleAt: number;
  attempts: number;
  systemRetries: number;
  lastOutcome?: AttemptOutcome;
}

export interface EventQueueStats {
  /** Ready to be leased now (including events whose lease expired). */
  ready: number;
  /** Waiting for a retry delay to pass. */
  delayed: number;
  /** Leased and not yet acknowledged or expired. */
  inFlight: number;
}

export interface EventQueue {
  /** Resolves once the event is durably committed (the 202 may be sent then, not before). */
  enqueue(event: NewQueuedEvent): Promise<{ requestId: string }>;
  /** Leases up to `max` visible events, oldest-due first; each stays invisible for `visibilityMs`. */
  lease(opts: { max: number; visibilityMs: number }): Promise<LeasedEvent[]>;
  /** Pushes the expiry of still-held leases (a heartbeat while invocations run); returns how many were extended. */
  extend(leases: ReadonlyArray<Pick<LeasedEvent, 'event' | 'leaseToken'>>, visibilityMs: number): Promise<number>;
  /**
   * Finishes an event: deletes it and, in the same transaction, enqueues its follow-ups (destination
   * and dead-letter deliveries), so a crash can neither lose them nor duplicate them. False when the
   * lease was lost (expired and taken by another poller): nothing changes then.
   */
  ack(lease: LeasedEvent, followUps?: ReadonlyArray<NewQueuedEvent>): Promise<boolean>;
  /** Releases the lease and makes the event visible again at `update.visibleAt` (a retry). */
  reschedule(lease: LeasedEvent, update: RescheduleUpdate): Promise<boolean>;
  stats(): Promise<EventQueueStats>;
  /** Epoch ms of the earliest moment any event becomes visible (undefined when the queue is empty). */
  nextVisibleAt(): Promise<number | undefined>;
  close(): void;
}
