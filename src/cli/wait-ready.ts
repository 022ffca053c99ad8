import { GetFunctionConfigurationCommand, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';
import { CliError } from './cli-error.js';

/** Polls like the SDK's function-active/updated waiters: State Active and no update in progress. */
export async function waitReady(client: LambdaClient, name: string): Promise<FunctionConfiguration> {
  for (let i = 0; i < 120; i++) {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') throw new CliError(`function ${name} failed: ${c.StateReason ?? c.LastUpdateStatusReason}`);
    if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return c;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError(`function ${name} did not become Active within 30 s`);
}
