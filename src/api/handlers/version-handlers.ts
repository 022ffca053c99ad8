import type { OperationHandlers } from '../api-server.js';
import type { VersionService } from '../../control/version-service.js';

/** Lambda's version operations → VersionService. */
export function versionHandlers(versions: VersionService): OperationHandlers {
  return {
    PublishVersion: (input) => versions.publish(input),
    ListVersionsByFunction: (input) => versions.list(input),
  };
}
