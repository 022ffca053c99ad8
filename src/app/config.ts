import { resolve } from 'node:path';
import { parseAuditSelector } from '../observe/audit-selector.js';

/** Everything Flint can be told at start, from flags and environment (flags win). */
export interface FlintConfig {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  accountId: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** 64 hex chars (32 bytes); generated into the data dir when absent. */
  masterKey?: string;
  /** FLINT_MASTER_KEY_FILE: the master keyring (or one hex key) in a file outside the data dir. */
  masterKeyFile?: string;
  /** Master key rotation re-wraps this many blobs per store between turns of the event loop. */
  keyRotationBatch: number;
  /** Account concurrency limit (Lambda's default quota: 1000). */
  concurrencyLimit: number;
  /** Sandbox driver: auto | process | <driver name>. */
  sandbox: string;
  /** Idle environments are stopped after this many ms. */
  idleTimeoutMs: number;
  /** Environments are recycled after this many ms regardless of use. */
  maxLifetimeMs: number;
  /** Lambda's streamed-response limits (src/invoke/streamed-response.ts: 200 MB, 6 MB uncapped, then 2 MB/s); tests make them small. */
  streamLimits?: { maxBytes?: number; uncappedBytes?: number; bytesPerSecond?: number };
  /** Lambda's limit on an environment's init phase (10 s); tests shorten it. */
  initTimeoutMs: number;
  /** The python3 that runs `python3.*` functions (default: /usr/bin/python3 when present, else python3 on PATH). */
  pythonPath: string;
  /** Multiplier for async retry backoff (1 = Lambda's real delays; tests use small values). */
  asyncRetryScale: number;
  /** Number of async queue pollers. */
  asyncPollers: number;
  /**
   * `adaptive` (default): the pollers keep as many deliveries in flight as the host turns into
   * throughput (src/invoke/async/delivery-limit.ts). `fixed`: always pollers × 10, as Lambda's
   * pollers, which assume a free CPU per environment.
   */
  asyncDeliveries: 'adaptive' | 'fixed';
  /**
   * Lease length of an async event (heartbeats renew it while the invocation runs): after a crash,
   * unfinished events are delivered again this long after they were last renewed.
   */
  asyncVisibilityTimeoutMs: number;
  /**
   * Pre-initialized runtimes ("stem cells") kept per runtime family and memory size once that
   * pair has cold-started (more when cold starts come faster); 0 turns them off.
   */
  prewarmPerRuntime: number;
  /**
   * `lambda` (default): always a new environment when none is free, as Lambda does.
   * `host-aware` (opt-in): when a version's environments are all busy and the CPUs are saturated,
   * a sync request waits briefly for one of them rather than starting another (src/invoke/host-aware-placement.ts).
   */
  placement: 'host-aware' | 'lambda';
  /**
   * Stored code no version or layer version references is removed by a sweep every this many ms,
   * once it has not been uploaded for as long (0 turns the collector off).
   */
  codeCollectionMs: number;
  /**
   * `on` (default): every request is authorized by IAM policy evaluation. `off`: signatures are
   * still verified but any valid credential may do anything — for throwaway local use only.
   */
  auth: 'on' | 'off';
  /** A JSON price table for `flint usage` (FLINT_PRICE_TABLE); Lambda's public prices when absent. */
  priceTable?: string;
  /**
   * FLINT_AUDIT_EVENTS: which calls the audit trail records (src/observe/audit-selector.ts):
   * `write` (default: management writes, plus every denial), `read`, `all`, `none`, and `data`
   * for Lambda Invoke data events, comma-separated (e.g. `all,data`).
   */
  auditEvents: string;
  /** FLINT_AUDIT_DIGEST_EVERY: a signed digest closes the audit chain after this many records. */
  auditDigestEvery: number;
  /** FLINT_AUDIT_DIGEST_INTERVAL_MS: and after this long with records pending (CloudTrail: hourly). */
  auditDigestIntervalMs: number;
  /** FLINT_AUDIT_RETENTION_DAYS: records older are removed up to a digest (CloudTrail's event history: 90; 0 keeps all). */
  auditRetentionDays: number;
  /**
   * FLINT_OTLP_ENDPOINT: an OTLP/HTTP collector (base URL, `/v1/traces` appended, or the full
   * traces URL) that receives invocations' trace segments as OpenTelemetry spans. Unset: traces
   * are only stored (X-Ray API).
   */
  otlpEndpoint?: string;
  /**
   * FLINT_TRACE_SAMPLE_RATE: for Active functions invoked without a sampling decision, the share
   * of requests traced beyond the first each second (X-Ray's default rule: 0.05).
   */
  traceSampleRate: number;
  /** Server log verbosity: debug shows each async retry/drop decision. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Quiet mode: no per-request logging. */
  quiet: boolean;
  /**
   * Serve the API over HTTPS with a certificate from Flint's local CA (made in `<dataDir>/tls/`).
   * Implied by `tlsCert`/`tlsKey`, which take precedence.
   */
  tls: boolean;
  /** PEM certificate chain to serve (with `tlsKey`), used as given. */
  tlsCert?: string;
  /** PEM private key of `tlsCert`. */
  tlsKey?: string;
  /** With `tlsCert`: a CA bundle clients and sandboxes should trust (a private CA); unset: the system roots. */
  tlsCa?: string;
  /**
   * RabbitMQ brokers for event source mappings with Amazon MQ ARNs (`arn:aws:mq:…:broker:<name>:<id>`):
   * broker name → AMQP URL with credentials (FLINT_MQ_BROKERS=`name=amqp://user:pass@host:5672,other=…`).
   */
  mqBrokers: Record<string, string>;
  /** With TLS: also serve plain HTTP on 127.0.0.1 at this port, for development (unset: no plain listener; 0: any free port). */
  plainPort?: number;
  /**
   * Cluster mode (docs/cluster.md). FLINT_ROLE / --role: `all` (default) is one node doing
   * everything; `api` serves the AWS APIs and routes invocations, `worker` runs execution
   * environments, `poller` consumes the async queue and event sources. Any role but `all` needs
   * `databaseUrl` and `clusterDir`.
   */
  role: NodeRoleSetting;
  /** FLINT_DATABASE_URL: `postgres://…` puts every store in PostgreSQL (unset: the embedded SQLite in the data dir). */
  databaseUrl?: string;
  /** FLINT_CLUSTER_DIR: what `flint cluster init` wrote (cluster CA, master keyring, root credentials), shared by every node. */
  clusterDir?: string;
  /** FLINT_INTERNAL_PORT: the mutual-TLS listener other nodes reach this one on (workers; 0: any free port). */
  internalPort: number;
  /** FLINT_ADVERTISE_HOST: the address other nodes use for this one (default: the API host, or 127.0.0.1 for 0.0.0.0). */
  advertiseHost?: string;
  /** FLINT_API_ENDPOINT: on worker nodes, the API address functions' SDKs are pointed at (an api node or its load balancer). */
  apiEndpoint?: string;
  /** FLINT_WORKER_CAPACITY: concurrent execution environments a worker admits (default: the account concurrency limit). */
  workerCapacity?: number;
}

