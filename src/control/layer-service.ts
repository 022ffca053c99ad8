import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import type { CodeLocations } from './code-location.js';
import { validateListFilters, validatePublishCompatibility } from './layer-compatibility.js';
import { decodeMarker, encodeMarker } from './list-marker.js';
import { COLLECTIONS, key, layerVersionKey, type LayerRecord, type LayerVersionRecord, type PolicyRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceNotFoundException, ValidationException } from '../domain/errors.js';

export interface PublishLayerVersionInput {
  LayerName: string;
  Description?: string;
  Content: { ZipFile?: Buffer; S3Bucket?: string; S3Key?: string; S3ObjectVersion?: string };
  CompatibleRuntimes?: string[];
  LicenseInfo?: string;
  CompatibleArchitectures?: string[];
}

/** GetLayerVersion's output (also PublishLayerVersion's). */
export type LayerVersionOutput = Omit<LayerVersionRecord, 'sha256Hex' | 'unzippedSize' | 'Content'> & {
  Content: { Location: string; CodeSha256: string; CodeSize: number };
};

/** Lambda's server-side pattern for a layer version ARN (stricter than the published model's). */
const LAYER_VERSION_ARN =
  /^(?:(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+))$/;
const LAYER_VERSION_ARN_TEXT =
  '(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)';

/**
 * Layers: publish, read, list and delete layer versions. Version numbers come from a per-layer
 * counter that outlives its versions, so a number is never reused (AWS publishes version 3 after
 * versions 1 and 2 were deleted). Archives live in the code store; deleting a version leaves the
 * archive for functions that already reference it, as AWS does.
 */
export class LayerService {
  readonly #ctx: ControlContext;
  readonly #locations: CodeLocations;

  constructor(ctx: ControlContext, locations: CodeLocations) {
    this.#ctx = ctx;
    this.#locations = locations;
  }

