import { basename, dirname, resolve } from 'node:path';
import { SamTemplate } from './sam-template.js';
import { TemplateError } from './template-error.js';
import { planStack, type Plan, type PlanEntry } from './stack-planner.js';
import { applyPlan } from './stack-applier.js';
import type { StackClients } from './stack-clients.js';

export interface TemplateDeployOptions {
  /** The template file (YAML or JSON). */
  template: string;
  /** Stack name (default: the template folder's name). */
  stackName?: string;
  /** `Key=Value` or `ParameterKey=Key,ParameterValue=Value` items (sam deploy's forms). */
  parameterOverrides?: string[];
  dryRun?: boolean;
  prune?: boolean;
}

export interface TemplateDeployResult {
  plan: Plan;
  /** Lines printed (the plan, then one per change). */
  applied: boolean;
}

const SYMBOL: Record<PlanEntry['action'], string> = { create: '+', update: '~', same: '=', delete: '-', stale: '!', skip: '.' };

/**
 * `flint deploy --template`: reads the template, prints the plan, and — unless `dryRun` — makes
 * exactly those changes through the signed APIs. Also what `flint dev --template` calls on each
 * change (see `templateCodeFolders` for what to watch).
 */
export async function deployTemplate(opts: TemplateDeployOptions, clients: StackClients, print: (line: string) => void): Promise<TemplateDeployResult> {
  const stackName = stackNameFor(opts);
  const template = new SamTemplate(opts.template, {
    stackName, region: clients.region, accountId: clients.accountId, endpoint: clients.endpoint,
    parameterOverrides: parseParameterOverrides(opts.parameterOverrides ?? []),
  });
  const plan = await planStack(template, clients, { prune: opts.prune ?? false });
  for (const line of formatPlan(plan, basename(opts.template))) print(line);
  for (const note of plan.notes) print(note);
  const work = plan.entries.some((e) => e.action === 'create' || e.action === 'update' || e.action === 'delete');
  if (opts.dryRun || !work) {
    if (!work && !opts.dryRun) print('Nothing to change.');
    return { plan, applied: false };
  }
  await applyPlan(plan, template, clients, print);
  print(`Deployed stack ${stackName}.`);
  return { plan, applied: true };
}

/** The plan as printed: a header, one line per resource, a count line. */
export function formatPlan(plan: Plan, templateName: string): string[] {
  const lines = [`Plan for stack ${plan.stack.stackName} (${templateName}):`];
  for (const e of plan.entries) {
    const physical = e.physical === '-' ? '' : ` ${e.physical}`;
    lines.push(`  ${SYMBOL[e.action]} ${e.action.padEnd(6)} ${e.type} ${e.logicalId}${physical}${e.detail ? ` (${e.detail})` : ''}`);
  }
  const n = (a: PlanEntry['action']) => plan.entries.filter((e) => e.action === a).length;
  const stale = n('stale') ? `, ${n('stale')} stale` : '';
  lines.push(`Plan: ${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('same')} unchanged, ${n('skip')} skipped${stale}.`);
  return lines;
}

/** The folders a template's functions and layers are built from (what `flint dev --template` watches). */
export function templateCodeFolders(opts: TemplateDeployOptions, where: { region: string; accountId: string }): string[] {
  const template = new SamTemplate(opts.template, { stackName: stackNameFor(opts), ...where, parameterOverrides: parseParameterOverrides(opts.parameterOverrides ?? []) });
  const stack = template.stack({});
  return [...new Set([...stack.layers.map((l) => l.contentDir), ...stack.functions.flatMap((f) => ('dir' in f.code ? [f.code.dir] : []))])];
}

/** CloudFormation's stack name rule; the default is the template folder's name made to fit it. */
export function stackNameFor(opts: Pick<TemplateDeployOptions, 'stackName' | 'template'>): string {
  const name = opts.stackName ?? basename(dirname(resolve(opts.template))).replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Za-z]+/, '');
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) {
    throw new TemplateError(`--stack-name ${JSON.stringify(name)}: a stack name starts with a letter and has only letters, digits and hyphens (at most 128)`);
  }
  return name;
}

/** `Key=Value` and `ParameterKey=Key,ParameterValue=Value`, as `sam deploy --parameter-overrides` takes them. */
export function parseParameterOverrides(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(item);
    if (long) { out[long[1]!] = long[2]!; continue; }
    const eq = item.indexOf('=');
    if (eq <= 0) throw new TemplateError(`--parameter-overrides ${JSON.stringify(item)}: expected Key=Value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
