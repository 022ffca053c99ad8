import type { OperationHandlers } from '../api-server.js';
import type { AliasService } from '../../control/alias-service.js';

/** Lambda's alias operations → AliasService. */
export function aliasHandlers(aliases: AliasService): OperationHandlers {
  return {
    CreateAlias: (input) => ({ ...aliases.create(input) }),
    GetAlias: (input) => ({ ...aliases.get(input) }),
    UpdateAlias: (input) => ({ ...aliases.update(input) }),
    DeleteAlias: (input) => aliases.delete(input),
    ListAliases: (input) => aliases.list(input),
  };
}
