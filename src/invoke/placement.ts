import type { EnvironmentState } from './environment-state.js';

/**
 * The pool's decisions as pure functions on data (OpenWhisk's scheduling style): which environment
 * an invocation gets, which environments have lived long enough, how many provisioned ones are
 * missing. The pool only carries them out.
 */
export interface EnvironmentView {
  id: string;
  state: EnvironmentState;
  /** Handed to an invocation (or reserved by one waiting for it). */
  claimed: boolean;
  /** Started for provisioned concurrency (of some qualifier). */
  provisioned: boolean;
  createdAt: number;
  lastUsedAt: number;
}

export type Placement =
  /** An idle, initialized environment: a warm start. */
  | { kind: 'warm'; id: string }
  /** One that has replied and is about to call /next again: worth a short wait rather than a cold start. */
  | { kind: 'await'; id: string }
  /** Nothing usable: start a new environment. */
  | { kind: 'cold' };

/**
 * Warm first — provisioned environments for provisioned leases, on-demand ones otherwise, then any
 * idle one — the most recently used among equals, so the least used ones go idle and are reaped.
 * Then an environment finishing its previous invocation. Otherwise a cold start.
 */
export function place(envs: readonly EnvironmentView[], opts: { provisioned: boolean }): Placement {
  const free = envs.filter((e) => !e.claimed);
  const idle = free.filter((e) => e.state === 'Ready');
  const preferred = idle.filter((e) => e.provisioned === opts.provisioned);
  const warm = mostRecent(preferred.length > 0 ? preferred : idle);
  if (warm) return { kind: 'warm', id: warm.id };
  const finishing = mostRecent(free.filter((e) => e.state === 'Invoking'));
  if (finishing) return { kind: 'await', id: finishing.id };
  return { kind: 'cold' };
}

/**
 * Environments to stop now: idle on-demand ones unused for `idleTimeoutMs`, and any idle one older
 * than `maxLifetimeMs` (Lambda recycles even provisioned environments every few hours).
 */
export function expired(envs: readonly EnvironmentView[], now: number, limits: { idleTimeoutMs: number; maxLifetimeMs: number }): string[] {
  return envs
    .filter((e) => e.state === 'Ready' && !e.claimed)
    .filter((e) => (!e.provisioned && now - e.lastUsedAt >= limits.idleTimeoutMs) || now - e.createdAt >= limits.maxLifetimeMs)
    .map((e) => e.id);
}

/**
 * How far the provisioned environments of one qualifier are from `target`: a positive `start`
 * count to add, or idle ones to `retire` (newest first, keeping the warmest) when there are too many.
 */
export function provisionPlan(envs: readonly EnvironmentView[], target: number): { start: number; retire: string[] } {
  const live = envs.filter((e) => e.provisioned && (e.state === 'Starting' || e.state === 'Ready' || e.state === 'Invoking'));
  if (live.length <= target) return { start: target - live.length, retire: [] };
  const idle = live.filter((e) => e.state === 'Ready' && !e.claimed).sort((a, b) => b.createdAt - a.createdAt);
  return { start: 0, retire: idle.slice(0, live.length - target).map((e) => e.id) };
}

function mostRecent(envs: readonly EnvironmentView[]): EnvironmentView | undefined {
  let best: EnvironmentView | undefined;
  for (const e of envs) if (!best || e.lastUsedAt > best.lastUsedAt) best = e;
  return best;
}
