import { join } from 'node:path';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { FlintConfig } from './config.js';
import { loadMasterKeyring, loadRootCredentials, type RootCredentials } from './secrets.js';
import { makeDataDirPrivate } from '../store/private-data-dir.js';
import { MasterKeyRotation } from '../store/master-key-rotation.js';
import { systemClock } from './system-clock.js';
import { InProcessEvents } from './in-process-events.js';
import { createIdentityAndAccess } from './identity-and-access.js';
import { LogGroupService } from '../logs/log-group-service.js';
import { LogEventService } from '../logs/log-event-service.js';
import { createSchedules, type Schedules } from '../schedules/schedules.js';
import { schedulePermissions } from './schedule-permissions.js';
import { createCloudWatchMetrics } from './cloudwatch-metrics.js';
import { ConfigurationRecorder } from '../history/configuration-recorder.js';
import { readFunctionState } from '../history/function-state-reader.js';
import { UsageMeter } from '../history/usage-meter.js';
import { loadPriceTable } from '../history/price-table.js';
import { readFileSync } from 'node:fs';
import { createKmsServices } from '../kms/kms-services.js';
import { guardHttpServer } from '../api/malformed-http.js';
import { TlsCertificates } from '../api/tls/tls-certificates.js';
import { isLoopbackHost, tlsSourceFor } from '../api/tls/tls-setup.js';
import { secureContextOptions, tlsServerOptions } from '../api/tls/tls-server-options.js';
import { Arns } from '../domain/function-name.js';
import type { ControlContext } from '../control/control-context.js';
import { FunctionService } from '../control/function-service.js';
import { CodeSigningConfigService } from '../control/code-signing-config-service.js';
import { AliasService } from '../control/alias-service.js';
import { CodeLocations } from '../control/code-location.js';
import { LayerService } from '../control/layer-service.js';
import { LayerPolicyService } from '../control/layer-policy-service.js';
import { PolicyService } from '../control/policy-service.js';
import { ConcurrencyService } from '../control/concurrency-service.js';
import { ProvisionedConcurrencyService } from '../control/provisioned-concurrency-service.js';
import { EventInvokeConfigService } from '../control/event-invoke-config-service.js';
import { TagService } from '../control/tag-service.js';
import { AccountSettingsService } from '../control/account-settings-service.js';
import { CodeCollector } from '../control/code-collector.js';
import { FunctionUrlService } from '../control/function-url-service.js';
import type { Clock } from '../ports/clock.js';
import { createAudit } from './audit.js';
import { openStores } from './open-stores.js';
import { joinCluster, nodeRoles, type ClusterNode } from './cluster-node.js';
import { PgQueueWakeups } from '../store/pg/pg-queue-wakeups.js';
import { createFrontDoor } from './front-door.js';
import { withTimers } from './system-clock.js';
import { StoredFunctionReadModel } from '../control/stored-function-read-model.js';
import { FileLogStorage } from '../store/file-log-storage.js';
import type { SyncInvoker } from '../ports/invoker.js';
import { ClusterInvoker } from '../cluster/cluster-invoker.js';
import type { AuditLog } from '../ports/audit-log.js';
import { PrometheusMetrics } from '../observe/prometheus-metrics.js';
import { createDataPlane, type DataPlane } from './data-plane.js';
import { selectSandboxDriver } from '../sandbox/select-driver.js';
import { BwrapSandboxDriver } from '../sandbox/bwrap-driver.js';
import { ProcessSandboxDriver } from '../sandbox/process-driver.js';
import { createTracing, type Tracing } from './tracing.js';
import { createAsyncInvocation, type AsyncInvocation } from '../invoke/async/async-invocation.js';
import { createEventSources, type EventSources } from './event-sources.js';
import { clusterSqs, localSqs } from './sqs-service.js';
import type { MessageQueues } from '../ports/message-queues.js';
import { runShutdownSteps } from './shutdown-steps.js';

/** The data plane's view of concurrency on a node that runs no environments. */
const NO_CONCURRENCY = { unreserved: 0, byFunction: new Map<string, number>(), provisioned: new Map<string, number>() };

/**
 * Before a control-plane call, the node's store caches catch up with what other nodes committed
 * (read-your-writes across api nodes). Invoke is not held up: the data plane reads through the
 * cache refreshed in the background, as Lambda's invoke path sees configuration changes after a
 * short propagation delay.
 */