export type NodeRoleSetting = 'all' | 'api' | 'worker' | 'poller';
const NODE_ROLES: readonly NodeRoleSetting[] = ['all', 'api', 'worker', 'poller'];

export function loadConfig(flags: Partial<FlintConfig> = {}, env: NodeJS.ProcessEnv = process.env): FlintConfig {
  const num = (v: string | undefined, d: number) => (v !== undefined && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : d);
  const cfg: FlintConfig = {
    host: env['FLINT_HOST'] ?? '127.0.0.1',
    port: num(env['FLINT_PORT'], 9000),
    dataDir: resolve(env['FLINT_DATA_DIR'] ?? '.flint'),
    region: env['FLINT_REGION'] ?? 'us-east-1',
    accountId: env['FLINT_ACCOUNT_ID'] ?? '000000000000',
    accessKeyId: env['FLINT_ACCESS_KEY_ID'] || undefined,
    secretAccessKey: env['FLINT_SECRET_ACCESS_KEY'] || undefined,
    masterKey: env['FLINT_MASTER_KEY'] || undefined,
    masterKeyFile: env['FLINT_MASTER_KEY_FILE'] ? resolve(env['FLINT_MASTER_KEY_FILE']) : undefined,
    keyRotationBatch: Math.max(1, num(env['FLINT_KEY_ROTATION_BATCH'], 100)),
    concurrencyLimit: num(env['FLINT_CONCURRENCY_LIMIT'], 1000),
    sandbox: env['FLINT_SANDBOX'] ?? 'auto',
    idleTimeoutMs: num(env['FLINT_IDLE_TIMEOUT_MS'], 10 * 60_000),
    maxLifetimeMs: num(env['FLINT_MAX_LIFETIME_MS'], 2 * 3600_000),
    initTimeoutMs: num(env['FLINT_INIT_TIMEOUT_MS'], 10_000),
    pythonPath: env['FLINT_PYTHON'] ?? '',
    asyncRetryScale: num(env['FLINT_ASYNC_RETRY_SCALE'], 1),
    asyncPollers: num(env['FLINT_ASYNC_POLLERS'], 4),
    asyncDeliveries: env['FLINT_ASYNC_DELIVERIES'] === 'fixed' ? 'fixed' : 'adaptive',
    asyncVisibilityTimeoutMs: num(env['FLINT_ASYNC_VISIBILITY_TIMEOUT_MS'], 30_000),
    prewarmPerRuntime: num(env['FLINT_PREWARM_PER_RUNTIME'], 1),
    // Lambda's placement by default: host-aware placement still loses p99 at c ≥ 64 on a quiet
    // 2-core host (bench/profile/results-issue13/bench-s13-placement-sweep-quiet.txt); opt in.
    placement: env['FLINT_PLACEMENT'] === 'host-aware' ? 'host-aware' : 'lambda',
    codeCollectionMs: num(env['FLINT_CODE_COLLECTION_MS'], 10 * 60_000),
    auth: env['FLINT_AUTH'] === 'off' ? 'off' : 'on',
    priceTable: env['FLINT_PRICE_TABLE'] || undefined,
    auditEvents: env['FLINT_AUDIT_EVENTS'] ?? 'write',
    auditDigestEvery: Math.max(1, num(env['FLINT_AUDIT_DIGEST_EVERY'], 1000)),
    auditDigestIntervalMs: num(env['FLINT_AUDIT_DIGEST_INTERVAL_MS'], 3600_000),
    auditRetentionDays: num(env['FLINT_AUDIT_RETENTION_DAYS'], 90),
    otlpEndpoint: env['FLINT_OTLP_ENDPOINT'] || undefined,
    traceSampleRate: Math.min(1, Math.max(0, num(env['FLINT_TRACE_SAMPLE_RATE'], 0.05))),
    logLevel: (['debug', 'info', 'warn', 'error'] as const).find((l) => l === env['FLINT_LOG_LEVEL']) ?? 'info',
    quiet: env['FLINT_QUIET'] === '1',
    tls: env['FLINT_TLS'] === '1' || env['FLINT_TLS'] === 'on',
    tlsCert: env['FLINT_TLS_CERT'] || undefined,
    tlsKey: env['FLINT_TLS_KEY'] || undefined,
    tlsCa: env['FLINT_TLS_CA'] || undefined,
    plainPort: env['FLINT_PLAIN_PORT'] ? num(env['FLINT_PLAIN_PORT'], 0) : undefined,
    mqBrokers: parseBrokers(env['FLINT_MQ_BROKERS'] ?? ''),
    role: (env['FLINT_ROLE'] || 'all') as NodeRoleSetting,
    databaseUrl: env['FLINT_DATABASE_URL'] || undefined,
    clusterDir: env['FLINT_CLUSTER_DIR'] ? resolve(env['FLINT_CLUSTER_DIR']) : undefined,
    internalPort: num(env['FLINT_INTERNAL_PORT'], 0),
    advertiseHost: env['FLINT_ADVERTISE_HOST'] || undefined,
    apiEndpoint: env['FLINT_API_ENDPOINT'] || undefined,
    workerCapacity: env['FLINT_WORKER_CAPACITY'] ? num(env['FLINT_WORKER_CAPACITY'], 0) : undefined,
  };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  cfg.dataDir = resolve(cfg.dataDir);
  parseAuditSelector(cfg.auditEvents);
  if (env['FLINT_AUTH'] !== undefined && env['FLINT_AUTH'] !== 'on' && env['FLINT_AUTH'] !== 'off') throw new Error(`FLINT_AUTH must be 'on' or 'off', got '${env['FLINT_AUTH']}'`);
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined)) throw new Error('FLINT_TLS_CERT and FLINT_TLS_KEY (--tls-cert/--tls-key) must be given together');
  if (cfg.tlsCert !== undefined) cfg.tls = true;
  if (cfg.plainPort !== undefined && !cfg.tls) throw new Error('FLINT_PLAIN_PORT (--plain-port) adds a plain loopback listener beside TLS: it needs TLS on (without TLS the API is plain already)');
  // A port that is not a number used to fall back to 9000 silently; say so instead.
  for (const key of ['FLINT_PORT', 'FLINT_PLAIN_PORT'] as const) {
    const v = env[key];
    if (v !== undefined && v !== '' && !(/^\d+$/.test(v.trim()) && Number(v) <= 65535)) throw new Error(`${key} must be a port number (0-65535), got '${v}'`);
  }
  if (!NODE_ROLES.includes(cfg.role)) throw new Error(`FLINT_ROLE (--role) must be one of ${NODE_ROLES.join(', ')}, got '${cfg.role}'`);
  if (cfg.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(cfg.databaseUrl)) throw new Error(`FLINT_DATABASE_URL (--database-url) must be a postgres:// URL, got '${cfg.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}'`);
  if (cfg.role !== 'all' && (cfg.databaseUrl === undefined || cfg.clusterDir === undefined)) {
    throw new Error(`--role ${cfg.role} is cluster mode: it needs FLINT_DATABASE_URL (--database-url) and FLINT_CLUSTER_DIR (--cluster-dir, made by \`flint cluster init\`)`);
  }
  if (cfg.clusterDir !== undefined) cfg.clusterDir = resolve(cfg.clusterDir);
  if (!/^\d{12}$/.test(cfg.accountId)) throw new Error(`FLINT_ACCOUNT_ID must be 12 digits, got '${cfg.accountId}'`);
  return cfg;
}

/** `name=amqp://…,name2=amqps://…` → { name: url }; a malformed entry stops the start with its text. */
function parseBrokers(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    const url = entry.slice(eq + 1);
    if (eq <= 0 || !/^amqps?:\/\//.test(url)) throw new Error(`FLINT_MQ_BROKERS entries are name=amqp://user:password@host:port[/vhost], got '${entry}'`);
    out[name] = url;
  }
  return out;
}
