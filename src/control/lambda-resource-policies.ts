import type { ResourcePolicySource, NamedPolicy } from '../ports/access-policies.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { policyJson } from './policy-document.js';
import { COLLECTIONS, key, layerVersionKey, type PolicyRecord } from '../domain/records.js';

/**
 * Lambda's resource-based policies for the authorizer: a function's policy (one per qualifier, as
 * AddPermission keeps them; an unqualified ARN reads the function's own) and a layer version's.
 * The JSON text is rebuilt only when the policy's RevisionId changes, so an Invoke costs one
 * store read here.
 */
export class LambdaResourcePolicies implements ResourcePolicySource {
  readonly #store: MetadataStore;
  readonly #texts = new Map<string, { revision: string; text: string }>();

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  resourcePolicy(action: string, resourceArn: string): (NamedPolicy & { revision: string }) | undefined {
    if (!action.toLowerCase().startsWith('lambda:')) return undefined;
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] | :layer:<name>:<version>
    const parts = resourceArn.split(':');
    if (parts.length < 7 || parts[2] !== 'lambda') return undefined;
    if (parts[5] === 'function') {
      const name = parts[6]!;
      const qualifier = parts[7] ?? '$LATEST';
      return this.#policy(COLLECTIONS.policies, key(name, qualifier), `function:${name}:${qualifier}`);
    }
    if (parts[5] === 'layer' && parts[7] !== undefined && /^\d+$/.test(parts[7])) {
      return this.#policy(COLLECTIONS.layerPolicies, key(parts[6]!, layerVersionKey(Number(parts[7]))), `layer:${parts[6]}:${parts[7]}`);
    }
    return undefined;
  }

  #policy(collection: string, k: string, id: string): (NamedPolicy & { revision: string }) | undefined {
    const record = this.#store.collection<PolicyRecord>(collection).get(k);
    if (!record || record.Statement.length === 0) return undefined;
    const cacheKey = `${collection}\u0000${k}`;
    let cached = this.#texts.get(cacheKey);
    if (!cached || cached.revision !== record.RevisionId) {
      cached = { revision: record.RevisionId, text: policyJson(record.Statement) };
      if (this.#texts.size > 4096) this.#texts.clear();
      this.#texts.set(cacheKey, cached);
    }
    return { id, document: cached.text, revision: cached.revision };
  }
}