function controlPlaneRefresh(refresh: () => Promise<void>): (service: string, operation: string | undefined) => Promise<void> | undefined {
  return (service, operation) => (service === 'lambda' && (operation === 'Invoke' || operation === 'InvokeWithResponseStream' || operation === 'InvokeAsync') ? undefined : refresh());
}

/** The local CA's certificate also covers function URLs' host names (`<url-id>.lambda-url.<region>.localhost`). */
function withFunctionUrlNames(source: ReturnType<typeof tlsSourceFor>, region: string): ReturnType<typeof tlsSourceFor> {
  return source?.kind === 'local-ca' ? { ...source, hosts: [...source.hosts, `*.lambda-url.${region}.localhost`] } : source;
}

export interface FlintApp {
  readonly config: FlintConfig;
  readonly credentials: RootCredentials;
  /** `http://host:port` once started (`https://` with TLS). */
  readonly endpoint: string;
  /** With TLS and `plainPort`: the plain loopback listener for development. */
  readonly plainEndpoint?: string;
  /** With TLS: the bundle clients set as AWS_CA_BUNDLE (undefined: the system roots verify the certificate). */
  readonly caBundle?: string;
  /** SIGHUP: re-reads the certificate and key (renewing the local CA's when due); open connections are kept. */
  reloadTls(): Promise<{ serial: string; notAfter: Date } | undefined>;
  readonly functions: FunctionService;
  /** The invoke side reports provisioned environments through `markProvisionedAllocated`. */
  readonly provisionedConcurrency: ProvisionedConcurrencyService;
  readonly audit: AuditLog;
  /** The synchronous data plane: invoke service, environment pool, function logs. */
  readonly dataPlane: DataPlane;
  /** The async (`Event`) path: `invoker.enqueue` and the queue pollers (`pollers.metrics()`). */
  readonly asyncInvocation: AsyncInvocation;
  /** EventBridge Scheduler and scheduled rules; `runDue()` runs one ticker pass (tests with a clock). */
  readonly schedules: Schedules;
  /** X-Ray traces: the store behind the X-Ray API and the OTLP exporter. */
  readonly tracing: Tracing;
  /** Removes stored code nothing references (on a schedule; `sweep()` runs one now). */
  readonly codeCollector: CodeCollector;
  /** Master key rotation (`flint keys`): `rotate()`, `status()`, `idle()`. */
  readonly keyRotation: MasterKeyRotation;
  /** Event source mappings: the control-plane service and the pollers (SQS queues, RabbitMQ). */
  readonly eventSources: EventSources;
  /** The SQS-compatible queues, for event source mappings and async destinations. */
  readonly messageQueues: MessageQueues;
  /** Cluster mode: this node's membership, leases and routing (undefined on a single node). */
  readonly cluster: ClusterNode | undefined;
  stop(): Promise<void>;
}

/**
 * The composition root: the only module that knows concrete drivers. Start order: data dir →
 * stores → services → API; stop order is the reverse.
 */
