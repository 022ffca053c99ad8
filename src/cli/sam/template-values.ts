import { TemplateError } from './template-error.js';

type Props = Record<string, unknown>;

/** Parameters after `--parameter-overrides` and defaults, checked against AllowedValues / AllowedPattern. */
export function resolveParameters(declared: Record<string, Record<string, unknown>>, overrides: Record<string, string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of Object.keys(overrides)) {
    if (!(name in declared)) throw new TemplateError(`--parameter-overrides: ${name} is not a parameter of the template`);
  }
  for (const [name, p] of Object.entries(declared)) {
    const given = overrides[name] ?? (p['Default'] !== undefined ? String(p['Default']) : undefined);
    if (given === undefined) throw new TemplateError(`Parameters.${name}: no value; pass --parameter-overrides ${name}=<value>`);
    const allowed = p['AllowedValues'] as unknown[] | undefined;
    if (allowed && !allowed.map(String).includes(given)) throw new TemplateError(`Parameters.${name}: ${given} is not one of ${allowed.map(String).join(', ')}`);
    const pattern = p['AllowedPattern'];
    if (typeof pattern === 'string' && !new RegExp(`^(?:${pattern})$`).test(given)) throw new TemplateError(`Parameters.${name}: ${given} does not match ${pattern}`);
    out[name] = p['Type'] === 'CommaDelimitedList' || String(p['Type']).startsWith('List<') ? given.split(',').map((x) => x.trim()) : given;
  }
  return out;
}

/**
 * SAM's Globals rules: a function's own value wins for scalars, maps are merged (function keys
 * win), lists are concatenated (globals first).
 */
export function mergeGlobals(globals: unknown, own: unknown): unknown {
  if (own === undefined) return globals;
  if (globals === undefined) return own;
  if (Array.isArray(globals) && Array.isArray(own)) return [...globals, ...own];
  if (isMap(globals) && isMap(own) && !isIntrinsic(globals) && !isIntrinsic(own)) {
    const out: Props = { ...globals };
    for (const [k, v] of Object.entries(own)) out[k] = mergeGlobals(globals[k], v);
    return out;
  }
  return own;
}

function isMap(v: unknown): v is Props {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function isIntrinsic(v: Props): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

export function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

export function req(v: unknown, at: string): string {
  if (v === undefined || v === null || v === '') throw new TemplateError(`${at} is required`);
  if (typeof v === 'object') throw new TemplateError(`${at}: expected a string, got ${JSON.stringify(v)}`);
  return String(v);
}

export function num(v: unknown, at: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || String(v).trim() === '') throw new TemplateError(`${at}: ${JSON.stringify(v)} is not a number`);
  return n;
}

/** A function name from a name or an ARN (the forms Lambda accepts for FunctionName). */
export function functionNameOf(v: string): string {
  const m = /:function:([^:]+)/.exec(v);
  return m ? m[1]! : v;
}

export function mappingSettings(p: Props) {
  return {
    ...(p['BatchSize'] !== undefined ? { BatchSize: Number(p['BatchSize']) } : {}),
    ...(p['Enabled'] !== undefined ? { Enabled: p['Enabled'] !== false && p['Enabled'] !== 'false' } : {}),
    ...(p['MaximumBatchingWindowInSeconds'] !== undefined ? { MaximumBatchingWindowInSeconds: Number(p['MaximumBatchingWindowInSeconds']) } : {}),
    ...(p['FilterCriteria'] !== undefined ? { FilterCriteria: p['FilterCriteria'] as Props } : {}),
    ...(p['FunctionResponseTypes'] !== undefined ? { FunctionResponseTypes: p['FunctionResponseTypes'] as string[] } : {}),
    ...(p['ScalingConfig'] !== undefined ? { ScalingConfig: p['ScalingConfig'] as Props } : {}),
  };
}

/** CloudFormation's file name for inline code: index.py for Python, index.js otherwise. */
export function inlineFile(runtime: string | undefined): string {
  return runtime?.startsWith('python') ? 'index.py' : 'index.js';
}
