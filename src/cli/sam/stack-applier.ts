import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteEventSourceMappingCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteFunctionUrlConfigCommand,
  DeleteLayerVersionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionUrlConfigCommand,
  type Cors,
  type FunctionConfiguration,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateScheduleCommand, CreateScheduleGroupCommand, DeleteScheduleCommand, GetScheduleGroupCommand, UpdateScheduleCommand, type FlexibleTimeWindowMode } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LOGICAL_ID_TAG, STACK_TAG, type DesiredFunction } from './desired-stack.js';
import type { StackClients } from './stack-clients.js';
import type { Plan, PlanEntry } from './stack-planner.js';
import type { SamTemplate } from './sam-template.js';

/**
 * Carries out a plan in dependency order — queues, roles, layers, functions, URLs, permissions,
 * event source mappings, schedules — then the deletions in reverse. Each step is an ordinary signed
 * API call; `report` gets one line per change made.
 */
export async function applyPlan(plan: Plan, template: SamTemplate, c: StackClients, report: (line: string) => void): Promise<void> {
  const entry = (logicalId: string, type?: string) => plan.entries.find((e) => e.logicalId === logicalId && (!type || e.type.startsWith(type)) && e.action !== 'delete' && e.action !== 'stale');
  const changed = (e: PlanEntry | undefined) => e?.action === 'create' || e?.action === 'update';
  const stackName = plan.stack.stackName;

  for (const q of plan.stack.queues) {
    const e = entry(q.logicalId);
    if (e?.action === 'create') {
      await c.sqs.send(new CreateQueueCommand({ QueueName: q.name, Attributes: q.attributes, tags: { [STACK_TAG]: stackName, [LOGICAL_ID_TAG]: q.logicalId } }));
    } else if (e?.action === 'update') {
      const url = (await c.sqs.send(new GetQueueUrlCommand({ QueueName: q.name }))).QueueUrl!;
      await c.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: q.attributes }));
    }
    if (changed(e)) report(`${e!.action}d queue ${q.name}`);
  }

  for (const r of plan.stack.roles) {
    const e = entry(r.logicalId, 'AWS::IAM::Role');
    if (!changed(e)) continue;
    const tags = [{ Key: STACK_TAG, Value: stackName }, { Key: LOGICAL_ID_TAG, Value: r.logicalId }];
    if (e!.action === 'create') {
      await c.iam.send(new CreateRoleCommand({ RoleName: r.name, Path: r.path, AssumeRolePolicyDocument: JSON.stringify(r.assumeRolePolicy), Tags: tags, ...(r.description ? { Description: r.description } : {}) }));
    } else {
      await c.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: JSON.stringify(r.assumeRolePolicy) }));
      await c.iam.send(new TagRoleCommand({ RoleName: r.name, Tags: tags }));
      for (const name of (await c.iam.send(new ListRolePoliciesCommand({ RoleName: r.name }))).PolicyNames ?? []) {
        if (!(name in r.inline)) await c.iam.send(new DeleteRolePolicyCommand({ RoleName: r.name, PolicyName: name }));
      }
      for (const p of (await c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.name }))).AttachedPolicies ?? []) {
        if (!r.managedPolicyArns.includes(p.PolicyArn!)) await c.iam.send(new DetachRolePolicyCommand({ RoleName: r.name, PolicyArn: p.PolicyArn! }));
      }
    }
    for (const [name, doc] of Object.entries(r.inline)) await c.iam.send(new PutRolePolicyCommand({ RoleName: r.name, PolicyName: name, PolicyDocument: JSON.stringify(doc) }));
    for (const arn of r.managedPolicyArns) await c.iam.send(new AttachRolePolicyCommand({ RoleName: r.name, PolicyArn: arn }));
    report(`${e!.action}d role ${r.name}`);
  }

  const layerArns = { ...plan.layerArns };
  for (const l of plan.stack.layers) {
    if (!plan.layersToPublish.has(l.logicalId)) continue;
    const out = await c.lambda.send(new PublishLayerVersionCommand({
      LayerName: l.name, Description: l.description, Content: { ZipFile: plan.archives.get(l.logicalId)!.zip },
      ...(l.compatibleRuntimes ? { CompatibleRuntimes: l.compatibleRuntimes as Runtime[] } : {}),
      ...(l.compatibleArchitectures ? { CompatibleArchitectures: l.compatibleArchitectures as never } : {}),
      ...(l.licenseInfo ? { LicenseInfo: l.licenseInfo } : {}),
    }));
    layerArns[l.logicalId] = out.LayerVersionArn!;
    report(`published layer ${out.LayerVersionArn}`);
  }
  // Functions are resolved again now that the layer versions are known.
  const stack = template.stack(layerArns);
  for (const f of stack.functions) {
    const pkg = plan.archives.get(f.logicalId);
    if (f.config.Runtime === undefined && pkg?.runtime) f.config.Runtime = pkg.runtime;
    if (f.config.Handler === undefined && pkg?.handler) f.config.Handler = pkg.handler;
  }

  for (const f of stack.functions) {
    const e = entry(f.logicalId, f.type);
    const pkg = plan.archives.get(f.logicalId)!;
    const current = await c.lambda.send(new GetFunctionCommand({ FunctionName: f.name })).catch((err: Error) => {
      if (err.name === 'ResourceNotFoundException') return undefined;
      throw err;
    });
    if (!current?.Configuration) {
      await c.lambda.send(new CreateFunctionCommand({ FunctionName: f.name, Code: { ZipFile: pkg.zip }, ...functionSettings(f), Tags: f.tags, ...(f.config.Architectures ? { Architectures: f.config.Architectures as never } : {}) }));
      await waitReady(c.lambda, f.name);
      if (f.reservedConcurrency !== undefined) await c.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: f.name, ReservedConcurrentExecutions: f.reservedConcurrency }));
      report(`created function ${f.name}`);
      continue;
    }
    // The layers' new versions make an "unchanged" function an update too.
    const stale = current.Configuration.CodeSha256 !== pkg.sha256;
    const layersMoved = JSON.stringify((current.Configuration.Layers ?? []).map((l) => l.Arn)) !== JSON.stringify(f.config.Layers);
    if (!changed(e) && !layersMoved) continue;
    if (stale) {
      await c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: f.name, ZipFile: pkg.zip }));
      await waitReady(c.lambda, f.name);
    }
    await c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: f.name, ...functionSettings(f) }));
    await waitReady(c.lambda, f.name);
    const arn = current.Configuration.FunctionArn!;
    const gone = Object.keys(current.Tags ?? {}).filter((k) => !(k in f.tags));
    if (gone.length) await c.lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: gone }));
    await c.lambda.send(new TagResourceCommand({ Resource: arn, Tags: f.tags }));
    if (f.reservedConcurrency !== undefined) await c.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: f.name, ReservedConcurrentExecutions: f.reservedConcurrency }));
    else if (current.Concurrency?.ReservedConcurrentExecutions !== undefined) await c.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: f.name }));
    report(`updated function ${f.name}`);
  }

  for (const u of stack.urls) {
    const e = entry(u.logicalId);
    if (!changed(e)) continue;
    const input = { FunctionName: u.functionName, AuthType: u.authType, ...(u.cors ? { Cors: u.cors as Cors } : {}) };
    const exists = await c.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: u.functionName })).catch(() => undefined);
    const out = exists ? await c.lambda.send(new UpdateFunctionUrlConfigCommand(input)) : await c.lambda.send(new CreateFunctionUrlConfigCommand(input));
    report(`${exists ? 'updated' : 'created'} function URL ${out.FunctionUrl}`);
  }

  for (const p of stack.permissions) {
    if (entry(p.logicalId)?.action !== 'create') continue;
    await c.lambda.send(new AddPermissionCommand({
      FunctionName: p.functionName, StatementId: p.statementId, Action: p.action, Principal: p.principal,
      ...(p.sourceArn ? { SourceArn: p.sourceArn } : {}), ...(p.sourceAccount ? { SourceAccount: p.sourceAccount } : {}),
      ...(p.functionUrlAuthType ? { FunctionUrlAuthType: p.functionUrlAuthType as 'NONE' } : {}),
    }));
    report(`added permission ${p.statementId} to ${p.functionName}`);
  }

  for (const m of stack.mappings) {
    const e = plan.entries.find((x) => x.logicalId === m.logicalId && x.type === 'AWS::Lambda::EventSourceMapping' && x.action !== 'delete' && x.action !== 'stale');
    if (e?.action === 'create') {
      const out = await c.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: m.functionName, EventSourceArn: m.eventSourceArn, ...(m.settings as object) }));
      report(`created event source mapping ${out.UUID} (${m.eventSourceArn} → ${m.functionName})`);
    } else if (e?.action === 'update') {
      await c.lambda.send(new UpdateEventSourceMappingCommand({ UUID: e.remove!.id, FunctionName: m.functionName, ...(m.settings as object) }));
      report(`updated event source mapping ${e.remove!.id}`);
    }
  }

  for (const g of stack.scheduleGroups) {
    const exists = await c.scheduler.send(new GetScheduleGroupCommand({ Name: g })).catch(() => undefined);
    if (!exists) {
      await c.scheduler.send(new CreateScheduleGroupCommand({ Name: g, Tags: [{ Key: STACK_TAG, Value: stackName }] }));
      report(`created schedule group ${g}`);
    }
  }
  for (const s of stack.schedules) {
    const e = entry(s.logicalId);
    if (!changed(e)) continue;
    const input = {
      Name: s.name, GroupName: s.group, ScheduleExpression: s.expression, State: s.state,
      FlexibleTimeWindow: { Mode: s.flexibleWindow.Mode as FlexibleTimeWindowMode, ...(s.flexibleWindow.MaximumWindowInMinutes ? { MaximumWindowInMinutes: s.flexibleWindow.MaximumWindowInMinutes } : {}) },
      Target: { Arn: s.functionArn, RoleArn: s.roleArn, ...(s.input !== undefined ? { Input: s.input } : {}) },
      ...(s.timezone ? { ScheduleExpressionTimezone: s.timezone } : {}),
      ...(s.description ? { Description: s.description } : {}),
    };
    if (e!.action === 'create') await c.scheduler.send(new CreateScheduleCommand(input));
    else await c.scheduler.send(new UpdateScheduleCommand(input));
    report(`${e!.action}d schedule ${s.group}/${s.name} (${s.expression})`);
  }

  // Deletions, dependents first.
  const order = ['schedule', 'mapping', 'permission', 'url', 'function', 'layer', 'role', 'queue'] as const;
  for (const kind of order) {
    for (const d of plan.entries.filter((x) => x.action === 'delete' && x.remove?.kind === kind)) {
      await remove(c, d);
      report(`deleted ${d.type} ${d.physical}`);
    }
  }
}

