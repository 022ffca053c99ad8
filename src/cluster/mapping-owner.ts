import { rendezvousOrder } from './rendezvous.js';

/**
 * The poller node that should run an event source mapping: the top of the rendezvous order of the
 * mapping's UUID over the live pollers (undefined when there is none). Every node computes the
 * same answer from the same member list, and a poller joining or leaving moves only the mappings
 * whose top candidate it is (docs/cluster.md: mappings are sharded like the async queue's buckets).
 */
export function mappingOwner(uuid: string, livePollers: readonly string[]): string | undefined {
  return rendezvousOrder(`event-source-mapping:${uuid}`, [...new Set(livePollers)], (id) => id)[0];
}

/** The mappings among `uuids` whose owner is `self`. */
export function mappingsFor(self: string, livePollers: readonly string[], uuids: Iterable<string>): string[] {
  const live = [...new Set(livePollers)];
  const mine: string[] = [];
  for (const uuid of uuids) if (mappingOwner(uuid, live) === self) mine.push(uuid);
  return mine;
}
