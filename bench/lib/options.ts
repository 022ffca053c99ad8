/** Command-line settings of `npm run bench`. */
export interface BenchOptions {
  /** Few requests, one repetition: a smoke run that finishes in well under 30 s. */
  tiny: boolean;
  reps: number;
  warmupMs: number;
  durationMs: number;
  /** Install and run serverless-offline as the peer (default: on, off with --tiny). */
  peers: boolean;
  /** Run the warm section's p99 sweep (c=1..256) even with --tiny (default: on without --tiny). */
  sweep: boolean;
  /** A results JSON whose warm p99 sweep is "today's" (the p99-not-worse target); default bench/results/baseline.json. */
  baseline?: string;
  /** Profile the server on the warm path (`--cpu-prof`) and summarize the top self-time items. */
  profile: boolean;
  /** FLINT_SANDBOX for the servers of the warm, async, memory and creation sections (default: Flint's own default). */
  sandbox?: string;
  /** Write this run's figures into docs/SPECIFICATION.md's "latest" block. */
  updateSpec: boolean;
  /** The pool's placement for the bench's servers: `lambda` (a new environment whenever none is free, Lambda's rule) is Flint's default; `host-aware` is the opt-in it is compared with. */
  placement?: 'lambda' | 'host-aware';
  /** Sections to run (default: all). */
  only?: Set<string>;
  /** Where results go (default bench/results). */
  outDir?: string;
  coldSamples: number;
  asyncEvents: number;
  memoryEnvs: number;
  creationEnvs: number;
}

export const SECTIONS = ['warm', 'async', 'memory', 'envCreation', 'coldStart', 'hotReload', 'cluster'] as const;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const tiny = flag('tiny');
  const opts: BenchOptions = {
    tiny,
    reps: Number(value('reps') ?? (tiny ? 1 : 3)),
    warmupMs: Number(value('warmup-ms') ?? (tiny ? 100 : 500)),
    durationMs: Number(value('duration-ms') ?? (tiny ? 500 : 3000)),
    peers: flag('peers') || (!tiny && !flag('no-peers')),
    profile: flag('profile'),
    sweep: flag('sweep'),
    baseline: value('baseline'),
    updateSpec: flag('update-spec'),
    sandbox: value('sandbox'),
    placement: value('placement') === 'lambda' ? 'lambda' : value('placement') === 'host-aware' ? 'host-aware' : undefined,
    only: value('only') ? new Set(value('only')!.split(',')) : undefined,
    outDir: value('out'),
    coldSamples: Number(value('cold-samples') ?? (tiny ? 1 : 10)),
    asyncEvents: Number(value('async-events') ?? (tiny ? 200 : 5000)),
    memoryEnvs: Number(value('memory-envs') ?? (tiny ? 2 : 8)),
    creationEnvs: Number(value('creation-envs') ?? (tiny ? 4 : 16)),
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      [
        'npm run bench -- [--tiny] [--reps=N] [--duration-ms=N] [--warmup-ms=N] [--peers|--no-peers] [--sweep] [--baseline=FILE] [--profile] [--update-spec] [--sandbox=auto|bwrap|process] [--placement=lambda|host-aware]',
        `                 [--only=${SECTIONS.join(',')}] [--out=DIR] [--cold-samples=N] [--async-events=N]`,
        '                 [--memory-envs=N] [--creation-envs=N]',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  return opts;
}

export function wants(opts: BenchOptions, section: string): boolean {
  return opts.only === undefined || opts.only.has(section);
}