async function remove(c: StackClients, e: PlanEntry): Promise<void> {
  const r = e.remove!;
  switch (r.kind) {
    case 'schedule': await c.scheduler.send(new DeleteScheduleCommand({ Name: r.id, GroupName: r.extra })); break;
    case 'mapping': await c.lambda.send(new DeleteEventSourceMappingCommand({ UUID: r.id })); break;
    case 'permission': await c.lambda.send(new RemovePermissionCommand({ FunctionName: r.id, StatementId: r.extra })); break;
    case 'url': await c.lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: r.id })); break;
    case 'function': await c.lambda.send(new DeleteFunctionCommand({ FunctionName: r.id })); break;
    case 'layer': {
      const versions = (await c.lambda.send(new ListLayerVersionsCommand({ LayerName: r.id }))).LayerVersions ?? [];
      for (const v of versions) await c.lambda.send(new DeleteLayerVersionCommand({ LayerName: r.id, VersionNumber: v.Version! }));
      break;
    }
    case 'role': {
      for (const name of (await c.iam.send(new ListRolePoliciesCommand({ RoleName: r.id }))).PolicyNames ?? []) await c.iam.send(new DeleteRolePolicyCommand({ RoleName: r.id, PolicyName: name }));
      for (const p of (await c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.id }))).AttachedPolicies ?? []) await c.iam.send(new DetachRolePolicyCommand({ RoleName: r.id, PolicyArn: p.PolicyArn! }));
      await c.iam.send(new DeleteRoleCommand({ RoleName: r.id }));
      break;
    }
    case 'queue': await c.sqs.send(new DeleteQueueCommand({ QueueUrl: r.id })); break;
  }
}

function functionSettings(f: DesiredFunction) {
  const d = f.config;
  return {
    ...(d.Runtime !== undefined ? { Runtime: d.Runtime as Runtime } : {}),
    ...(d.Handler !== undefined ? { Handler: d.Handler } : {}),
    Role: d.Role, Description: d.Description, MemorySize: d.MemorySize, Timeout: d.Timeout,
    Environment: d.Environment, Layers: d.Layers,
    ...(d.EphemeralStorage ? { EphemeralStorage: d.EphemeralStorage } : {}),
    ...(d.TracingConfig ? { TracingConfig: { Mode: d.TracingConfig.Mode as 'Active' } } : {}),
  };
}

/** Like the SDK's function-active / function-updated waiters: Active and no update in progress. */
async function waitReady(lambda: LambdaClient, name: string): Promise<FunctionConfiguration> {
  for (let i = 0; i < 240; i++) {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') throw new Error(`function ${name} failed: ${c.StateReason ?? c.LastUpdateStatusReason}`);
    if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return c;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`function ${name} did not become Active within 24 s`);
}
