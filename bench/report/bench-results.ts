import type { MachineInfo } from '../lib/machine.js';
import type { AsyncResults } from '../sections/async-invoke.js';
import type { ColdStartResults } from '../sections/cold-start.js';
import type { EnvCreationResults } from '../sections/env-creation.js';
import type { HotReloadResults } from '../sections/hot-reload.js';
import type { MemoryResults } from '../sections/memory.js';
import type { Skipped, WarmResults } from '../sections/warm-invoke.js';
import type { ProfileSummary } from '../profile/profile-summary.js';
import type { ClusterResults } from '../sections/cluster.js';

/** One target from docs/SPECIFICATION.md, evaluated on this run's figures (reported, never asserted). */
export interface TargetResult {
  id: string;
  description: string;
  /** The JSON key(s) the figure comes from. */
  key: string;
  measured: number | null;
  threshold: number | null;
  unit: string;
  /** null when a figure it needs was not measured. */
  met: boolean | null;
  note?: string;
}

/** The JSON written to bench/results/<timestamp>.json and latest.json. */
export interface BenchResults {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  options: { tiny: boolean; reps: number; warmupMs: number; durationMs: number; peers: boolean; sections: string[] };
  machine: MachineInfo & { sandbox: string };
  warm: WarmResults | Skipped;
  coldStart: ColdStartResults | Skipped;
  async: AsyncResults | Skipped;
  memory: MemoryResults | Skipped;
  envCreation: EnvCreationResults | Skipped;
  /** Absent in results written before the section existed. */
  hotReload?: HotReloadResults | Skipped;
  targets: TargetResult[];
  /** Things that went wrong around the figures (a server that died, ...). */
  notes: string[];
  profile?: (ProfileSummary & { event?: ProfileSummary }) | Skipped;
  /** Cluster mode (2 api nodes, 3 workers, PostgreSQL) beside the single node; absent when not run. */
  cluster?: ClusterResults | Skipped;
}
