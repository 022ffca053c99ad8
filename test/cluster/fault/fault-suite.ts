import { before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { faultSkipReason, notWiredReason, startFaultCluster, eventually, type FaultCluster } from './harness.js';

/**
 * What every fault-test file shares (one file per few scenarios, each with its own cluster, so a
 * file stays within the runner's per-file time): PostgreSQL and 2 api, 3 worker and 1 poller Flint
 * nodes in network-namespace hosts, started before the file's tests (destructive steps restart
 * what they break). Each test records the operations and the function's own reports
 * (./history.ts) and checks invariants (./invariants.ts), not timings: the waits are upper bounds
 * for something to happen, never assertions on speed.
 */
export const skip = faultSkipReason();
/** The membership lease (CLUSTER.md: heartbeat 1 s, lease 5 s) plus a margin for a loaded host. */
export const LEASE_MS = 5_000;
export const MARGIN_MS = 3_000;
/**
 * CLUSTER.md's 1,000 (FAULT_S5_INVOKES sets another): S5 runs the probe as an sh + curl custom
 * runtime, so 1,000 environments take a few GB, not the ~40 GB of 1,000 Node runtimes.
 */
export const S5_INVOKES = Number(process.env['FAULT_S5_INVOKES'] ?? 1000);
export const EPSILON = 0.25;
/**
 * Each worker's capacity: the bound of consistent hashing with bounded loads, ⌈(1+ε)·m/n⌉ for m
 * concurrent first invokes over n workers. Placement must then spill past full workers rather
 * than throttle, and no worker may hold more than the bound.
 */
export const WORKER_CAPACITY = Math.ceil(((1 + EPSILON) * S5_INVOKES) / 3);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: FaultCluster | undefined;
/** The file's cluster (started by the `before` hook below). */
export function fc(): FaultCluster {
  if (!cluster) throw new Error('the fault cluster is not running');
  return cluster;
}
/** Set when this build answers the cluster start with "not wired yet": every test skips with it. */
let notWired: string | undefined;

before(async () => {
  if (skip) return;
  try {
    cluster = await startFaultCluster({
      prefix: `ff${(process.pid % 1296).toString(36)}`,
      workerCapacity: WORKER_CAPACITY,
      // The account's unreserved concurrency (1,000 less other tests' reserved) must leave S5's
      // concurrent invokes room, as a raised quota does on AWS.
      env: { FLINT_CONCURRENCY_LIMIT: String(S5_INVOKES + 1000) },
    });
    // Every worker registered, then one more heartbeat: an api node routes by the membership it
    // last read (refreshed each second), so a test that starts at once could find no worker yet.
    const c = cluster;
    await eventually(async () => (await c.sql(`SELECT 1 FROM members WHERE 'worker' = ANY(roles) AND state = 'active' AND lease_expires_at > now()`)).length >= 3, 60_000);
    await sleep(1_500);
  } catch (err) {
    notWired = notWiredReason(err);
    if (!notWired) throw err;
  }
}, { timeout: 300_000 });
after(async () => { await cluster?.stop(); });

/** Skips the test when the roles are not wired (known only once the start was tried). */
export function wired(t: TestContext): boolean {
  if (notWired) t.skip(notWired);
  return !notWired;
}

/** Whether node `name` holds a live, active members row within `ms`. */
export async function rejoined(name: string, ms: number): Promise<boolean> {
  const f = fc();
  const n = f.cluster.node(name);
  return await eventually(async () => (await f.sql(`SELECT 1 FROM members WHERE address LIKE $1 AND state = 'active' AND lease_expires_at > now()`, [`${n.ip}:%`])).length > 0, ms);
}

/**
 * Brings node `name` back for the next test: started again if its process is gone; restarted if
 * it does not rejoin by itself within 45 s (recorded in the history). Returns whether it rejoined
 * without a restart, for the test that broke it to judge.
 */
export async function revive(name: string): Promise<boolean> {
  const f = fc();
  const n = f.cluster.node(name);
  if (!n.child || n.child.exitCode !== null || n.child.signalCode !== null) await f.cluster.startNode(name);
  if (await rejoined(name, 45_000)) return true;
  f.history.fault(`restart ${name}: it did not rejoin by itself`);
  await f.cluster.stopNode(name);
  await f.cluster.startNode(name);
  assert.ok(await rejoined(name, 30_000), `${name} rejoined after a restart`);
  return false;
}
