import type { OperationHandlers } from '../api-server.js';
import type { AccountSettingsService } from '../../control/account-settings-service.js';

/** GetAccountSettings → AccountSettingsService. */
export function accountHandlers(settings: AccountSettingsService): OperationHandlers {
  return {
    GetAccountSettings: () => settings.get(),
  };
}