  get #layers() {
    return this.#ctx.store.collection<LayerRecord>(COLLECTIONS.layers);
  }

  get #versions() {
    return this.#ctx.store.collection<LayerVersionRecord>(COLLECTIONS.layerVersions);
  }

  async publish(input: PublishLayerVersionInput, endpoint: string): Promise<LayerVersionOutput> {
    const name = this.layerName(input.LayerName);
    validatePublishCompatibility(input.CompatibleRuntimes, input.CompatibleArchitectures);
    if (!input.Content.ZipFile) {
      throw new InvalidParameterValueException('Flint accepts layer content only as a ZipFile upload (S3 locations are not supported).');
    }
    const stored = await this.#ctx.code.put(input.Content.ZipFile);
    const now = this.#ctx.clock.now();
    const record = this.#ctx.store.transaction(() => {
      const layer = this.#layers.get(name) ?? { LayerName: name, LayerArn: this.#ctx.arns.layer(name), latestVersion: 0 };
      const version = layer.latestVersion + 1;
      this.#layers.put(name, { ...layer, latestVersion: version });
      const rec: LayerVersionRecord = {
        LayerArn: layer.LayerArn,
        LayerVersionArn: this.#ctx.arns.layer(name, version),
        Version: version,
        Description: input.Description ?? '',
        CreatedDate: lastModified(now),
        ...(input.CompatibleRuntimes !== undefined ? { CompatibleRuntimes: input.CompatibleRuntimes } : {}),
        ...(input.CompatibleArchitectures !== undefined ? { CompatibleArchitectures: input.CompatibleArchitectures } : {}),
        ...(input.LicenseInfo !== undefined ? { LicenseInfo: input.LicenseInfo } : {}),
        Content: { CodeSha256: stored.codeSha256, CodeSize: stored.size },
        sha256Hex: stored.sha256Hex,
        unzippedSize: stored.unzippedSize,
      };
      this.#versions.insert(key(name, layerVersionKey(version)), rec);
      return rec;
    });
    return this.#output(record, endpoint);
  }

  get(layerName: string, version: number, endpoint: string): LayerVersionOutput {
    const rec = this.#versions.get(key(this.layerName(layerName), layerVersionKey(checkVersion(version))));
    if (!rec) throw new ResourceNotFoundException('The resource you requested does not exist.');
    return this.#output(rec, endpoint);
  }

  getByArn(arn: string, endpoint: string): LayerVersionOutput {
    const problems: string[] = [];
    if (arn.length > 140) problems.push('Member must have length less than or equal to 140');
    if (!LAYER_VERSION_ARN.test(arn)) problems.push(`Member must satisfy regular expression pattern: ${LAYER_VERSION_ARN_TEXT}`);
    if (problems.length > 0) {
      throw new ValidationException(`1 validation error detected: Value '${arn}' at 'arn' failed to satisfy constraint: ${problems.join(', ')}`);
    }
    const parts = arn.split(':');
    if (parts[5] !== 'layer' || parts[3] !== this.#ctx.arns.region || parts[4] !== this.#ctx.arns.accountId) {
      throw new ResourceNotFoundException('The resource you requested does not exist.');
    }
    return this.get(parts[6]!, Number(parts[7]), endpoint);
  }

  list(input: { CompatibleRuntime?: string; CompatibleArchitecture?: string; Marker?: string; MaxItems?: number }) {
    validateListFilters(input.CompatibleRuntime, input.CompatibleArchitecture);
    const limit = input.MaxItems ?? 50;
    const after = input.Marker !== undefined ? decodeMarker(input.Marker) : undefined;
    const out: Array<{ LayerName: string; LayerArn: string; LatestMatchingVersion: ReturnType<typeof listItem> }> = [];
    let next: string | undefined;
    for (const { key: name, value: layer } of this.#layers.list('', after !== undefined ? { after } : {})) {
      const match = this.#versions
        .list(key(name, ''))
        .reverse()
        .find((v) => matches(v.value, input.CompatibleRuntime, input.CompatibleArchitecture));
      if (!match) continue;
      if (out.length === limit) {
        next = encodeMarker(out[out.length - 1]!.LayerName);
        break;
      }
      out.push({ LayerName: name, LayerArn: layer.LayerArn, LatestMatchingVersion: listItem(match.value) });
    }
    return { Layers: out, ...(next !== undefined ? { NextMarker: next } : {}) };
  }

  /** Versions of one layer, newest first; an unknown layer simply has none (AWS answers 200 with []). */
  listVersions(input: { LayerName: string; CompatibleRuntime?: string; CompatibleArchitecture?: string; Marker?: string; MaxItems?: number }) {
    validateListFilters(input.CompatibleRuntime, input.CompatibleArchitecture);
    const name = this.layerName(input.LayerName);
    const limit = input.MaxItems ?? 50;
    const before = input.Marker !== undefined ? Number(decodeMarker(input.Marker)) : Infinity;
    const all = this.#versions
      .list(key(name, ''))
      .map((e) => e.value)
      .reverse()
      .filter((v) => v.Version < before && matches(v, input.CompatibleRuntime, input.CompatibleArchitecture));
    const page = all.slice(0, limit);
    const more = all.length > limit;
    return {
      LayerVersions: page.map(listItem),
      ...(more ? { NextMarker: encodeMarker(String(page[page.length - 1]!.Version)) } : {}),
    };
  }

  /** Idempotent like AWS: deleting a version that does not exist (or no longer exists) answers 204. */
  delete(layerName: string, version: number): void {
    const name = this.layerName(layerName);
    const k = key(name, layerVersionKey(checkVersion(version)));
    this.#ctx.store.transaction(() => {
      this.#versions.delete(k);
      this.#ctx.store.collection<PolicyRecord>(COLLECTIONS.layerPolicies).delete(k);
    });
  }

  /** The stored record of a layer version (for validating a function's Layers, resolving archives). */
  record(layerName: string, version: number): LayerVersionRecord | undefined {
    return this.#versions.get(key(this.layerName(layerName), layerVersionKey(version)));
  }

  /** `LayerName` as a name or a layer ARN (the model allows both) → the bare name. */
  layerName(nameOrArn: string): string {
    if (!nameOrArn.startsWith('arn:')) return nameOrArn;
    const parts = nameOrArn.split(':');
    if (parts[3] !== this.#ctx.arns.region || parts[4] !== this.#ctx.arns.accountId) {
      throw new ResourceNotFoundException('The resource you requested does not exist.');
    }
    return parts[6] ?? '';
  }

  #output(rec: LayerVersionRecord, endpoint: string): LayerVersionOutput {
    const { sha256Hex, unzippedSize: _u, Content, ...rest } = rec;
    return { ...rest, Content: { Location: this.#locations.url(endpoint, sha256Hex), ...Content } };
  }
}

/** AWS rejects version numbers below 1 before looking anything up. */
export function checkVersion(version: number): number {
  if (!(version >= 1)) throw new InvalidParameterValueException('Layer Version Cannot be less than 1');
  return version;
}

function matches(v: LayerVersionRecord, runtime: string | undefined, architecture: string | undefined): boolean {
  if (runtime !== undefined && !(v.CompatibleRuntimes ?? []).includes(runtime)) return false;
  if (architecture !== undefined && !(v.CompatibleArchitectures ?? []).includes(architecture)) return false;
  return true;
}

function listItem(v: LayerVersionRecord) {
  return {
    LayerVersionArn: v.LayerVersionArn,
    Version: v.Version,
    Description: v.Description,
    CreatedDate: v.CreatedDate,
    ...(v.CompatibleRuntimes !== undefined ? { CompatibleRuntimes: v.CompatibleRuntimes } : {}),
    ...(v.LicenseInfo !== undefined ? { LicenseInfo: v.LicenseInfo } : {}),
    ...(v.CompatibleArchitectures !== undefined ? { CompatibleArchitectures: v.CompatibleArchitectures } : {}),
  };
}