export async function startFlint(config: FlintConfig, opts: { clock?: Clock; log?: (line: string) => void; queues?: MessageQueues } = {}): Promise<FlintApp> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const clock = opts.clock ?? systemClock;
  // Closed to other users whatever modes an older Flint (or a user) left (src/store/private-data-dir.ts).
  const privacy = makeDataDirPrivate(config.dataDir);
  if (privacy.changed.length > 0) log(`flint: closed ${privacy.changed.length} path(s) in ${config.dataDir} to other users (directories 0700, files 0600)`);
  // A cluster's nodes share root credentials and the master keyring through the cluster folder.
  const secretsDir = config.clusterDir ?? config.dataDir;
  const credentials = loadRootCredentials(secretsDir, { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey });
  const keyring = loadMasterKeyring(secretsDir, { masterKey: config.masterKey, masterKeyFile: config.masterKeyFile }, () => clock.now());
  const roles = nodeRoles(config.role);
  // Cluster mode (docs/cluster.md): membership, leases, cross-node events and routing; joined
  // before the stores because the event queue polls the buckets this node leases.
  const cluster = config.clusterDir ? await joinCluster(config, { clock: withTimers(clock), log }) : undefined;
  // TLS first: the sandboxes bind its CA. Plain HTTP off the loopback is allowed but said loudly.
  const tlsSource = withFunctionUrlNames(tlsSourceFor(config), config.region);
  const tls = tlsSource ? await TlsCertificates.open(tlsSource, () => clock.now()) : undefined;
  TlsCertificates.recordServing(config.dataDir, tls);
  const flintCa = tls?.caBundle && tls.caCert ? { bundle: tls.caBundle, cert: tls.caCert } : undefined;
  if (!tls && !isLoopbackHost(config.host)) log(`flint: WARNING: listening on ${config.host} without TLS: credentials' signatures and every payload cross the network in clear; use --tls or --tls-cert/--tls-key`);
  const stores = await openStores(config, { keyring, clock, log, ...(cluster ? { pool: cluster.pool, holdings: cluster.buckets } : {}) });
  const store = stores.metadata;
  const code = stores.code;
  const arns = new Arns(config.region, config.accountId);
  // The control plane's change events; in a cluster every worker's pool hears them too.
  const events = cluster ? cluster.events.local : new InProcessEvents();
  const metrics = new PrometheusMetrics();
  const audit = createAudit({ config, store: stores.audit, clock, log });
  const auditTrail = audit.trail;
  // KMS keys' material is wrapped by the master keyring, like the code store's data keys.
  const kms = createKmsServices({ store, keyring, clock, audit: auditTrail, region: config.region, accountId: config.accountId });
  // Lambda seals environment variables and binds code to each function's KMS key through `keys`.
  const ctx: ControlContext = { store, code, clock, arns, events, uuid: randomUUID, keys: kms.keyService };
  // SQS-compatible queues (src/queues): a node's own, or a cluster's, served by its leader
  // (src/app/sqs-service.ts). Each queue's Policy is its resource policy for the authorizer.
  const sqs = cluster && stores.sharedQueues
    ? clusterSqs({
      store: stores.sharedQueues,
      directory: cluster.leaderDirectory,
      nodeId: cluster.nodeId,
      clock,
      region: config.region,
      accountId: config.accountId,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      ...(flintCa ? { ca: flintCa.bundle } : {}),
      log,
    })
    : localSqs({ store: stores.queues, clock, region: config.region, accountId: config.accountId });
  const access = createIdentityAndAccess({ config, clock, store, root: credentials, kms: { keyPolicies: kms.keyPolicies, lookup: kms.lookup }, queuePolicies: sqs.policies });
  if (access.bootstrapped) log(`flint: created the IAM role arn:aws:iam::${config.accountId}:role/lambda-role (trusts Lambda; AWSLambdaBasicExecutionRole) for the quick start`);
  if (config.auth === 'off') log('flint: WARNING: FLINT_AUTH=off — IAM policies are NOT enforced; any valid credential may do anything');

  // Download links must verify across restarts: their key derives from the current master key.
  const codeLocations = new CodeLocations(keyring.derive('flint code locations'), clock);
  // Every store holding master-wrapped blobs: a rotation retires a key only when none needs it.
  const keyRotation = new MasterKeyRotation({ keyring, stores: [code, kms.keys], batchSize: config.keyRotationBatch, log });
  const functions = new FunctionService(ctx, { codeLocations });
  // Data dirs from before encryption at rest keep plaintext variables until sealed here.
  const sealing = functions.sealPlaintextRecords();
  if (sealing.sealed + sealing.failed > 0) log(`flint: sealed ${sealing.sealed} function version(s) under their KMS keys${sealing.failed ? `; ${sealing.failed} could not be sealed (key unusable) and stay as they were` : ''}`);
  const layers = new LayerService(ctx, codeLocations);
  const layerPolicies = new LayerPolicyService(ctx, layers);
  const policies = new PolicyService(ctx);
  const concurrency = new ConcurrencyService(ctx, { concurrencyLimit: config.concurrencyLimit });
  const provisioned = new ProvisionedConcurrencyService(ctx, concurrency);
  const eventInvokeConfigs = new EventInvokeConfigService(ctx);
  const codeSigning = new CodeSigningConfigService(ctx);
  const tags = new TagService(ctx, codeSigning);
  const accountSettings = new AccountSettingsService(ctx, concurrency);
  // Billed usage per function and minute, durable across restarts (`flint usage`, /metrics).
  const usage = new UsageMeter({
    store,
    clock,
    prices: loadPriceTable(config.priceTable, (f) => readFileSync(f, 'utf8')),
    architectureOf: (fn, version) => functions.getVersion(fn, version).config.Architectures[0] ?? 'x86_64',
    log,
  });
  // CloudWatch metrics: AWS/Lambda, PutMetricData, Embedded Metric Format (src/app/cloudwatch-metrics.ts).
  const cloudWatch = createCloudWatchMetrics({ store: stores.metrics, clock });
  const lambdaMetrics = cloudWatch.lambda;
  const tracing = createTracing({ config, clock, log });
  // Execution environments run on worker nodes (and the single node): FLINT_SANDBOX picks the
  // strongest available driver unless told otherwise (src/sandbox/select-driver.ts).
  const sandbox = roles.has('worker')
    ? await selectSandboxDriver(config.sandbox, {
      bwrap: () => new BwrapSandboxDriver(flintCa ? { flintCa } : {}),
      process: () => new ProcessSandboxDriver({ scratchDir: join(config.dataDir, 'sandboxes', 'process'), ...(flintCa ? { flintCa } : {}) }),
    })
    : undefined;
  if (sandbox) log(sandbox.summary);
  // Cluster: each provisioned config is provisioned by one worker (src/cluster/provisioned-placement.ts).
  const placement = cluster?.placeProvisioned({ configs: () => provisioned.configs(), resync: (fn, q) => dataPlane?.resyncProvisioned(fn, q) });
  const dataPlane = sandbox && createDataPlane({
    tracing: tracing.tracer,
    config,
    clock,
    store,
    code,
    events: cluster ? cluster.events.dataPlane : events,
    driver: sandbox.driver,
    driverFeatures: sandbox.features,
    metrics: lambdaMetrics.wrap(usage.wrap(metrics)),
    targets: functions,
    committed: () => concurrency.committed(),
    provisionedConfigs: (fn) => (placement ? provisioned.configs(fn).filter((c) => placement.placed(c)) : provisioned.configs(fn)),
    markProvisionedAllocated: (fn, q, allocated, status, reason) => (placement
      ? placement.report(fn, q, allocated, status, reason, (a, s, r) => provisioned.markProvisionedAllocated(fn, q, a, s, r))
      : provisioned.markProvisionedAllocated(fn, q, allocated, status, reason)),
    roleCredentials: access.iam.roleCredentials,
    ...(stores.logs ? { logs: stores.logs } : {}),
    log,
  });
  // The sync data plane as callers see it: this node's own, or (cluster) the worker rendezvous
  // hashing picks. Pollers and function URLs invoke through the same one as the Invoke API.
  const readModel = dataPlane?.functions ?? new StoredFunctionReadModel(store);
  const invoker: SyncInvoker = cluster
    ? new ClusterInvoker({
      remote: cluster.remoteInvoker(readModel),
      ...(cluster.tokens ? { tokens: cluster.tokens } : {}),
      targetOf: (fn, qualifier) => {
        const c = functions.resolveInvocationTarget(fn, qualifier, Math.random).record.config;
        const reserved = readModel.function(c.FunctionName)?.reservedConcurrency;
        return { functionName: c.FunctionName, version: c.Version, timeoutMs: c.Timeout * 1000, ...(reserved !== undefined ? { reserved } : {}) };
      },
      accountLimit: config.concurrencyLimit,
      committed: () => concurrency.committed(),
    })
    : dataPlane!.invoke;
  const eventQueue = stores.eventQueue;
  const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
  const asyncInvocation = createAsyncInvocation({
    queue: eventQueue,
    store,
    functions: readModel,
    targets: functions,
    invoker,
    arns,
    clock,
    uuid: randomUUID,
    log: (level, message) => { if (LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(config.logLevel)) log(`flint: ${level}: ${message}`); },
    timeScale: config.asyncRetryScale,
    options: { pollers: config.asyncPollers, visibilityMs: config.asyncVisibilityTimeoutMs, ...(config.asyncDeliveries === 'fixed' ? { adaptive: undefined } : {}) },
    metrics: lambdaMetrics,
    queues: sqs.port,
    ...(dataPlane?.cpu ? { cpu: dataPlane.cpu } : {}),
  });
  // Event source mappings poll the queues and brokers and invoke through the same data plane.
  const eventSources = createEventSources({
    config,
    ctx,
    clock,
    queues: opts.queues ?? sqs.port,
    invoker,
    checkAccess: (principal, action, resource) => access.checkAccess(principal, action, resource),
    reservedConcurrency: (fn) => {
      try {
        return concurrency.get({ FunctionName: fn }).ReservedConcurrentExecutions;
      } catch {
        return undefined; // the function is gone: its invocations fail and the messages stay
      }
    },
    log,
    ...(cluster?.mappingShards ? { ownership: cluster.mappingShards } : {}),
  });
  // Cluster: each mapping runs on one poller node (src/cluster/mapping-shards.ts).
  cluster?.mappingShards?.attach({ uuids: () => eventSources.mappings.all().map((m) => m.UUID), resync: () => eventSources.pollers.resync(), busy: (uuid) => eventSources.pollers.busy(uuid) });
  // A cluster's function logs are in PostgreSQL (stores.logs); a single node's in its data dir.
  const logStorage = stores.logs ?? dataPlane?.logs ?? new FileLogStorage(join(config.dataDir, 'log-groups'), () => clock.now());
  cloudWatch.start({ logs: logStorage, concurrency: () => dataPlane?.concurrency() ?? NO_CONCURRENCY });
  const aliases = new AliasService(ctx);
  const functionUrls = new FunctionUrlService(ctx, { randomBytes });
  // AWS Config's history of functions: a snapshot after each successful Lambda write (src/history).
  const controlReaders = { functions, aliases, policies, tags, concurrency, eventInvokeConfigs };
  const historyKey = keyring.derive('flint config history');
  const historyFingerprint = (v: string) => createHmac('sha256', historyKey).update(v).digest('hex').slice(0, 12);
  const configRecorder = new ConfigurationRecorder({ store, clock, accountId: config.accountId, region: config.region, read: (fn) => readFunctionState(controlReaders, fn, historyFingerprint) });
  // CloudWatch Logs over the storage the execution environments write (src/logs); retention hourly.
  const logGroups = new LogGroupService({ storage: logStorage, clock, region: config.region, accountId: config.accountId });
  const logEvents = new LogEventService({ storage: logStorage, groups: logGroups, clock });
  // Schedules (src/schedules): Scheduler's schedules and EventBridge's scheduled rules, fired by one
  // durable ticker through the async invoke path; dead-lettered events go to SQS queues.
  const schedules = createSchedules({
    queues: sqs.port,
    store: stores.schedules,
    clock,
    invoker: asyncInvocation.invoker,
    permissions: schedulePermissions({ access, store, accountId: config.accountId }),
    uuid: randomUUID,
    region: config.region,
    accountId: config.accountId,
    log,
  });

  const { api } = createFrontDoor({
    config, clock, log, ctx, access, kms, sqs, functions, aliases, layers, layerPolicies, policies, concurrency, provisioned, eventInvokeConfigs, tags,
    accountSettings, functionUrls, codeSigning, codeLocations, code, keyRotation, usage, metrics, configRecorder, logGroups, logEvents, auditTrail,
    cloudWatch, tracing, schedules, asyncInvocation, eventSources, invoker, dataPlane,
    ...(tls ? { tls: tlsServerOptions(await tls.load()) } : {}),
    ...(stores.refresh ? { beforeCall: controlPlaneRefresh(stores.refresh) } : {}),
  });
  for (const server of api.servers) guardHttpServer(server, { requestId: randomUUID, log });
  metrics.gauge('flint_async_events', 'Queued async events by state', ['state'], async () => {
    const m = await asyncInvocation.pollers.metrics();
    return Object.entries(m).filter(([, v]) => typeof v === 'number').map(([state, value]) => ({ labels: { state }, value: value as number }));
  });
  usage.expose(metrics);
  await dataPlane?.start();
  logGroups.start(3_600_000, (err) => log(`flint: log retention sweep failed: ${String(err)}`));
  // A worker-only node serves no AWS API: functions' SDKs go to FLINT_API_ENDPOINT (an api node).
  const addr = roles.has('api') ? await api.listen(config.port, config.host) : undefined;
  const endpoint = addr ? `${tls ? 'https' : 'http'}://${addr.address}:${addr.port}` : (config.apiEndpoint ?? '');
  if (dataPlane && !addr && !config.apiEndpoint) log('flint: WARNING: worker without FLINT_API_ENDPOINT (--api-endpoint): functions cannot reach the AWS APIs');
  const plain = addr && tls && config.plainPort !== undefined ? await api.listenPlain(config.plainPort) : undefined;
  if (endpoint) {
    dataPlane?.setEndpoint(config.apiEndpoint ?? endpoint);
    functionUrls.setEndpoint(config.apiEndpoint ?? endpoint);
  }
  if (roles.has('poller')) {
    asyncInvocation.pollers.start();
    eventSources.pollers.start();
  }
  // Schedules fire through one ticker: the leader's in a cluster (its store claims each tick once).
  await cluster?.start({
    ...(dataPlane ? { workerInvoker: dataPlane.invoke, idleEnvironments: (fn: string, version: string) => dataPlane.pool.environments(fn, version).filter((e) => !e.claimed && e.env.state === 'Ready').length } : {}),
    ...(addr ? { apiAddress: `${config.advertiseHost ?? addr.address}:${addr.port}`, apiUrl: `${tls ? 'https' : 'http'}://${config.advertiseHost ?? addr.address}:${addr.port}` } : {}),
    // The leader serves the SQS queues and fires the schedules.
    onLeader: (term) => {
      sqs.lead?.(term);
      if (term !== undefined) schedules.start();
      else void schedules.stop();
    },
  });
  if (!cluster) schedules.start();
  // Cluster pollers hear enqueues made on other nodes at once (NOTIFY); polling stays the fallback.
  const queueWakeups = cluster?.buckets ? await PgQueueWakeups.listen({ pool: cluster.pool, holdings: cluster.buckets, onWake: () => asyncInvocation.pollers.wake(), log: (level, m) => log(`flint: ${level}: ${m}`) }) : undefined;
  // A rotation a previous run left unfinished carries on in the background.
  keyRotation.start();
  // KMS: keys past their deletion window are deleted and due rotations happen (also lazily on use).
  kms.startSweeper(60_000, (err) => log(`flint: kms sweep failed: ${String(err)}`));
  // The local CA's server certificate is renewed when under 30 days remain: check daily, not only
  // at start and on SIGHUP, so a long-running server never serves an expired certificate.
  const tlsRenewal = tls ? setInterval(() => {
    tls.load().then((loaded) => api.setSecureContext(secureContextOptions(loaded)), (err: unknown) => log(`flint: TLS certificate renewal failed (the current one stays): ${String(err)}`));
  }, 24 * 3600_000) : undefined;
  tlsRenewal?.unref();
  audit.start();
  const codeCollector = new CodeCollector(ctx, { graceMs: config.codeCollectionMs });
  if (config.codeCollectionMs > 0) {
    codeCollector.start(
      config.codeCollectionMs,
      (r) => log(`flint: code collector removed ${r.removed} unreferenced archive(s), ${r.removedBytes} bytes; ${r.kept} kept`),
      (err) => log(`flint: code collector failed: ${String(err)}`),
    );
  }

  return {
    config,
    credentials,
    endpoint,
    ...(plain ? { plainEndpoint: `http://127.0.0.1:${plain.port}` } : {}),
    ...(tls?.caBundle ? { caBundle: tls.caBundle } : {}),
    async reloadTls() {
      if (!tls) return undefined;
      const loaded = await tls.load();
      api.setSecureContext(secureContextOptions(loaded));
      return { serial: loaded.serial, notAfter: loaded.notAfter };
    },
    functions,
    provisionedConcurrency: provisioned,
    audit: auditTrail,
    get dataPlane(): DataPlane {
      if (!dataPlane) throw new Error(`a ${config.role} node runs no execution environments`);
      return dataPlane;
    },
    cluster,
    asyncInvocation,
    schedules,
    tracing,
    codeCollector,
    keyRotation,
    eventSources,
    messageQueues: sqs.port,
    async stop() {
      if (tlsRenewal) clearInterval(tlsRenewal);
      await runShutdownSteps([
        ['key rotation', () => keyRotation.stop()],
        ['code collector', () => codeCollector.stop()],
        ['kms sweeper', () => kms.stop()],
        ['api listener', () => api.close()],
        // The last records are signed before the store closes: a clean stop leaves no unsigned tail.
        ['audit trail', () => audit.stop()],
        ['schedules', () => schedules.stop()],
        // Pollers stop before the data plane they invoke through and the store they ack into.
        ['async pollers', () => asyncInvocation.pollers.stop()],
        ['event source pollers', () => eventSources.pollers.stop()],
        ['queue wakeups', () => queueWakeups?.stop()],
        ['log retention', () => logGroups.stop()],
        ['sqs', () => sqs.close()],
        // Leaves the cluster (draining first) before its environments and connections go.
        ['cluster membership', () => cluster?.stop()],
        ['execution environments', () => dataPlane?.stop()],
        ['metrics', () => cloudWatch.stop()],
        ['tracing', () => tracing.close()],
        ['usage flush', () => usage.flush()],
        ['stores', () => stores.close()],
        ['cluster connections', () => cluster?.end()],
      ], log);
    },
  };
}
