import type { EnvironmentPool } from '../invoke/environment-pool.js';

/**
 * WorkerRpcServer's `idleEnvironments` from a worker's environment pool: the ready environments
 * of a version nobody is using, so admission answers "warm" exactly when the pool would hand one
 * out without starting another. Provisioned ones count too (an alias with provisioned concurrency
 * routes by its version; the pool keeps them for that alias's invocations).
 */
export function idleEnvironmentsOf(pool: Pick<EnvironmentPool, 'environments'>): (functionName: string, version: string) => number {
  return (functionName, version) => {
    let idle = 0;
    for (const e of pool.environments(functionName, version)) if (!e.claimed && e.env.state === 'Ready') idle++;
    return idle;
  };
}
