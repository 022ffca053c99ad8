import { parsePolicyDocument, type PolicyDocument } from '../policy/policy-document.js';

export type PolicyKind = 'identity' | 'resource' | 'trust';

/**
 * Policies arrive as stored JSON text; each distinct text is parsed once. Bounded: when full it
 * starts over (parsing is cheap next to a growing map of documents no longer in use).
 */
export class PolicyCache {
  readonly #capacity: number;
  readonly #docs = new Map<string, PolicyDocument>();

  constructor(capacity = 4_096) {
    this.#capacity = capacity;
  }

  parse(text: string, kind: PolicyKind): PolicyDocument {
    const key = kind + '\n' + text;
    let doc = this.#docs.get(key);
    if (doc === undefined) {
      doc = parsePolicyDocument(text, kind);
      if (this.#docs.size >= this.#capacity) this.#docs.clear();
      this.#docs.set(key, doc);
    }
    return doc;
  }

  get size(): number {
    return this.#docs.size;
  }
}
