import { randomUUID } from 'node:crypto';
import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { Principal } from '../domain/principal.js';
import type { SyncInvoker } from '../ports/invoker.js';
import type { CodeStore } from '../ports/code-store.js';
import type { PrometheusMetrics } from '../observe/prometheus-metrics.js';
import { ApiServer } from '../api/api-server.js';
import type { TlsOptions } from 'node:tls';
import { SigV4Verifier } from '../api/sigv4-verifier.js';
import { FunctionUrlRoute } from '../api/function-url-route.js';
import { servedServices } from './served-services.js';
import { lambdaService } from './lambda-service.js';
import { iamHandlers } from '../api/handlers/iam-handlers.js';
import { stsHandlers } from '../api/handlers/sts-handlers.js';
import { kmsHandlers } from '../api/handlers/kms-handlers.js';
import { configHandlers } from '../api/handlers/config-handlers.js';
import { logsHandlers } from '../api/handlers/logs-handlers.js';
import { cloudWatchHandlers } from '../api/handlers/cloudwatch-handlers.js';
import { schedulerHandlers } from '../api/handlers/scheduler-handlers.js';
import { eventsHandlers } from '../api/handlers/events-handlers.js';
import { xrayHandlers } from '../api/handlers/xray-handlers.js';
import { cloudTrailHandlers, cloudTrailValidationSkips } from '../api/handlers/cloudtrail-handlers.js';
import { plainRoutes } from './plain-routes.js';
import { webConsoleRoutes } from './web-console.js';
import { VersionService } from '../control/version-service.js';
import { FunctionRuntimeSettingsService } from '../control/function-runtime-settings-service.js';
import type { ControlContext } from '../control/control-context.js';
import type { FunctionService } from '../control/function-service.js';
import type { AliasService } from '../control/alias-service.js';
import type { LayerService } from '../control/layer-service.js';
import type { LayerPolicyService } from '../control/layer-policy-service.js';
import type { PolicyService } from '../control/policy-service.js';
import type { ConcurrencyService } from '../control/concurrency-service.js';
import type { ProvisionedConcurrencyService } from '../control/provisioned-concurrency-service.js';
import type { EventInvokeConfigService } from '../control/event-invoke-config-service.js';
import type { TagService } from '../control/tag-service.js';
import type { AccountSettingsService } from '../control/account-settings-service.js';
import type { FunctionUrlService } from '../control/function-url-service.js';
import type { CodeSigningConfigService } from '../control/code-signing-config-service.js';
import type { CodeLocations } from '../control/code-location.js';
import type { MasterKeyRotation } from '../store/master-key-rotation.js';
import type { UsageMeter } from '../history/usage-meter.js';
import type { ConfigurationRecorder } from '../history/configuration-recorder.js';
import type { LogGroupService } from '../logs/log-group-service.js';
import type { LogEventService } from '../logs/log-event-service.js';
import type { AuditTrail } from '../observe/audit-trail.js';
import type { createIdentityAndAccess } from './identity-and-access.js';
import type { createKmsServices } from '../kms/kms-services.js';
import type { CloudWatchMetrics } from './cloudwatch-metrics.js';
import type { Tracing } from './tracing.js';
import type { SqsService } from './sqs-service.js';
import type { Schedules } from '../schedules/schedules.js';
import type { AsyncInvocation } from '../invoke/async/async-invocation.js';
import type { EventSources } from './event-sources.js';
import type { DataPlane } from './data-plane.js';

/** The control-plane services and stores the front door serves (built by the composition root). */
export interface FrontDoorDeps {
  config: FlintConfig;
  clock: Clock;
  log(line: string): void;
  ctx: ControlContext;
  access: ReturnType<typeof createIdentityAndAccess>;
  kms: ReturnType<typeof createKmsServices>;
  sqs: SqsService;
  functions: FunctionService;
  aliases: AliasService;
  layers: LayerService;
  layerPolicies: LayerPolicyService;
  policies: PolicyService;
  concurrency: ConcurrencyService;
  provisioned: ProvisionedConcurrencyService;
  eventInvokeConfigs: EventInvokeConfigService;
  tags: TagService;
  accountSettings: AccountSettingsService;
  functionUrls: FunctionUrlService;
  codeSigning: CodeSigningConfigService;
  codeLocations: CodeLocations;
  code: CodeStore;
  keyRotation: MasterKeyRotation;
  usage: UsageMeter;
  metrics: PrometheusMetrics;
  configRecorder: ConfigurationRecorder;
  logGroups: LogGroupService;
  logEvents: LogEventService;
  auditTrail: AuditTrail;
  cloudWatch: CloudWatchMetrics;
  tracing: Tracing;
  schedules: Schedules;
  asyncInvocation: AsyncInvocation;
  eventSources: EventSources;
  /** The sync data plane as the front door sees it: local, or routed to workers (cluster mode). */
  invoker: SyncInvoker;
  /** The local data plane, on nodes that run environments (the console's environment view, `flint dev`). */
  dataPlane: DataPlane | undefined;
  tls?: TlsOptions;
  beforeCall?: (service: string, operation: string | undefined) => Promise<void> | undefined;
}

