import { InvalidArgumentError } from 'commander';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { DevApi } from './dev-api.js';
import { attachLines } from './attach-lines.js';

/**
 * `flint invoke --inspect`: debugs the function for one invocation. New environments start with
 * the inspector on the host's 127.0.0.1:`port` and wait for a debugger (the attach lines go to
 * stderr, stdout stays the result); debugging ends once `run` settles, either way.
 */
export async function withInspector<T>(client: LambdaClient, functionName: string, port: number, run: () => Promise<T>): Promise<T> {
  const api = new DevApi(client);
  const bound = await api.enableDebug(functionName, port);
  for (const l of attachLines(functionName, bound)) process.stderr.write(l + '\n');
  try {
    return await run();
  } finally {
    await api.disableDebug(functionName).catch(() => {});
  }
}

/** commander's parser of `--inspect [port]`: 0 to 65535. */
export function parseInspectPort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('a port from 0 to 65535');
  return n;
}
