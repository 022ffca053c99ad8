import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { Invoker } from '../ports/invoker.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { MessageBrokers } from '../ports/message-brokers.js';
import type { MappingOwnership } from '../ports/mapping-leases.js';
import type { ControlContext } from '../control/control-context.js';
import type { Principal } from '../domain/principal.js';
import { AmqpBrokers } from '../brokers/amqp-brokers.js';
import { EventSourceMappingService } from '../event-sources/event-source-mapping-service.js';
import { EventSourcePollers } from '../event-sources/event-source-pollers.js';
import type { SqsPollerTuning } from '../event-sources/sqs-poller.js';

export interface EventSources {
  mappings: EventSourceMappingService;
  pollers: EventSourcePollers;
}

/**
 * Wires event source mappings: the control-plane service over the metadata store, the pollers
 * over the queues and brokers, invoking through the data plane. Lambda checks the execution
 * role's SQS permissions at create: here the role's policies are evaluated by the same
 * authorizer the front door uses, for a session of the role.
 */
export function createEventSources(deps: {
  config: FlintConfig;
  ctx: ControlContext;
  clock: Clock;
  queues: MessageQueues;
  brokers?: MessageBrokers;
  invoker: Invoker;
  checkAccess(principal: Principal, action: string, resource: string): void;
  reservedConcurrency(functionName: string): number | undefined;
  log(line: string): void;
  sqsTuning?: Partial<SqsPollerTuning>;
  /** Cluster mode: the mappings this node runs (src/cluster/mapping-shards.ts). */
  ownership?: MappingOwnership;
}): EventSources {
  const brokers = deps.brokers ?? new AmqpBrokers(deps.config.mqBrokers);
  let pollers: EventSourcePollers | undefined;
  const mappings = new EventSourceMappingService({
    ctx: deps.ctx,
    queues: deps.queues,
    brokers,
    roleAllows: (roleArn, action, resource) => {
      const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
      const session: Principal = {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${deps.config.accountId}:assumed-role/${roleName}/AWSLambdaEventSourceMapping`,
        accountId: deps.config.accountId,
        userId: `flint-esm:AWSLambdaEventSourceMapping`,
        roleArn,
        sessionName: 'AWSLambdaEventSourceMapping',
      };
      try {
        deps.checkAccess(session, action, resource);
        return true;
      } catch {
        return false;
      }
    },
    changed: (uuid) => pollers?.changed(uuid),
  });
  pollers = new EventSourcePollers({
    mappings: () => mappings,
    queues: deps.queues,
    brokers,
    invoker: deps.invoker,
    clock: deps.clock,
    region: deps.config.region,
    reservedConcurrency: deps.reservedConcurrency,
    log: deps.log,
    ...(deps.sqsTuning ? { sqsTuning: deps.sqsTuning } : {}),
    ...(deps.ownership ? { ownership: deps.ownership } : {}),
  });
  return { mappings, pollers };
}
