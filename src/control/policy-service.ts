import { dropWithQualifier } from './qualifier-documents.js';
import type { ControlContext } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { policyJson, principalElement, removeStatement, withStatement } from './policy-document.js';
import { COLLECTIONS, key, type PolicyRecord, type PolicyStatement } from '../domain/records.js';
import { InvalidParameterValueException, ResourceNotFoundException } from '../domain/errors.js';

export interface AddPermissionInput {
  FunctionName: string;
  StatementId: string;
  Action: string;
  Principal: string;
  SourceArn?: string;
  SourceAccount?: string;
  EventSourceToken?: string;
  Qualifier?: string;
  RevisionId?: string;
  PrincipalOrgID?: string;
  FunctionUrlAuthType?: string;
  InvokedViaFunctionUrl?: boolean;
}

/** The API AWS names in a RevisionId mismatch of AddPermission/RemovePermission (recorded 2025). */
const REVISION_API = 'GetPolicy';

/**
 * Function resource policies: AddPermission, RemovePermission, GetPolicy. One policy document per
 * function qualifier ($LATEST, a version, an alias), each with its own RevisionId; statement ids are
 * unique within one document only (the same Sid may exist on $LATEST and on an alias, as in AWS).
 */
export class PolicyService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    dropWithQualifier(ctx, COLLECTIONS.policies);
  }

  get #policies() {
    return this.#ctx.store.collection<PolicyRecord>(COLLECTIONS.policies);
  }

  addPermission(input: AddPermissionInput): { Statement: string } {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    if (qualifier === '$LATEST') throw new InvalidParameterValueException('We currently do not support adding policies for $LATEST.');
    return this.#ctx.store.transaction(() => {
      const target = this.#lookup.resolve(this.#lookup.requireFunction(name), qualifier);
      const k = key(name, target.qualifier);
      const existing = this.#policies.get(k);
      const statement = this.#statement(input, target.arn);
      // AWS compares RevisionId with the policy's revision; before a first statement exists, with the
      // revision of the version or alias the policy will belong to (recorded: an alias's RevisionId
      // is accepted for the first AddPermission on that alias).
      const policy = withStatement(existing, statement, {
        revisionId: input.RevisionId,
        expectedRevisionId: existing?.RevisionId ?? target.revisionId,
        revisionApi: REVISION_API,
        newRevisionId: this.#ctx.uuid(),
      });
      this.#policies.put(k, policy);
      return { Statement: JSON.stringify(statement) };
    });
  }

  removePermission(input: { FunctionName: string; StatementId: string; Qualifier?: string; RevisionId?: string }): void {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    this.#ctx.store.transaction(() => {
      const fn = this.#lookup.getFunction(name);
      if (!fn) throw new ResourceNotFoundException(`No policy found for: ${this.#ctx.arns.function(name)}`);
      const target = this.#lookup.resolve(fn, qualifier);
      const k = key(name, target.qualifier);
      removeStatement(this.#policies, k, { statementId: input.StatementId, revisionId: input.RevisionId, revisionApi: REVISION_API, newRevisionId: this.#ctx.uuid });
    });
  }

  getPolicy(input: { FunctionName: string; Qualifier?: string }): { Policy: string; RevisionId: string } {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    const notFound = () => new ResourceNotFoundException('The resource you requested does not exist.');
    if (!this.#lookup.getFunction(name)) throw notFound();
    const policy = this.#policies.get(key(name, qualifier ?? '$LATEST'));
    if (!policy) throw notFound();
    return { Policy: policyJson(policy.Statement), RevisionId: policy.RevisionId };
  }

  /** The statements of one qualifier's policy (for resource-policy evaluation); [] when none. */
  statements(functionName: string, qualifier = '$LATEST'): PolicyStatement[] {
    return this.#policies.get(key(functionName, qualifier))?.Statement ?? [];
  }

  #statement(input: AddPermissionInput, resource: string): PolicyStatement {
    const stringEquals: Record<string, string> = {};
    if (input.SourceAccount !== undefined) stringEquals['AWS:SourceAccount'] = input.SourceAccount;
    if (input.EventSourceToken !== undefined) stringEquals['lambda:EventSourceToken'] = input.EventSourceToken;
    if (input.FunctionUrlAuthType !== undefined) stringEquals['lambda:FunctionUrlAuthType'] = input.FunctionUrlAuthType;
    if (input.PrincipalOrgID !== undefined) stringEquals['aws:PrincipalOrgID'] = input.PrincipalOrgID;
    const condition: Record<string, Record<string, string>> = {};
    if (Object.keys(stringEquals).length > 0) condition['StringEquals'] = stringEquals;
    if (input.SourceArn !== undefined) condition['ArnLike'] = { 'AWS:SourceArn': input.SourceArn };
    // Not in the recordings: Lambda documents InvokedViaFunctionUrl as restricting InvokeFunction to URL calls.
    if (input.InvokedViaFunctionUrl === true) condition['Bool'] = { 'lambda:InvokedViaFunctionUrl': 'true' };
    return {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: principalElement(input.Principal, this.#ctx.arns.partition),
      Action: input.Action,
      Resource: resource,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
  }
}
