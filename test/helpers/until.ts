import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `cond` until it holds; fails after `ms`. Tests wait for conditions, never for fixed delays,
 * so a loaded CI host only makes them slower, not red.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not reached within ${ms} ms`);
    await sleep(everyMs);
  }
}
