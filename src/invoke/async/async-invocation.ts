import type { Clock } from '../../ports/clock.js';
import type { EventQueue } from '../../ports/event-queue.js';
import type { Invoker } from '../../ports/invoker.js';
import type { FunctionReadModel } from '../../ports/function-read-model.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import { StoredFunctionReadModel } from '../../control/stored-function-read-model.js';
import type { AsyncEventMetrics } from '../../ports/metrics.js';
import type { Arns } from '../../domain/function-name.js';
import type { InvocationTargets } from '../invoke-service.js';
import { AsyncFunctionLookup } from './async-function-lookup.js';
import { AsyncEventHandler, type AsyncLog } from './async-event-handler.js';
import { AsyncInvoker } from './async-invoker.js';
import { AsyncPollerPool, type AsyncPollerOptions } from './async-poller-pool.js';
import { DEFAULT_DELIVERY_LIMIT } from './delivery-limit.js';
import { DestinationRouter } from './destination-router.js';
import type { MessageQueues } from '../../ports/message-queues.js';
import type { CpuSignals } from '../../ports/cpu-signals.js';

export const DEFAULT_ASYNC_POLLER_OPTIONS: Omit<AsyncPollerOptions, 'pollers'> = {
  batchSize: 10,
  visibilityMs: 30_000,
  idlePollMs: 1_000,
  stopGraceMs: 2_000,
  // Above ~1,000 accepted events/s the API side needs the CPU (a server delivers a few hundred
  // per second): deliveries drop to one in flight for the whole server until the burst ends (each
  // delivery runs the function on the same core the API side needs).
  burstRatePerSec: 1_000,
  burstBatchSize: 1,
  burstInFlight: 1,
  adaptive: DEFAULT_DELIVERY_LIMIT,
};

export interface AsyncInvocation {
  /** What the Invoke API calls for `X-Amz-Invocation-Type: Event`. */
  invoker: AsyncInvoker;
  pollers: AsyncPollerPool;
}

/** Builds the async path: enqueue side, pollers, retry handling and destinations, over one queue. */
export function createAsyncInvocation(deps: {
  queue: EventQueue;
  store: MetadataStore;
  /** How functions, versions and their async configs are read (the data plane's read model); over `store` when not given. */
  functions?: FunctionReadModel;
  /** Resolves FunctionName + Qualifier like the sync Invoke (FunctionService). */
  targets: InvocationTargets;
  invoker: Invoker;
  arns: Arns;
  clock: Clock;
  uuid: () => string;
  log: AsyncLog;
  /** config.asyncRetryScale: multiplies every retry delay and the maximum event age. */
  timeScale: number;
  options: Partial<AsyncPollerOptions> & Pick<AsyncPollerOptions, 'pollers'>;
  /** CloudWatch's async metrics (AsyncEventsReceived, AsyncEventAge, …). */
  metrics?: AsyncEventMetrics;
  /** SQS-compatible queues, for destinations and dead-letter targets that name a queue. */
  queues?: MessageQueues;
  /** The host's CPU signal: adaptive deliveries come down only on saturated CPUs (none: never). */
  cpu?: CpuSignals;
}): AsyncInvocation {
  const lookup = new AsyncFunctionLookup(deps.functions ?? new StoredFunctionReadModel(deps.store));
  const router = new DestinationRouter({ lookup, region: deps.arns.region, uuid: deps.uuid, ...(deps.queues ? { queues: deps.queues } : {}) });
  const handler = new AsyncEventHandler({
    queue: deps.queue,
    invoker: deps.invoker,
    lookup,
    router,
    arns: deps.arns,
    clock: deps.clock,
    timeScale: deps.timeScale,
    log: deps.log,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const pollers = new AsyncPollerPool({
    queue: deps.queue,
    handler,
    clock: deps.clock,
    log: deps.log,
    options: { ...DEFAULT_ASYNC_POLLER_OPTIONS, ...deps.options },
    ...(deps.cpu ? { cpu: deps.cpu } : {}),
  });
  const invoker = new AsyncInvoker({
    queue: deps.queue,
    targets: deps.targets,
    clock: deps.clock,
    uuid: deps.uuid,
    onEnqueued: () => pollers.wake(),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  return { invoker, pollers };
}
