import { AwsError } from '../../domain/errors.js';
import type { IamContext } from './iam-context.js';
import type { EntityKind } from './iam-store.js';
import { checkPolicyDocument, encodeDocument, paginate, pageOutput } from './iam-validation.js';
import { NAME_MEMBER, type Holders } from './policy-holders.js';

/** IAM's size quota for one entity's inline policies, counted without whitespace. */
const INLINE_LIMIT: Record<EntityKind, number> = { user: 2048, group: 5120, role: 10240 };

/** Inline policies of users, groups and roles (Put/Get/List/Delete{User,Group,Role}Policy). */
export class InlinePolicyService {
  readonly #ctx: IamContext;
  readonly #holders: Holders;

  constructor(ctx: IamContext, holders: Holders) {
    this.#ctx = ctx;
    this.#holders = holders;
  }

  put(kind: EntityKind, name: string, policyName: string, document: string) {
    this.#ctx.db.transaction(() => {
      const h = this.#holders.require(kind, name);
      const max = INLINE_LIMIT[kind];
      checkPolicyDocument(document, 'identity', { max, message: `Maximum policy size of ${max} bytes exceeded for ${kind} ${h.name}` });
      this.#holders.save(kind, { ...h, inline: { ...h.inline, [policyName]: document } });
    });
    this.#ctx.revision.bump();
    return {};
  }

  get(kind: EntityKind, name: string, policyName: string) {
    const h = this.#holders.require(kind, name);
    const doc = h.inline[policyName];
    if (doc === undefined) throw notFound(kind, policyName);
    return { [NAME_MEMBER[kind]]: h.name, PolicyName: policyName, PolicyDocument: encodeDocument(doc) };
  }

  list(kind: EntityKind, name: string, input: { Marker?: string; MaxItems?: number }) {
    const names = Object.keys(this.#holders.require(kind, name).inline).sort();
    return pageOutput('PolicyNames', paginate(names, (n) => n, input), (n) => n);
  }

  delete(kind: EntityKind, name: string, policyName: string) {
    this.#ctx.db.transaction(() => {
      const h = this.#holders.require(kind, name);
      if (h.inline[policyName] === undefined) throw notFound(kind, policyName);
      const inline = { ...h.inline };
      delete inline[policyName];
      this.#holders.save(kind, { ...h, inline });
    });
    this.#ctx.revision.bump();
    return {};
  }
}

const notFound = (kind: EntityKind, policyName: string) =>
  new AwsError('NoSuchEntityException', `The ${kind} policy with name ${policyName} cannot be found.`);
