import type { MetadataStore } from '../ports/metadata-store.js';
import { COLLECTIONS, key, layerVersionKey, type LayerVersionRecord } from '../domain/records.js';
import { CODE_LIMITS } from '../domain/code-limits.js';
import { InvalidParameterValueException } from '../domain/errors.js';

/** A function's resolved layers: the configuration's `Layers` member and the archives behind it. */
export interface ResolvedLayers {
  layers: Array<{ Arn: string; CodeSize: number }>;
  sha256Hex: string[];
  unzippedSize: number;
}

const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;

/**
 * Resolves the `Layers` of CreateFunction / UpdateFunctionConfiguration against the published layer
 * versions, with Lambda's checks in Lambda's order: at most 5, same region as the function, no two
 * versions of one layer, every version must exist. (The front door has already checked each ARN
 * against the model's LayerVersionArn pattern.)
 */
export function resolveLayers(store: MetadataStore, arns: string[], region: string, accountId: string): ResolvedLayers {
  if (arns.length > CODE_LIMITS.maxLayers) throw new InvalidParameterValueException(`Cannot reference more than ${CODE_LIMITS.maxLayers} layers.`);
  const parsed = arns.map((arn) => {
    const m = LAYER_VERSION_ARN.exec(arn);
    if (!m) throw new InvalidParameterValueException(`Layer version ${arn} does not exist.`);
    return { arn, region: m[1]!, account: m[2]!, name: m[3]!, version: Number(m[4]) };
  });
  if (parsed.some((p) => p.region !== region)) {
    throw new InvalidParameterValueException(`Layers are not in the same region as the function. Layers are expected to be in region ${region}.`);
  }
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i]!;
      const b = parsed[j]!;
      if (a.account === b.account && a.name === b.name) {
        throw new InvalidParameterValueException(
          `Two different versions of the same layer are not allowed to be referenced in the same function. ${a.arn} and ${b.arn} are versions of the same layer.`,
        );
      }
    }
  }
  const versions = store.collection<LayerVersionRecord>(COLLECTIONS.layerVersions);
  const out: ResolvedLayers = { layers: [], sha256Hex: [], unzippedSize: 0 };
  for (const p of parsed) {
    // Layers of other accounts do not exist on a single-account Flint.
    const rec = p.account === accountId ? versions.get(key(p.name, layerVersionKey(p.version))) : undefined;
    if (!rec) throw new InvalidParameterValueException(`Layer version ${p.arn} does not exist.`);
    out.layers.push({ Arn: rec.LayerVersionArn, CodeSize: rec.Content.CodeSize });
    out.sha256Hex.push(rec.sha256Hex);
    out.unzippedSize += rec.unzippedSize ?? 0;
  }
  return out;
}

/** Unzipped bytes of the layers a configuration references (layers deleted since count as 0: Lambda keeps a copy). */
export function layersUnzippedSize(store: MetadataStore, arns: string[]): number {
  const versions = store.collection<LayerVersionRecord>(COLLECTIONS.layerVersions);
  let total = 0;
  for (const arn of arns) {
    const m = LAYER_VERSION_ARN.exec(arn);
    if (m) total += versions.get(key(m[3]!, layerVersionKey(Number(m[4]))))?.unzippedSize ?? 0;
  }
  return total;
}
