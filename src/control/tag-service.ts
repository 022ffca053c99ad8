import type { ControlContext } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { parseFunctionName } from '../domain/function-name.js';
import { COLLECTIONS, key, versionKey, type FunctionRecord, type FunctionVersionRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceNotFoundException, ValidationException } from '../domain/errors.js';

/** Lambda's per-resource tag limit. */
export const MAX_TAGS = 50;

/** Lambda's server-side pattern for a taggable resource (the published model's is older). */
const TAGGABLE =
  /^arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)$/;
const TAGGABLE_TEXT =
  'arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)';

/**
 * Tags on the merged tag set of a resource: at most 50; keys 1–128 characters and not in the
 * reserved `aws:` namespace, values up to 256 characters (AWS's documented tag rules). The
 * 50-tag text is recorded from AWS; the key/value texts are Flint's (AWS's were not recorded).
 * Exported so CreateFunction can apply the same rules to its `Tags`.
 */
export function checkTags(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) throw new InvalidParameterValueException('Number of tags exceeds resource tag limit.');
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128) throw new InvalidParameterValueException(`Tag key '${k}' must be between 1 and 128 characters long.`);
    if (k.toLowerCase().startsWith('aws:')) throw new InvalidParameterValueException(`Tag key '${k}' uses the reserved prefix 'aws:'.`);
    if (typeof v !== 'string' || v.length > 256) throw new InvalidParameterValueException(`The value of tag '${k}' must be at most 256 characters long.`);
  }
}

/** Tags kept by another service (code signing configs): undefined when the resource does not exist. */
export interface TaggedResources {
  tagsOf(arn: string): Record<string, string> | undefined;
  setTags(arn: string, tags: Record<string, string>): void;
}

/**
 * TagResource, UntagResource, ListTags on functions, and on code signing configs through
 * `others`; event source mappings and capacity providers are not taggable Flint resources, so
 * their ARNs are not found.
 */
export class TagService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;
  readonly #others: TaggedResources | undefined;

  constructor(ctx: ControlContext, others?: TaggedResources) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    this.#others = others;
  }

  tag(input: { Resource: string; Tags: Record<string, string> }): void {
    const other = this.#other(input.Resource);
    if (other) {
      if (Object.keys(input.Tags).length === 0) throw new InvalidParameterValueException('An error occurred and the request cannot be processed.');
      const merged = { ...other, ...input.Tags };
      checkTags(merged);
      this.#others!.setTags(input.Resource, merged);
      return;
    }
    const name = this.#functionName(input.Resource);
    if (Object.keys(input.Tags).length === 0) {
      throw new InvalidParameterValueException('An error occurred and the request cannot be processed.');
    }
    this.#change(name, (tags) => {
      const merged = { ...tags, ...input.Tags };
      checkTags(merged);
      return merged;
    });
  }

  untag(input: { Resource: string; TagKeys: string[] }): void {
    const drop = new Set(input.TagKeys);
    const other = this.#other(input.Resource);
    if (other) {
      this.#others!.setTags(input.Resource, Object.fromEntries(Object.entries(other).filter(([k]) => !drop.has(k))));
      return;
    }
    const name = this.#functionName(input.Resource);
    this.#change(name, (tags) => Object.fromEntries(Object.entries(tags).filter(([k]) => !drop.has(k))));
  }

  list(input: { Resource: string }): { Tags: Record<string, string> } {
    const other = this.#other(input.Resource);
    if (other) return { Tags: other };
    return { Tags: this.#lookup.requireFunction(this.#functionName(input.Resource)).tags };
  }

  /** Updates a function's tags; like AWS, any tag change gives $LATEST a new RevisionId (recorded). */
  #change(name: string, fn: (tags: Record<string, string>) => Record<string, string>): void {
    this.#ctx.store.transaction(() => {
      const rec = this.#lookup.requireFunction(name);
      this.#ctx.store.collection<FunctionRecord>(COLLECTIONS.functions).put(name, { ...rec, tags: fn(rec.tags) });
      const versions = this.#ctx.store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions);
      const latestKey = key(name, versionKey('$LATEST'));
      const latest = versions.get(latestKey);
      if (latest) versions.put(latestKey, { ...latest, config: { ...latest.config, RevisionId: this.#ctx.uuid() } });
    });
  }

  /** The tags of a code signing config the ARN names (after the ARN's validation), if it exists. */
  #other(resource: string): Record<string, string> | undefined {
    if (!this.#others || resource.split(':')[5] !== 'code-signing-config' || resource.length > 256 || !TAGGABLE.test(resource)) return undefined;
    return this.#others.tagsOf(resource);
  }

  /** Validates the ARN and returns the function it names; other resource kinds are not found. */
  #functionName(resource: string): string {
    if (resource.length > 256 || !TAGGABLE.test(resource)) {
      const problem = resource.length > 256 ? 'Member must have length less than or equal to 256' : `Member must satisfy regular expression pattern: ${TAGGABLE_TEXT}`;
      throw new ValidationException(`1 validation error detected: Value '${resource}' at 'resource' failed to satisfy constraint: ${problem}`);
    }
    const parts = resource.split(':');
    const kind = parts[5];
    if (kind === 'event-source-mapping') throw new ResourceNotFoundException(`Event source mapping not found: ${resource}`);
    if (kind === 'capacity-provider') throw new ResourceNotFoundException(`Capacity provider not found: ${resource}`);
    if (kind === 'code-signing-config') throw new ResourceNotFoundException('The resource you requested does not exist.');
    // AWS's pattern admits layer ARNs but Lambda documents no layer tagging; Flint's wording.
    if (kind === 'layer') throw new InvalidParameterValueException('Tags on layers are not supported. Please specify a function ARN.');
    if (parts[7] !== undefined) {
      throw new InvalidParameterValueException('Tags on function aliases and versions are not supported. Please specify a function ARN.');
    }
    const { name } = parseFunctionName(resource, this.#ctx.arns.region);
    if (parts[4] !== this.#ctx.arns.accountId || !this.#lookup.getFunction(name)) {
      throw new ResourceNotFoundException(`Function not found: ${resource}`);
    }
    return name;
  }
}
