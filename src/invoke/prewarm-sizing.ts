import type { FunctionConfiguration } from '../domain/records.js';
import type { RuntimeFamily } from './runtime-catalog.js';

/**
 * The pre-initialized runtime pool's decisions as pure functions (OpenWhisk sizes its prewarmed
 * containers the same way, from data): which functions a pre-started runtime may serve, and how
 * many to keep per runtime family and memory size.
 */

/** What a pre-started runtime is started with before it knows its function: it serves only functions that need exactly this. */
export interface StemKey {
  family: Extract<RuntimeFamily, 'nodejs' | 'python'>;
  /** V8's heap limits and the sandbox's memory limit are set at start. */
  memoryMb: number;
  /** The sandbox's /tmp size is set at start. */
  ephemeralStorageMb: number;
}

export const stemKeyString = (k: StemKey): string => `${k.family}/${k.memoryMb}/${k.ephemeralStorageMb}`;

/**
 * Variables a runtime reads only while its process starts: a function that sets one of them gets
 * a cold start, since a runtime already running cannot honour it (NODE_OPTIONS, the dynamic
 * loader's and the locale's variables, Python's interpreter switches). NODE_PATH and PYTHONPATH
 * are re-applied at bind and stay eligible; TZ is re-read.
 */
const STARTUP_ONLY = new Set([
  'AWS_LAMBDA_EXEC_WRAPPER', 'LD_LIBRARY_PATH', 'LD_PRELOAD', 'GLIBC_TUNABLES', 'LANG', 'LANGUAGE',
  'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'NODE_ICU_DATA', 'NODE_PRESERVE_SYMLINKS', 'NODE_V8_COVERAGE', 'NODE_PENDING_DEPRECATION',
  'NODE_NO_WARNINGS', 'NODE_REDIRECT_WARNINGS', 'NODE_DEBUG', 'NODE_DEBUG_NATIVE', 'UV_THREADPOOL_SIZE', 'UV_USE_IO_URING',
]);
const STARTUP_ONLY_PREFIXES = ['LC_', 'MALLOC_', 'LD_'];

/** The key of the pre-started runtimes that may serve `config`, or undefined when it needs a cold start. */
export function stemKeyFor(config: FunctionConfiguration, family: RuntimeFamily): StemKey | undefined {
  if (family !== 'nodejs' && family !== 'python') return undefined; // custom runtimes run the function's own bootstrap
  for (const name of Object.keys(config.Environment?.Variables ?? {})) {
    if (STARTUP_ONLY.has(name) || STARTUP_ONLY_PREFIXES.some((p) => name.startsWith(p))) return undefined;
    if (family === 'python' && name.startsWith('PYTHON') && name !== 'PYTHONPATH') return undefined;
  }
  return { family, memoryMb: config.MemorySize, ephemeralStorageMb: config.EphemeralStorage?.Size ?? 512 };
}

export interface PrewarmSizingInput {
  /** FLINT_PREWARM_PER_RUNTIME: the floor for a key in use; 0 turns pre-starting off. */
  base: number;
  /** Never more than this many per key. */
  max: number;
  now: number;
  /** When this key's recent cold starts happened (epoch ms, any order). */
  coldStarts: readonly number[];
  /** The window the arrival rate is measured over. */
  windowMs: number;
  /** How long starting one runtime takes (a recent average). */
  refillMs: number;
  /** A key without cold starts for this long keeps none. */
  idleMs: number;
}

/**
 * How many pre-started runtimes to keep for one key: none when off or when the key has not
 * cold-started for `idleMs`; otherwise `base`, or — when cold starts come faster — enough to
 * cover twice the starts expected while one runtime is being replaced (arrival rate × refill time,
 * Little's law), capped at `max`.
 */
export function prewarmTarget(i: PrewarmSizingInput): number {
  if (i.base <= 0 || i.max <= 0) return 0;
  let last = -Infinity;
  let recent = 0;
  for (const t of i.coldStarts) {
    if (t > last) last = t;
    if (i.now - t < i.windowMs) recent++;
  }
  if (i.now - last >= i.idleMs) return 0;
  const expectedDuringRefill = (recent / i.windowMs) * i.refillMs;
  return Math.min(i.max, Math.max(i.base, Math.ceil(2 * expectedDuringRefill)));
}
