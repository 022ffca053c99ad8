import type { OperationHandlers } from '../api-server.js';
import type { EventSourceMappingService } from '../../event-sources/event-source-mapping-service.js';

/** Event source mapping operations → EventSourceMappingService (src/event-sources). */
export function eventSourceMappingHandlers(mappings: EventSourceMappingService): OperationHandlers {
  return {
    CreateEventSourceMapping: (input) => ({ ...mappings.create(input as never) }),
    GetEventSourceMapping: (input) => ({ ...mappings.get(input as never) }),
    UpdateEventSourceMapping: (input) => ({ ...mappings.update(input as never) }),
    DeleteEventSourceMapping: (input) => ({ ...mappings.delete(input as never) }),
    ListEventSourceMappings: (input) => mappings.list(input as never),
  };
}
