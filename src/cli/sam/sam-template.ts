import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve as resolvePath, basename } from 'node:path';
import { parseTemplateText } from './cfn-yaml.js';
import { IntrinsicResolver, NO_VALUE } from './intrinsics.js';
import { expandPolicies } from './policy-templates.js';
import { TemplateError } from './template-error.js';
import { functionNameOf, inlineFile, mappingSettings, mergeGlobals, num, req, resolveParameters, str } from './template-values.js';
import {
  LOGICAL_ID_TAG,
  STACK_TAG,
  type DesiredFunction,
  type DesiredLayer,
  type DesiredStack,
  type FunctionCode,
} from './desired-stack.js';

export interface StackSettings {
  stackName: string;
  region: string;
  accountId: string;
  partition?: string;
  /** `--parameter-overrides Key=Value …`. */
  parameterOverrides?: Record<string, string>;
  /** The endpoint queue URLs are formed on (`Ref` of an AWS::SQS::Queue). */
  endpoint?: string;
}

type Props = Record<string, unknown>;
type ResolvedSettings = Required<Omit<StackSettings, 'parameterOverrides' | 'endpoint'>> & { endpoint: string };
interface RawResource { Type: string; Properties?: Props; Condition?: string; DependsOn?: unknown }

const BASIC_EXECUTION = 'AWSLambdaBasicExecutionRole';
const LAMBDA_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] };
const SCHEDULER_TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['scheduler.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] };
/** The stack-wide role Scheduler assumes for schedules that name none (SAM makes one per event). */
export const SCHEDULER_ROLE_ID = 'FlintSchedulerRole';

/** Resource types Flint does not run; named in the plan as skipped, never silently dropped. */
const SKIP_REASONS: Record<string, string> = {
  'AWS::Serverless::Api': 'Flint has no API Gateway: Api events become function URLs',
  'AWS::Serverless::HttpApi': 'Flint has no API Gateway: HttpApi events become function URLs',
  'AWS::Lambda::Version': 'versions are not managed by flint deploy --template',
  'AWS::Lambda::Alias': 'aliases are not managed by flint deploy --template',
};

/**
 * An AWS SAM template (or a plain CloudFormation one with AWS::Lambda::* resources), read once and
 * turned into the resources Flint creates. Intrinsics resolve against parameters (defaults, then
 * `--parameter-overrides`), pseudo parameters and conditions; resource references resolve to the
 * physical names Flint gives (`FunctionName` etc. when set, else `<stack>-<LogicalId>`).
 */
export class SamTemplate {
  readonly file: string;
  readonly dir: string;
  readonly #settings: ResolvedSettings;
  readonly #resources: Record<string, RawResource>;
  readonly #globals: Props;
  readonly #resolver: IntrinsicResolver;
  /** Layer version ARNs once known (plan: the current or next version; apply: the published one). */
  #layerArns: Record<string, string> = {};

  constructor(file: string, settings: StackSettings) {
    this.file = resolvePath(file);
    this.dir = dirname(this.file);
    this.#settings = { partition: 'aws', endpoint: 'http://127.0.0.1:9000', ...settings } as ResolvedSettings;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      throw new TemplateError(`${file}: cannot read the template`);
    }
    const t = parseTemplateText(text, basename(file));
    const resources = t['Resources'];
    if (!resources || typeof resources !== 'object' || Array.isArray(resources) || Object.keys(resources).length === 0) {
      throw new TemplateError(`${basename(file)}: the template has no Resources`);
    }
    for (const [id, r] of Object.entries(resources as Record<string, unknown>)) {
      if (!r || typeof r !== 'object' || typeof (r as RawResource).Type !== 'string') throw new TemplateError(`Resources.${id}: a resource needs a Type`);
      if (!/^[A-Za-z0-9]+$/.test(id)) throw new TemplateError(`Resources.${id}: logical ids are alphanumeric`);
    }
    this.#resources = resources as Record<string, RawResource>;
    this.#globals = ((t['Globals'] as Props | undefined)?.['Function'] as Props | undefined) ?? {};
    const parameters = resolveParameters((t['Parameters'] ?? {}) as Record<string, Props>, settings.parameterOverrides ?? {});
    this.#resolver = new IntrinsicResolver({
      parameters,
      pseudo: { region: this.#settings.region, accountId: this.#settings.accountId, stackName: this.#settings.stackName, partition: this.#settings.partition },
      conditions: (t['Conditions'] ?? {}) as Record<string, unknown>,
      mappings: (t['Mappings'] ?? {}) as Record<string, Record<string, Record<string, unknown>>>,
      ref: (id) => this.#ref(id),
      getAtt: (id, attr) => this.#getAtt(id, attr),
    });
  }

  /** The layers, resolved first: functions refer to their version ARNs. */
  layers(): DesiredLayer[] {
    const out: DesiredLayer[] = [];
    for (const [id, r] of this.#active()) {
      if (r.Type !== 'AWS::Serverless::LayerVersion' && r.Type !== 'AWS::Lambda::LayerVersion') continue;
      const p = this.#props(id);
      const content = r.Type === 'AWS::Serverless::LayerVersion' ? p['ContentUri'] : p['Content'];
      out.push({
        logicalId: id,
        type: r.Type,
        name: this.#layerName(id),
        contentDir: this.#folder(content, `Resources.${id}.Properties.${r.Type === 'AWS::Serverless::LayerVersion' ? 'ContentUri' : 'Content'}`),
        description: str(p['Description']) ?? '',
        ...(p['CompatibleRuntimes'] ? { compatibleRuntimes: p['CompatibleRuntimes'] as string[] } : {}),
        ...(p['CompatibleArchitectures'] ? { compatibleArchitectures: p['CompatibleArchitectures'] as string[] } : {}),
        ...(p['LicenseInfo'] ? { licenseInfo: String(p['LicenseInfo']) } : {}),
      });
    }
    return out;
  }

  /** Everything else, with layer references resolved to `layerArns` (logical id → version ARN). */
  stack(layerArns: Record<string, string>): DesiredStack {
    this.#layerArns = layerArns;
    const s = this.#settings;
    const stack: DesiredStack = {
      stackName: s.stackName, roles: [], layers: this.layers(), queues: [], functions: [], urls: [], permissions: [], schedules: [], mappings: [], skipped: [], scheduleGroups: [],
    };
    for (const [id, r] of this.#active()) {
      const at = `Resources.${id}`;
      switch (r.Type) {
        case 'AWS::Serverless::Function': this.#serverlessFunction(id, stack); break;
        case 'AWS::Lambda::Function': stack.functions.push(this.#lambdaFunction(id)); break;
        case 'AWS::Serverless::LayerVersion': case 'AWS::Lambda::LayerVersion': break;
        case 'AWS::IAM::Role': {
          const p = this.#props(id);
          const inline: Record<string, Record<string, unknown>> = {};
          for (const [i, pol] of ((p['Policies'] ?? []) as Props[]).entries()) {
            const name = str(pol['PolicyName']);
            if (!name || !pol['PolicyDocument']) throw new TemplateError(`${at}.Properties.Policies[${i}]: PolicyName and PolicyDocument are required`);
            inline[name] = pol['PolicyDocument'] as Record<string, unknown>;
          }
          if (!p['AssumeRolePolicyDocument']) throw new TemplateError(`${at}.Properties.AssumeRolePolicyDocument is required`);
          stack.roles.push({
            logicalId: id, type: r.Type, name: this.#roleName(id), arn: this.#roleArn(id), path: str(p['Path']) ?? '/',
            ...(p['Description'] ? { description: String(p['Description']) } : {}),
            assumeRolePolicy: p['AssumeRolePolicyDocument'] as Record<string, unknown>,
            inline, managedPolicyArns: (p['ManagedPolicyArns'] ?? []) as string[],
          });
          break;
        }
        case 'AWS::SQS::Queue': {
          const p = this.#props(id);
          const attributes: Record<string, string> = {};
          for (const k of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize', 'FifoQueue', 'ContentBasedDeduplication']) {
            if (p[k] !== undefined) attributes[k] = String(p[k]);
          }
          if (p['RedrivePolicy'] !== undefined) attributes['RedrivePolicy'] = JSON.stringify(p['RedrivePolicy']);
          stack.queues.push({ logicalId: id, type: r.Type, name: this.#queueName(id), attributes });
          break;
        }
        case 'AWS::Lambda::Url': {
          const p = this.#props(id);
          stack.urls.push({
            logicalId: id, type: r.Type, functionName: functionNameOf(req(p['TargetFunctionArn'], `${at}.Properties.TargetFunctionArn`)),
            authType: (str(p['AuthType']) ?? 'NONE') as 'NONE', ...(p['Cors'] ? { cors: p['Cors'] as Props } : {}), routes: [],
          });
          break;
        }
        case 'AWS::Lambda::Permission': {
          const p = this.#props(id);
          stack.permissions.push({
            logicalId: id, type: r.Type, functionName: functionNameOf(req(p['FunctionName'], `${at}.Properties.FunctionName`)),
            statementId: `${s.stackName}-${id}`, action: req(p['Action'], `${at}.Properties.Action`), principal: req(p['Principal'], `${at}.Properties.Principal`),
            ...(p['SourceArn'] ? { sourceArn: String(p['SourceArn']) } : {}), ...(p['SourceAccount'] ? { sourceAccount: String(p['SourceAccount']) } : {}),
            ...(p['FunctionUrlAuthType'] ? { functionUrlAuthType: String(p['FunctionUrlAuthType']) } : {}),
          });
          break;
        }
        case 'AWS::Lambda::EventSourceMapping': {
          const p = this.#props(id);
          stack.mappings.push({
            logicalId: id, type: r.Type, functionName: functionNameOf(req(p['FunctionName'], `${at}.Properties.FunctionName`)),
            eventSourceArn: req(p['EventSourceArn'], `${at}.Properties.EventSourceArn`), settings: mappingSettings(p),
          });
          break;
        }
        default:
          stack.skipped.push({ logicalId: id, type: r.Type, reason: SKIP_REASONS[r.Type] ?? `Flint does not create ${r.Type} resources` });
      }
    }
    if (stack.schedules.some((x) => x.roleArn === this.#roleArn(SCHEDULER_ROLE_ID))) {
      const targets = [...new Set(stack.schedules.filter((x) => x.roleArn === this.#roleArn(SCHEDULER_ROLE_ID)).map((x) => x.functionArn))];
      stack.roles.push({
        logicalId: SCHEDULER_ROLE_ID, type: 'AWS::IAM::Role', name: this.#roleName(SCHEDULER_ROLE_ID), arn: this.#roleArn(SCHEDULER_ROLE_ID), path: '/',
        assumeRolePolicy: SCHEDULER_TRUST,
        inline: { 'invoke-functions': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: targets.flatMap((a) => [a, `${a}:*`]) }] } },
        managedPolicyArns: [],
      });
    }
    stack.scheduleGroups = [...new Set(stack.schedules.map((x) => x.group).filter((g) => g === s.stackName))];
    return stack;
  }

  #serverlessFunction(id: string, stack: DesiredStack): void {
    const at = `Resources.${id}.Properties`;
    const p = this.#props(id, true);
    const fn = this.#functionBase(id, p, at, 'AWS::Serverless::Function');
    const name = fn.name;
    const where = { region: this.#settings.region, accountId: this.#settings.accountId, partition: this.#settings.partition };
    const events = (p['Events'] ?? {}) as Record<string, Props>;
    const sqsQueues: string[] = [];
    const routes: string[] = [];
    for (const [ev, e] of Object.entries(events)) {
      const ep = (e['Properties'] ?? {}) as Props;
      const eat = `${at}.Events.${ev}`;
      switch (e['Type']) {
        case 'Api': case 'HttpApi':
          routes.push(`${String(ep['Method'] ?? (e['Type'] === 'HttpApi' ? 'ANY' : 'GET')).toUpperCase()} ${String(ep['Path'] ?? '/')}`);
          break;
        case 'Schedule': case 'ScheduleV2': {
          const v2 = e['Type'] === 'ScheduleV2';
          const expression = req(v2 ? ep['ScheduleExpression'] : ep['Schedule'], `${eat}.Properties.${v2 ? 'ScheduleExpression' : 'Schedule'}`);
          const enabled = ep['Enabled'] === undefined ? ep['State'] !== 'DISABLED' : ep['Enabled'] !== false && ep['Enabled'] !== 'false';
          const window = ep['FlexibleTimeWindow'] as { Mode: string; MaximumWindowInMinutes?: number } | undefined;
          stack.schedules.push({
            logicalId: `${id}.${ev}`, type: e['Type'] as string,
            name: str(ep['Name']) ?? `${id}-${ev}`.slice(0, 64),
            group: str(ep['GroupName']) ?? this.#settings.stackName,
            expression, state: enabled ? 'ENABLED' : 'DISABLED',
            ...(ep['ScheduleExpressionTimezone'] ? { timezone: String(ep['ScheduleExpressionTimezone']) } : {}),
            ...(ep['Input'] !== undefined ? { input: String(ep['Input']) } : {}),
            ...(ep['Description'] ? { description: String(ep['Description']) } : {}),
            functionArn: fn.arn, roleArn: str(ep['RoleArn']) ?? this.#roleArn(SCHEDULER_ROLE_ID),
            flexibleWindow: window ?? { Mode: 'OFF' },
          });
          break;
        }
        case 'SQS': {
          const queue = req(ep['Queue'], `${eat}.Properties.Queue`);
          sqsQueues.push(queue);
          stack.mappings.push({ logicalId: `${id}.${ev}`, type: 'SQS', functionName: name, eventSourceArn: queue, settings: mappingSettings(ep) });
          break;
        }
        default:
          stack.skipped.push({ logicalId: `${id}.${ev}`, type: `${String(e['Type'])} event`, reason: `Flint does not deliver ${String(e['Type'])} events` });
      }
    }
    // The implicit role SAM creates when Role is absent: basic execution, the policies, and the
    // SQS poller permissions its SQS events need.
    if (p['Role'] === undefined) {
      const policies = expandPolicies(p['Policies'], where, `${at}.Policies`);
      const roleId = `${id}Role`;
      const inline: Record<string, Record<string, unknown>> = {};
      policies.inline.forEach((doc, i) => { inline[`${id}RolePolicy${i}`] = doc; });
      if (sqsQueues.length > 0) {
        inline[`${id}RoleSQSPolicy`] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], Resource: sqsQueues }] };
      }
      stack.roles.push({
        logicalId: roleId, type: 'AWS::IAM::Role', name: this.#roleName(roleId), arn: this.#roleArn(roleId), path: '/', assumeRolePolicy: LAMBDA_TRUST, inline,
        managedPolicyArns: [`arn:${where.partition}:iam::aws:policy/service-role/${BASIC_EXECUTION}`, ...policies.managedPolicyArns.filter((a) => !a.endsWith(`/${BASIC_EXECUTION}`))],
      });
      fn.config.Role = this.#roleArn(roleId);
    }
    stack.functions.push(fn);
    const urlConfig = p['FunctionUrlConfig'] as Props | undefined;
    if (urlConfig || routes.length > 0) {
      const authType = (str(urlConfig?.['AuthType']) ?? 'NONE') as 'NONE' | 'AWS_IAM';
      stack.urls.push({ logicalId: `${id}Url`, type: 'AWS::Lambda::Url', functionName: name, authType, ...(urlConfig?.['Cors'] ? { cors: urlConfig['Cors'] as Props } : {}), routes });
      if (authType === 'NONE') {
        stack.permissions.push({
          logicalId: `${id}UrlPublicPermissions`, type: 'AWS::Lambda::Permission', functionName: name, statementId: `${this.#settings.stackName}-${id}UrlPublicPermissions`,
          action: 'lambda:InvokeFunctionUrl', principal: '*', functionUrlAuthType: 'NONE',
        });
      }
    }
  }

  #lambdaFunction(id: string): DesiredFunction {
    const at = `Resources.${id}.Properties`;
    const p = this.#props(id);
    if (p['Role'] === undefined) throw new TemplateError(`${at}.Role is required for AWS::Lambda::Function`);
    return this.#functionBase(id, p, at, 'AWS::Lambda::Function');
  }

  #functionBase(id: string, p: Props, at: string, type: string): DesiredFunction {
    const name = this.#functionName(id);
    const code = this.#code(p, at, type);
    const env = ((p['Environment'] as Props | undefined)?.['Variables'] ?? {}) as Record<string, unknown>;
    const tagsIn = p['Tags'];
    const tags: Record<string, string> = Array.isArray(tagsIn)
      ? Object.fromEntries((tagsIn as Props[]).map((t) => [String(t['Key']), String(t['Value'])]))
      : Object.fromEntries(Object.entries((tagsIn ?? {}) as Props).map(([k, v]) => [k, String(v)]));
    const tracing = type === 'AWS::Serverless::Function' ? str(p['Tracing']) : str((p['TracingConfig'] as Props | undefined)?.['Mode']);
    const memory = num(p['MemorySize'], `${at}.MemorySize`);
    const timeout = num(p['Timeout'], `${at}.Timeout`);
    const ephemeral = (p['EphemeralStorage'] as Props | undefined)?.['Size'];
    const concurrency = p['ReservedConcurrentExecutions'];
    return {
      logicalId: id, type, name, arn: this.#functionArn(id), code,
      config: {
        ...(p['Runtime'] !== undefined ? { Runtime: String(p['Runtime']) } : {}),
        ...(p['Handler'] !== undefined ? { Handler: String(p['Handler']) } : {}),
        Role: str(p['Role']) ?? '',
        Description: str(p['Description']) ?? '',
        MemorySize: memory ?? 128,
        Timeout: timeout ?? 3,
        Environment: { Variables: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
        Layers: ((p['Layers'] ?? []) as unknown[]).map((l, i) => req(l, `${at}.Layers[${i}]`)),
        ...(p['Architectures'] ? { Architectures: p['Architectures'] as string[] } : {}),
        ...(ephemeral !== undefined ? { EphemeralStorage: { Size: num(ephemeral, `${at}.EphemeralStorage.Size`)! } } : {}),
        ...(tracing ? { TracingConfig: { Mode: tracing } } : {}),
      },
      tags: { ...tags, [STACK_TAG]: this.#settings.stackName, [LOGICAL_ID_TAG]: id },
      ...(concurrency !== undefined ? { reservedConcurrency: num(concurrency, `${at}.ReservedConcurrentExecutions`)! } : {}),
    };
  }

  #code(p: Props, at: string, type: string): FunctionCode {
    if (type === 'AWS::Serverless::Function') {
      if (p['InlineCode'] !== undefined) return { inline: String(p['InlineCode']), file: inlineFile(str(p['Runtime'])) };
      return { dir: this.#folder(p['CodeUri'] ?? '.', `${at}.CodeUri`) };
    }
    const code = p['Code'];
    if (typeof code === 'string') return { dir: this.#folder(code, `${at}.Code`) };
    const zipFile = (code as Props | undefined)?.['ZipFile'];
    if (zipFile !== undefined) return { inline: String(zipFile), file: inlineFile(str(p['Runtime'])) };
    throw new TemplateError(`${at}.Code: Flint deploys code from a local folder (Code: ./path) or Code.ZipFile; it does not fetch from S3`);
  }

  /** A local folder, relative to the template; S3 locations are refused with the reason. */
  #folder(v: unknown, at: string): string {
    if (typeof v !== 'string') throw new TemplateError(`${at}: Flint deploys code from a local folder relative to the template; it does not fetch from S3`);
    if (v.startsWith('s3://')) throw new TemplateError(`${at}: ${v}: Flint deploys code from a local folder relative to the template; it does not fetch from S3`);
    const dir = resolvePath(this.dir, v);
    let isDir = false;
    try { isDir = statSync(dir).isDirectory(); } catch { /* reported below */ }
    if (!isDir) throw new TemplateError(`${at}: ${v} is not a folder next to the template`);
    return dir;
  }

  /** Resources whose Condition (if any) holds, in template order. */
  #active(): Array<[string, RawResource]> {
    return Object.entries(this.#resources).filter(([id, r]) => r.Condition === undefined || this.#resolver.condition(r.Condition, `Resources.${id}.Condition`));
  }

  /** A resource's Properties, resolved; for serverless functions with Globals.Function merged in. */
  #props(id: string, withGlobals = false): Props {
    const raw = (this.#resources[id]!.Properties ?? {}) as Props;
    const merged = withGlobals ? mergeGlobals(this.#globals, raw) : raw;
    const out = this.#resolver.resolve(merged, `Resources.${id}.Properties`);
    return (out === NO_VALUE ? {} : out) as Props;
  }

  #nameProp(id: string, prop: string): string | undefined {
    const v = this.#resources[id]?.Properties?.[prop];
    if (v === undefined) return undefined;
    const resolved = this.#resolver.resolve(v, `Resources.${id}.Properties.${prop}`);
    return resolved === NO_VALUE ? undefined : String(resolved);
  }

  #functionName(id: string): string {
    const name = this.#nameProp(id, 'FunctionName') ?? `${this.#settings.stackName}-${id}`;
    if (name.length > 64) throw new TemplateError(`Resources.${id}: the function name ${name} is longer than 64 characters; set FunctionName or a shorter --stack-name`);
    return name;
  }
  #functionArn(id: string): string {
    const s = this.#settings;
    return `arn:${s.partition}:lambda:${s.region}:${s.accountId}:function:${this.#functionName(id)}`;
  }
  #roleName(id: string): string {
    const name = (this.#resources[id] ? this.#nameProp(id, 'RoleName') : undefined) ?? `${this.#settings.stackName}-${id}`;
    return name.slice(0, 64);
  }
  #roleArn(id: string): string {
    const path = (this.#resources[id] ? this.#nameProp(id, 'Path') : undefined) ?? '/';
    return `arn:${this.#settings.partition}:iam::${this.#settings.accountId}:role${path}${this.#roleName(id)}`;
  }
  #layerName(id: string): string {
    return this.#nameProp(id, 'LayerName') ?? `${this.#settings.stackName}-${id}`;
  }
  #queueName(id: string): string {
    return this.#nameProp(id, 'QueueName') ?? `${this.#settings.stackName}-${id}`;
  }

  #ref(id: string): string | undefined {
    const r = this.#resources[id];
    const implicitRole = id.endsWith('Role') && this.#resources[id.slice(0, -4)]?.Type === 'AWS::Serverless::Function';
    if (!r) return implicitRole ? this.#roleName(id) : undefined;
    switch (r.Type) {
      case 'AWS::Serverless::Function': case 'AWS::Lambda::Function': return this.#functionName(id);
      case 'AWS::IAM::Role': return this.#roleName(id);
      case 'AWS::Serverless::LayerVersion': case 'AWS::Lambda::LayerVersion':
        return this.#layerArns[id] ?? `arn:${this.#settings.partition}:lambda:${this.#settings.region}:${this.#settings.accountId}:layer:${this.#layerName(id)}:1`;
      case 'AWS::SQS::Queue': return `${this.#settings.endpoint}/${this.#settings.accountId}/${this.#queueName(id)}`;
      default: return `${this.#settings.stackName}-${id}`;
    }
  }

  #getAtt(id: string, attr: string): unknown {
    const r = this.#resources[id];
    const s = this.#settings;
    if (!r) {
      if (id.endsWith('Role') && this.#resources[id.slice(0, -4)]?.Type === 'AWS::Serverless::Function' && attr === 'Arn') return this.#roleArn(id);
      return undefined;
    }
    switch (r.Type) {
      case 'AWS::Serverless::Function': case 'AWS::Lambda::Function':
        return attr === 'Arn' ? this.#functionArn(id) : undefined;
      case 'AWS::IAM::Role':
        return attr === 'Arn' ? this.#roleArn(id) : attr === 'RoleId' ? `AROA${this.#roleName(id).toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 17)}` : undefined;
      case 'AWS::SQS::Queue':
        if (attr === 'Arn') return `arn:${s.partition}:sqs:${s.region}:${s.accountId}:${this.#queueName(id)}`;
        if (attr === 'QueueName') return this.#queueName(id);
        if (attr === 'QueueUrl') return this.#ref(id);
        return undefined;
      case 'AWS::Serverless::LayerVersion': case 'AWS::Lambda::LayerVersion':
        return attr === 'LayerVersionArn' ? this.#ref(id) : undefined;
      default:
        // A resource Flint skips: a stable stand-in keeps policies that mention it deployable.
        return `arn:${s.partition}:flint-skipped:${s.region}:${s.accountId}:${s.stackName}-${id}/${attr}`;
    }
  }
}