/** The one front door (docs/design.md): every served AWS service, function URLs and the plain routes. */
export function createFrontDoor(d: FrontDoorDeps): { api: ApiServer; verifier: SigV4Verifier } {
  const { config, clock, log, ctx, access, kms, sqs, functions, aliases, layers, layerPolicies, policies, concurrency, provisioned, eventInvokeConfigs, tags, accountSettings, functionUrls, codeSigning } = d;
  const { codeLocations, code, keyRotation, usage, metrics, configRecorder, logGroups, logEvents, auditTrail, cloudWatch, tracing, schedules, asyncInvocation, eventSources, dataPlane } = d;
  const verifier = new SigV4Verifier({
    region: config.region,
    now: () => clock.now(),
    // Root, IAM users' active keys, STS sessions and execution environments' role sessions.
    lookup: (id) => access.iam.credentials.lookup(id),
  });
  const api = new ApiServer({
    services: servedServices({
      lambda: lambdaService({
        functions,
        roles: access.iam.roleDirectory,
        versions: new VersionService(ctx),
        aliases,
        layers,
        layerPolicies,
        policies,
        concurrency,
        provisioned,
        eventInvokeConfigs,
        tags,
        accountSettings,
        functionUrls,
        invoke: { invoke: d.invoker, events: asyncInvocation.invoker },
        eventSourceMappings: eventSources.mappings,
        codeSigning,
        runtimeSettings: new FunctionRuntimeSettingsService(ctx),
      }),
      iam: iamHandlers(access.iam),
      sts: stsHandlers(access.iam),
      kms: kmsHandlers(kms),
      config: configHandlers(configRecorder),
      logs: logsHandlers(logGroups, logEvents),
      cloudtrail: { handlers: cloudTrailHandlers(auditTrail), validationSkips: cloudTrailValidationSkips },
      cloudwatch: cloudWatchHandlers(cloudWatch.recorder),
      xray: xrayHandlers(tracing.xray),
      sqs: sqs.handlers,
      events: eventsHandlers(schedules.rules),
      scheduler: schedulerHandlers(schedules.scheduler),
    }),
    verifier,
    ...(d.tls ? { tls: d.tls, plainLoopback: config.plainPort !== undefined } : {}),
    ...(d.beforeCall ? { beforeCall: d.beforeCall } : {}),
    ...(sqs.forwarder ? { forwarder: sqs.forwarder } : {}),
    authorize: (req) => access.authorize(req),
    // IAM users' long-term keys only: root and session keys have no last-used record.
    onVerified: (credential, service, region) => { if (credential.principal.type === 'User' && credential.sessionToken === undefined) access.iam.accessKeys.recordUse(credential.accessKeyId, service, region); },
    checkAccess: (principal, action, resource, context) => access.checkAccess(principal, action, resource, context),
    onCall: (call) => {
      auditTrail.onCall(call);
      try {
        configRecorder.onCall(call);
      } catch (err) {
        log(`flint: configuration history not recorded for ${call.operation}: ${String(err)}`);
      }
    },
    logError: (err) => log(`flint: internal error: ${(err as Error)?.stack ?? String(err)}`),
    frontRoutes: [new FunctionUrlRoute({
      region: config.region,
      accountId: config.accountId,
      target: (id) => functionUrls.target(id),
      domainName: (id) => functionUrls.domainName(id),
      verifier,
      allowed: (caller, arn, authType) => access.allowsFunctionUrl(caller, arn, authType),
      invoker: d.invoker,
      now: () => clock.now(),
      uuid: randomUUID,
      logError: (err) => log(`flint: function URL: internal error: ${(err as Error)?.stack ?? String(err)}`),
    })],
    plainRoutes: [
      ...(dataPlane ? webConsoleRoutes({ verifier, access, pool: dataPlane.pool, sandboxDriver: dataPlane.driver.name, clock, region: config.region, dataDir: config.dataDir, log }) : []),
      ...plainRoutes({
        codeLocations, code, keyRotation, verifier, usage, asyncInvocation, metrics, log,
        ...(dataPlane ? {
          dev: {
            sessions: dataPlane.dev,
            checkAccess: (principal: Principal, action: string, resource: string) => access.checkAccess(principal, action, resource),
            lookup: (fn: string) => { const c = functions.getVersion(fn).config; return { name: c.FunctionName, arn: c.FunctionArn }; },
            dataDir: config.dataDir,
            sandboxOwnUser: dataPlane.driver.name !== 'process',
          },
        } : {}),
      }),
    ],
  });
  return { api, verifier };
}
