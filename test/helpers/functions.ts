import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { TEST_ROLE } from './flint-harness.js';
import { makeZip } from './zip.js';

let echoZip: Promise<Buffer> | undefined;

/** Creates a Node.js echo function and waits until it is Active (Lambda answers Pending first). */
export async function createFunction(client: LambdaClient, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  echoZip ??= makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
  const created = await client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: await echoZip }, ...extra,
  }));
  await waitSettled(client, name);
  return created.FunctionArn!;
}

/** Polls until $LATEST (or `qualifier`) is Active with no update in progress. */
export async function waitSettled(client: LambdaClient, name: string, qualifier?: string): Promise<GetFunctionConfigurationCommandOutput> {
  for (let i = 0; i < 200; i++) {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier }));
    if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return c;
    await sleep(10);
  }
  throw new Error(`function ${name} did not become Active`);
}

/** Publishes a new version (changing the description first so each call yields a new version). */
export async function publishVersion(client: LambdaClient, name: string): Promise<string> {
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: `v-${Date.now()}-${Math.random()}` }));
  await waitSettled(client, name);
  const v = await client.send(new PublishVersionCommand({ FunctionName: name }));
  await waitSettled(client, name, v.Version);
  return v.Version!;
}

export async function createAlias(client: LambdaClient, name: string, alias: string, version: string): Promise<string> {
  const a = await client.send(new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version }));
  return a.RevisionId!;
}
