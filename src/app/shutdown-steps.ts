/**
 * Runs a node's shutdown steps in order, each even when one before failed (a database that is down
 * fails the audit's last signature and the usage flush), so environments and connections are still
 * released; each failure is logged, and all of them are thrown together at the end.
 */
export async function runShutdownSteps(steps: ReadonlyArray<readonly [name: string, run: () => unknown]>, log: (line: string) => void): Promise<void> {
  const failures: unknown[] = [];
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (err) {
      failures.push(err);
      log(`flint: stopping: ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `flint: ${failures.length} shutdown step(s) failed (logged above)`);
}
