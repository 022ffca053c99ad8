import type { ControlContext } from './control-context.js';
import { checkVersion, type LayerService } from './layer-service.js';
import { policyJson, removeStatement, withStatement } from './policy-document.js';
import { COLLECTIONS, key, layerVersionKey, type LayerVersionRecord, type PolicyRecord, type PolicyStatement } from '../domain/records.js';
import { ResourceNotFoundException } from '../domain/errors.js';

export interface AddLayerVersionPermissionInput {
  LayerName: string;
  VersionNumber: number;
  StatementId: string;
  /** The model restricts it to `lambda:GetLayerVersion`. */
  Action: string;
  /** `*`, an account id, or an account root ARN (model-checked). */
  Principal: string;
  OrganizationId?: string;
  RevisionId?: string;
}

/** The API AWS names in a layer-policy RevisionId mismatch (recorded). */
const REVISION_API = 'GetLayerPolicy';

/**
 * Layer version permissions: AddLayerVersionPermission, RemoveLayerVersionPermission,
 * GetLayerVersionPolicy. One policy per layer version, removed with the version.
 */
export class LayerPolicyService {
  readonly #ctx: ControlContext;
  readonly #layers: LayerService;

  constructor(ctx: ControlContext, layers: LayerService) {
    this.#ctx = ctx;
    this.#layers = layers;
  }

  get #policies() {
    return this.#ctx.store.collection<PolicyRecord>(COLLECTIONS.layerPolicies);
  }

  add(input: AddLayerVersionPermissionInput): { Statement: string; RevisionId: string } {
    const { k, layer } = this.#require(input.LayerName, input.VersionNumber);
    // A 12-digit account becomes its root ARN; `*` and root ARNs stay as given (AWS's rendering).
    const principal: PolicyStatement['Principal'] = /^\d{12}$/.test(input.Principal)
      ? { AWS: `arn:${this.#ctx.arns.partition}:iam::${input.Principal}:root` }
      : input.Principal === '*' ? '*' : { AWS: input.Principal };
    const statement: PolicyStatement = {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: principal,
      Action: input.Action,
      Resource: layer.LayerVersionArn,
      ...(input.OrganizationId !== undefined ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': input.OrganizationId } } } : {}),
    };
    return this.#ctx.store.transaction(() => {
      const existing = this.#policies.get(k);
      const policy = withStatement(existing, statement, {
        revisionId: input.RevisionId,
        expectedRevisionId: existing?.RevisionId,
        revisionApi: REVISION_API,
        newRevisionId: this.#ctx.uuid(),
      });
      this.#policies.put(k, policy);
      return { Statement: JSON.stringify(statement), RevisionId: policy.RevisionId };
    });
  }

  remove(input: { LayerName: string; VersionNumber: number; StatementId: string; RevisionId?: string }): void {
    const { k } = this.#require(input.LayerName, input.VersionNumber);
    this.#ctx.store.transaction(() =>
      removeStatement(this.#policies, k, { statementId: input.StatementId, revisionId: input.RevisionId, revisionApi: REVISION_API, newRevisionId: this.#ctx.uuid }),
    );
  }

  get(input: { LayerName: string; VersionNumber: number }): { Policy: string; RevisionId: string } {
    const { k } = this.#require(input.LayerName, input.VersionNumber);
    const policy = this.#policies.get(k);
    if (!policy) throw new ResourceNotFoundException('No policy is associated with the given resource.');
    return { Policy: policyJson(policy.Statement), RevisionId: policy.RevisionId };
  }

  /** The statements of a layer version's policy (for cross-account GetLayerVersion checks); [] when none. */
  statements(layerName: string, version: number): PolicyStatement[] {
    return this.#policies.get(key(layerName, layerVersionKey(version)))?.Statement ?? [];
  }

  #require(layerName: string, version: number): { k: string; layer: LayerVersionRecord } {
    const name = this.#layers.layerName(layerName);
    const layer = this.#layers.record(name, checkVersion(version));
    if (!layer) throw new ResourceNotFoundException(`Layer version ${this.#ctx.arns.layer(name, version)} does not exist.`);
    return { k: key(name, layerVersionKey(version)), layer };
  }
}
