import { createHash } from 'node:crypto';
import {
  GetFunctionCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  GetLayerVersionCommand,
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { GetRoleCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, GetRolePolicyCommand, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { GetScheduleCommand, ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import { LOGICAL_ID_TAG, STACK_TAG, type DesiredFunction, type DesiredLayer, type DesiredStack } from './desired-stack.js';
import type { StackClients } from './stack-clients.js';
import type { SamTemplate } from './sam-template.js';
import { packageCode, packageFolder, type CodePackage } from './code-package.js';

export type PlanAction = 'create' | 'update' | 'same' | 'delete' | 'stale' | 'skip';

/** One line of the plan: what happens to one resource, and why. */
export interface PlanEntry {
  action: PlanAction;
  type: string;
  logicalId: string;
  physical: string;
  /** Changed members (update), routes (URLs), or the reason (skip / stale). */
  detail?: string;
  /** For deletes: what to call to remove it. */
  remove?: { kind: 'function' | 'role' | 'layer' | 'queue' | 'schedule' | 'permission' | 'mapping' | 'url'; id: string; extra?: string };
}

export interface Plan {
  stack: DesiredStack;
  entries: PlanEntry[];
  /** Packaged archives by function / layer logical id (built once, uploaded by apply). */
  archives: Map<string, CodePackage>;
  /** Layer logical id → version ARN to use (current when unchanged). */
  layerArns: Record<string, string>;
  /** Layers that need a new version. */
  layersToPublish: Set<string>;
  /** Lines from packaging (guessed runtime/handler, ignore file), printed under the plan. */
  notes: string[];
}

const notFound = (err: unknown) => ['ResourceNotFoundException', 'NoSuchEntityException', 'NoSuchEntity', 'AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist'].includes((err as Error).name);

async function maybe<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

/**
 * Reads what exists through the ordinary APIs and compares it with the template: the plan that
 * `--dry-run` prints and `flint deploy --template` carries out. Nothing is changed here.
 */
export async function planStack(template: SamTemplate, c: StackClients, opts: { prune: boolean }): Promise<Plan> {
  const archives = new Map<string, CodePackage>();
  const entries: PlanEntry[] = [];
  const layerArns: Record<string, string> = {};
  const layersToPublish = new Set<string>();
  const notes: string[] = [];

  for (const layer of template.layers()) {
    const pkg = await packageFolder(layer.contentDir);
    archives.set(layer.logicalId, pkg);
    const current = await latestLayer(c, layer.name);
    const changes = current ? layerChanges(layer, current, pkg.sha256) : [];
    if (!current || changes.length > 0) {
      layersToPublish.add(layer.logicalId);
      const next = (current?.version ?? 0) + 1;
      layerArns[layer.logicalId] = `arn:aws:lambda:${c.region}:${c.accountId}:layer:${layer.name}:${next}`;
      entries.push({ action: current ? 'update' : 'create', type: layer.type, logicalId: layer.logicalId, physical: layer.name, detail: current ? `new version ${next}: ${changes.join(', ')}` : 'version 1' });
    } else {
      layerArns[layer.logicalId] = current.arn;
      entries.push({ action: 'same', type: layer.type, logicalId: layer.logicalId, physical: `${layer.name}:${current.version}` });
    }
  }

  const stack = template.stack(layerArns);

  for (const q of stack.queues) {
    const url = (await maybe(c.sqs.send(new GetQueueUrlCommand({ QueueName: q.name }))))?.QueueUrl;
    if (!url) { entries.push({ action: 'create', type: q.type, logicalId: q.logicalId, physical: q.name }); continue; }
    const attrs: Record<string, string> = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    const changed = Object.entries(q.attributes).filter(([k, v]) => attrs[k] !== v).map(([k]) => k);
    entries.push({ action: changed.length ? 'update' : 'same', type: q.type, logicalId: q.logicalId, physical: q.name, ...(changed.length ? { detail: changed.join(', ') } : {}) });
  }

  for (const r of stack.roles) {
    const current = await maybe(c.iam.send(new GetRoleCommand({ RoleName: r.name })));
    if (!current) { entries.push({ action: 'create', type: r.type, logicalId: r.logicalId, physical: r.name }); continue; }
    const changes: string[] = [];
    const trust = JSON.parse(decodeURIComponent(current.Role?.AssumeRolePolicyDocument ?? '{}'));
    if (!sameJson(trust, r.assumeRolePolicy)) changes.push('AssumeRolePolicyDocument');
    const inlineNames = (await c.iam.send(new ListRolePoliciesCommand({ RoleName: r.name }))).PolicyNames ?? [];
    for (const [name, doc] of Object.entries(r.inline)) {
      if (!inlineNames.includes(name)) { changes.push(`policy ${name}`); continue; }
      const got = await c.iam.send(new GetRolePolicyCommand({ RoleName: r.name, PolicyName: name }));
      if (!sameJson(JSON.parse(decodeURIComponent(got.PolicyDocument ?? '{}')), doc)) changes.push(`policy ${name}`);
    }
    for (const name of inlineNames) if (!(name in r.inline)) changes.push(`policy ${name} (removed)`);
    const attached = ((await c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn!);
    if (!sameSet(attached, r.managedPolicyArns)) changes.push('ManagedPolicyArns');
    entries.push({ action: changes.length ? 'update' : 'same', type: r.type, logicalId: r.logicalId, physical: r.name, ...(changes.length ? { detail: changes.join(', ') } : {}) });
  }

  const existing = new Map<string, FunctionConfiguration>();
  for (const f of stack.functions) {
    const pkg = await packageCode(f.code, { runtime: f.config.Runtime, handler: f.config.Handler });
    archives.set(f.logicalId, pkg);
    // A template without Runtime/Handler gets the packaging's guess (said in the plan's notes).
    if (f.config.Runtime === undefined && pkg.runtime) f.config.Runtime = pkg.runtime;
    if (f.config.Handler === undefined && pkg.handler) f.config.Handler = pkg.handler;
    for (const n of pkg.notes) notes.push(`${f.logicalId}: ${n}`);
    const got = await maybe(c.lambda.send(new GetFunctionCommand({ FunctionName: f.name })));
    if (!got?.Configuration) { entries.push({ action: 'create', type: f.type, logicalId: f.logicalId, physical: f.name }); continue; }
    existing.set(f.name, got.Configuration);
    const changes = functionChanges(f, got.Configuration, pkg.sha256, got.Tags ?? {}, got.Concurrency?.ReservedConcurrentExecutions);
    entries.push({ action: changes.length ? 'update' : 'same', type: f.type, logicalId: f.logicalId, physical: f.name, ...(changes.length ? { detail: changes.join(', ') } : {}) });
  }

  for (const u of stack.urls) {
    const routes = u.routes.length ? `routes ${u.routes.join(', ')} → function URL (it serves every path)` : undefined;
    const current = existing.has(u.functionName) ? await maybe(c.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: u.functionName }))) : undefined;
    const changed = current && (current.AuthType !== u.authType || !sameJson(current.Cors ?? {}, u.cors ?? {}));
    entries.push({ action: !current ? 'create' : changed ? 'update' : 'same', type: u.type, logicalId: u.logicalId, physical: u.functionName, ...(routes ? { detail: routes } : {}) });
  }

  const policies = new Map<string, Array<{ Sid: string }>>();
  for (const name of existing.keys()) {
    const got = await maybe(c.lambda.send(new GetPolicyCommand({ FunctionName: name })));
    policies.set(name, got?.Policy ? (JSON.parse(got.Policy).Statement as Array<{ Sid: string }>) : []);
  }
  for (const p of stack.permissions) {
    const has = policies.get(p.functionName)?.some((s) => s.Sid === p.statementId);
    entries.push({ action: has ? 'same' : 'create', type: p.type, logicalId: p.logicalId, physical: `${p.functionName} ${p.statementId}` });
  }

  const mappings = new Map<string, EventSourceMappingConfiguration[]>();
  for (const name of existing.keys()) {
    mappings.set(name, (await c.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: name }))).EventSourceMappings ?? []);
  }
  for (const m of stack.mappings) {
    const current = mappings.get(m.functionName)?.find((x) => x.EventSourceArn === m.eventSourceArn);
    const changed = current && ((m.settings.BatchSize !== undefined && current.BatchSize !== m.settings.BatchSize)
      || (m.settings.Enabled !== undefined && (current.State === 'Disabled' || current.State === 'Disabling') === m.settings.Enabled)
      || (m.settings.MaximumBatchingWindowInSeconds !== undefined && current.MaximumBatchingWindowInSeconds !== m.settings.MaximumBatchingWindowInSeconds));
    entries.push({ action: !current ? 'create' : changed ? 'update' : 'same', type: 'AWS::Lambda::EventSourceMapping', logicalId: m.logicalId, physical: `${m.functionName} ← ${m.eventSourceArn}`, ...(current ? { remove: { kind: 'mapping', id: current.UUID! } } : {}) });
  }

  for (const s of stack.schedules) {
    const current = await maybe(c.scheduler.send(new GetScheduleCommand({ Name: s.name, GroupName: s.group })));
    const changes: string[] = [];
    if (current) {
      if (current.ScheduleExpression !== s.expression) changes.push('ScheduleExpression');
      if ((current.ScheduleExpressionTimezone ?? 'UTC') !== (s.timezone ?? 'UTC')) changes.push('ScheduleExpressionTimezone');
      if (current.State !== s.state) changes.push('State');
      if (current.Target?.Arn !== s.functionArn || current.Target?.RoleArn !== s.roleArn) changes.push('Target');
      if ((current.Target?.Input ?? undefined) !== s.input) changes.push('Input');
    }
    entries.push({ action: !current ? 'create' : changes.length ? 'update' : 'same', type: `AWS::Scheduler::Schedule (${s.type})`, logicalId: s.logicalId, physical: `${s.group}/${s.name}`, ...(changes.length ? { detail: changes.join(', ') } : {}) });
  }

  for (const sk of stack.skipped) entries.push({ action: 'skip', type: sk.type, logicalId: sk.logicalId, physical: '-', detail: sk.reason });

  entries.push(...(await leftovers(stack, c, existing, policies, mappings, opts.prune)));
  return { stack, entries, archives, layerArns, layersToPublish, notes };
}

/** What the stack made before and the template no longer has: deleted with --prune, else listed as stale. */
async function leftovers(
  stack: DesiredStack,
  c: StackClients,
  existing: Map<string, FunctionConfiguration>,
  policies: Map<string, Array<{ Sid: string }>>,
  mappings: Map<string, EventSourceMappingConfiguration[]>,
  prune: boolean,
): Promise<PlanEntry[]> {
  const out: PlanEntry[] = [];
  const action: PlanAction = prune ? 'delete' : 'stale';
  const why = prune ? 'not in the template' : 'not in the template; --prune deletes it';
  const name = stack.stackName;

  let marker: string | undefined;
  const wanted = new Set(stack.functions.map((f) => f.name));
  do {
    const page = await c.lambda.send(new ListFunctionsCommand({ Marker: marker }));
    for (const f of page.Functions ?? []) {
      if (wanted.has(f.FunctionName!)) continue;
      const tags = (await maybe(c.lambda.send(new GetFunctionCommand({ FunctionName: f.FunctionName! }))))?.Tags ?? {};
      if (tags[STACK_TAG] !== name) continue;
      out.push({ action, type: 'AWS::Lambda::Function', logicalId: tags[LOGICAL_ID_TAG] ?? '-', physical: f.FunctionName!, detail: why, remove: { kind: 'function', id: f.FunctionName! } });
    }
    marker = page.NextMarker;
  } while (marker);

  for (const [fn, statements] of policies) {
    const keep = new Set(stack.permissions.filter((p) => p.functionName === fn).map((p) => p.statementId));
    for (const s of statements) {
      if (s.Sid.startsWith(`${name}-`) && !keep.has(s.Sid)) out.push({ action, type: 'AWS::Lambda::Permission', logicalId: s.Sid.slice(name.length + 1), physical: `${fn} ${s.Sid}`, detail: why, remove: { kind: 'permission', id: fn, extra: s.Sid } });
    }
  }
  for (const [fn, list] of mappings) {
    const keep = new Set(stack.mappings.filter((m) => m.functionName === fn).map((m) => m.eventSourceArn));
    for (const m of list) {
      if (!keep.has(m.EventSourceArn!)) out.push({ action, type: 'AWS::Lambda::EventSourceMapping', logicalId: '-', physical: `${fn} ← ${m.EventSourceArn}`, detail: why, remove: { kind: 'mapping', id: m.UUID! } });
    }
  }
  for (const fn of existing.keys()) {
    if (stack.urls.some((u) => u.functionName === fn)) continue;
    const url = await maybe(c.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: fn })));
    if (url) out.push({ action, type: 'AWS::Lambda::Url', logicalId: '-', physical: fn, detail: why, remove: { kind: 'url', id: fn } });
  }

  const wantedRoles = new Set(stack.roles.map((r) => r.name));
  let roleMarker: string | undefined;
  do {
    const page = await c.iam.send(new ListRolesCommand({ Marker: roleMarker }));
    for (const r of page.Roles ?? []) {
      if (wantedRoles.has(r.RoleName!)) continue;
      const tags = (await c.iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))).Tags ?? [];
      if (!tags.some((t) => t.Key === STACK_TAG && t.Value === name)) continue;
      const logical = tags.find((t) => t.Key === LOGICAL_ID_TAG)?.Value ?? '-';
      out.push({ action, type: 'AWS::IAM::Role', logicalId: logical, physical: r.RoleName!, detail: why, remove: { kind: 'role', id: r.RoleName! } });
    }
    roleMarker = page.IsTruncated ? page.Marker : undefined;
  } while (roleMarker);

  // Layers cannot be tagged: the stack's are those named <stack>-<LogicalId> (LayerName unset).
  const wantedLayers = new Set(stack.layers.map((l) => l.name));
  for (const l of (await c.lambda.send(new ListLayersCommand({}))).Layers ?? []) {
    if (!l.LayerName!.startsWith(`${name}-`) || wantedLayers.has(l.LayerName!)) continue;
    out.push({ action, type: 'AWS::Lambda::LayerVersion', logicalId: l.LayerName!.slice(name.length + 1), physical: l.LayerName!, detail: why, remove: { kind: 'layer', id: l.LayerName! } });
  }

  const wantedSchedules = new Set(stack.schedules.map((s) => `${s.group}/${s.name}`));
  const groups = await maybe(c.scheduler.send(new ListSchedulesCommand({ GroupName: name })));
  for (const s of groups?.Schedules ?? []) {
    if (wantedSchedules.has(`${name}/${s.Name}`)) continue;
    out.push({ action, type: 'AWS::Scheduler::Schedule', logicalId: s.Name!, physical: `${name}/${s.Name}`, detail: why, remove: { kind: 'schedule', id: s.Name!, extra: name } });
  }

  const wantedQueues = new Set(stack.queues.map((q) => q.name));
  const queues = (await c.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${name}-` }))).QueueUrls ?? [];
  for (const url of queues) {
    const qname = url.slice(url.lastIndexOf('/') + 1);
    if (wantedQueues.has(qname)) continue;
    const tags = (await c.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
    if (tags[STACK_TAG] !== name) continue;
    out.push({ action, type: 'AWS::SQS::Queue', logicalId: tags[LOGICAL_ID_TAG] ?? '-', physical: qname, detail: why, remove: { kind: 'queue', id: url } });
  }
  return out;
}

async function latestLayer(c: StackClients, name: string): Promise<{ version: number; arn: string; sha256: string; description: string; runtimes: string[] } | undefined> {
  const versions = (await maybe(c.lambda.send(new ListLayerVersionsCommand({ LayerName: name }))))?.LayerVersions ?? [];
  const latest = versions.sort((a, b) => (b.Version ?? 0) - (a.Version ?? 0))[0];
  if (!latest) return undefined;
  const full = await c.lambda.send(new GetLayerVersionCommand({ LayerName: name, VersionNumber: latest.Version! }));
  return { version: latest.Version!, arn: latest.LayerVersionArn!, sha256: full.Content?.CodeSha256 ?? '', description: full.Description ?? '', runtimes: full.CompatibleRuntimes ?? [] };
}

function layerChanges(l: DesiredLayer, current: { sha256: string; description: string; runtimes: string[] }, sha256: string): string[] {
  const out: string[] = [];
  if (current.sha256 !== sha256) out.push('content');
  if (current.description !== l.description) out.push('Description');
  if (!sameSet(current.runtimes, l.compatibleRuntimes ?? [])) out.push('CompatibleRuntimes');
  return out;
}

/** The members of a function that differ from the template (code by CodeSha256). */
export function functionChanges(f: DesiredFunction, current: FunctionConfiguration, sha256: string, tags: Record<string, string>, concurrency: number | undefined): string[] {
  const out: string[] = [];
  const d = f.config;
  if (current.CodeSha256 !== sha256) out.push('code');
  if (d.Runtime !== undefined && current.Runtime !== d.Runtime) out.push('Runtime');
  if (d.Handler !== undefined && current.Handler !== d.Handler) out.push('Handler');
  if (current.Role !== d.Role) out.push('Role');
  if ((current.Description ?? '') !== d.Description) out.push('Description');
  if (current.MemorySize !== d.MemorySize) out.push('MemorySize');
  if (current.Timeout !== d.Timeout) out.push('Timeout');
  if (!sameJson(current.Environment?.Variables ?? {}, d.Environment.Variables)) out.push('Environment');
  if (!sameJson((current.Layers ?? []).map((l) => l.Arn), d.Layers)) out.push('Layers');
  if (d.EphemeralStorage && current.EphemeralStorage?.Size !== d.EphemeralStorage.Size) out.push('EphemeralStorage');
  if (d.TracingConfig && current.TracingConfig?.Mode !== d.TracingConfig.Mode) out.push('TracingConfig');
  if (!sameJson(tags, f.tags)) out.push('Tags');
  if (concurrency !== f.reservedConcurrency) out.push('ReservedConcurrentExecutions');
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

export function sha256Base64(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('base64');
}
