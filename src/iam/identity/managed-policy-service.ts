import { AwsError } from '../../domain/errors.js';
import type { AwsManagedPolicies } from './aws-managed-policies.js';
import type { IamContext } from './iam-context.js';
import { attachmentPrefix, type ManagedPolicyDoc, type Tag } from './iam-store.js';
import { checkPolicyDocument, encodeDocument, mergeTags, paginate, pageOutput, removeTags, tagsMember, underPath } from './iam-validation.js';

/** IAM's quota for a managed policy version, counted without whitespace. */
const POLICY_SIZE = 6144;
/** IAM keeps at most five versions of a managed policy. */
const MAX_VERSIONS = 5;

export const policyNotFound = (arn: string) => new AwsError('NoSuchEntityException', `Policy ${arn} was not found.`);

/** A managed policy (customer or AWS) as attachment and evaluation see it. */
export interface ResolvedPolicy {
  arn: string;
  name: string;
  path: string;
  document: string;
  aws: boolean;
}

const checkDocument = (text: string) =>
  checkPolicyDocument(text, 'identity', { max: POLICY_SIZE, message: `Cannot exceed quota for PolicySize: ${POLICY_SIZE}` });

/** The policy name of a customer managed ARN of this account (names are unique in an account). */
function localName(arn: string, accountId: string): string | undefined {
  const prefix = `arn:aws:iam::${accountId}:policy/`;
  return arn.startsWith(prefix) ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
}

/** Customer managed policies with versions, and the read-only AWS managed ones. */
export class ManagedPolicyService {
  readonly #ctx: IamContext;
  readonly #aws: AwsManagedPolicies;

  constructor(ctx: IamContext, aws: AwsManagedPolicies) {
    this.#ctx = ctx;
    this.#aws = aws;
  }

  #local(arn: string): ManagedPolicyDoc | undefined {
    const name = localName(arn, this.#ctx.accountId);
    const doc = name === undefined ? undefined : this.#ctx.db.policies.get(name.toLowerCase());
    return doc && doc.Arn === arn ? doc : undefined;
  }

  #requireLocal(arn: string): ManagedPolicyDoc {
    const doc = this.#local(arn);
    if (doc) return doc;
    // AWS managed policies exist but belong to AWS: the caller's account may not change them.
    if (this.#aws.get(arn)) throw new AwsError('AccessDeniedException', `Cannot modify AWS managed policy ${arn}.`, { status: 403 });
    throw policyNotFound(arn);
  }

  /** The policy at an ARN with its default document, or undefined. */
  resolve(arn: string): ResolvedPolicy | undefined {
    const aws = this.#aws.get(arn);
    if (aws) return { arn, name: aws.PolicyName, path: aws.Path, document: aws.document, aws: true };
    const doc = this.#local(arn);
    if (!doc) return undefined;
    const v = doc.versions.find((x) => x.VersionId === doc.DefaultVersionId)!;
    return { arn, name: doc.PolicyName, path: doc.Path, document: v.Document, aws: false };
  }

  create(input: { PolicyName: string; PolicyDocument: string; Path?: string; Description?: string; Tags?: Tag[] }) {
    const { db, ids, accountId, clock } = this.#ctx;
    checkDocument(input.PolicyDocument);
    const path = input.Path ?? '/';
    const now = clock.now();
    const doc: ManagedPolicyDoc = {
      PolicyName: input.PolicyName,
      PolicyId: ids.uniqueId('ANPA'),
      Arn: `arn:aws:iam::${accountId}:policy${path}${input.PolicyName}`,
      Path: path,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      DefaultVersionId: 'v1',
      CreateDate: now,
      UpdateDate: now,
      Tags: mergeTags([], input.Tags),
      versions: [{ VersionId: 'v1', Document: input.PolicyDocument, CreateDate: now }],
      nextVersion: 2,
    };
    if (!db.policies.insert(input.PolicyName.toLowerCase(), doc)) {
      throw new AwsError('EntityAlreadyExistsException', `A policy called ${input.PolicyName} already exists. Duplicate names are not allowed.`);
    }
    return { Policy: this.#output(doc, false) };
  }

  get(input: { PolicyArn: string }) {
    const aws = this.#aws.get(input.PolicyArn);
    if (aws) return { Policy: this.#awsOutput(aws) };
    const doc = this.#local(input.PolicyArn);
    if (!doc) throw policyNotFound(input.PolicyArn);
    return { Policy: this.#output(doc, true) };
  }

  /** ListPolicies: Scope All (AWS's then the account's), AWS or Local; OnlyAttached; PathPrefix. */
  list(input: { Scope?: 'All' | 'AWS' | 'Local'; OnlyAttached?: boolean; PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const scope = input.Scope ?? 'All';
    type Row = { key: string; out: Record<string, unknown>; path: string; attached: number };
    const rows: Row[] = [];
    if (scope !== 'Local') {
      for (const p of this.#aws.all()) {
        const out = this.#awsOutput(p);
        rows.push({ key: `0${p.PolicyName.toLowerCase()}`, out, path: p.Path, attached: out.AttachmentCount });
      }
    }
    if (scope !== 'AWS') {
      for (const { value } of this.#ctx.db.policies.list()) {
        const out = this.#output(value, false);
        rows.push({ key: `1${value.PolicyName.toLowerCase()}`, out, path: value.Path, attached: out.AttachmentCount });
      }
    }
    const filtered = rows
      .filter((r) => underPath(r.path, input.PathPrefix) && (!input.OnlyAttached || r.attached > 0))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return pageOutput('Policies', paginate(filtered, (r) => r.key, input), (r) => r.out);
  }

  /**
   * DeletePolicy refuses while the policy is attached or is a boundary, and while it has versions
   * besides the default (IAM's DeleteConflict texts).
   */
  delete(input: { PolicyArn: string }) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      if (db.attachments.count(attachmentPrefix(doc.Arn)) > 0 || this.#boundaryUses(doc.Arn) > 0) {
        throw new AwsError('DeleteConflictException', 'Cannot delete a policy attached to entities.');
      }
      if (doc.versions.length > 1) {
        throw new AwsError('DeleteConflictException', "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
      }
      db.policies.delete(doc.PolicyName.toLowerCase());
    });
    this.#ctx.revision.bump();
    return {};
  }

  createVersion(input: { PolicyArn: string; PolicyDocument: string; SetAsDefault?: boolean }) {
    checkDocument(input.PolicyDocument);
    const version = this.#ctx.db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      if (doc.versions.length >= MAX_VERSIONS) {
        throw new AwsError('LimitExceededException', 'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
      }
      const now = this.#ctx.clock.now();
      const v = { VersionId: `v${doc.nextVersion}`, Document: input.PolicyDocument, CreateDate: now };
      this.#save({
        ...doc,
        versions: [...doc.versions, v],
        nextVersion: doc.nextVersion + 1,
        UpdateDate: now,
        ...(input.SetAsDefault ? { DefaultVersionId: v.VersionId } : {}),
      });
      return v;
    });
    if (input.SetAsDefault) this.#ctx.revision.bump();
    return { PolicyVersion: { VersionId: version.VersionId, IsDefaultVersion: !!input.SetAsDefault, CreateDate: new Date(version.CreateDate) } };
  }

  getVersion(input: { PolicyArn: string; VersionId: string }) {
    const missing = () => new AwsError('NoSuchEntityException', `Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
    const aws = this.#aws.get(input.PolicyArn);
    if (aws) {
      if (aws.DefaultVersionId !== input.VersionId) throw missing();
      return { PolicyVersion: { Document: encodeDocument(aws.document), VersionId: aws.DefaultVersionId, IsDefaultVersion: true, CreateDate: aws.UpdateDate } };
    }
    const doc = this.#local(input.PolicyArn);
    if (!doc) throw policyNotFound(input.PolicyArn);
    const v = doc.versions.find((x) => x.VersionId === input.VersionId);
    if (!v) throw missing();
    return { PolicyVersion: { Document: encodeDocument(v.Document), VersionId: v.VersionId, IsDefaultVersion: v.VersionId === doc.DefaultVersionId, CreateDate: new Date(v.CreateDate) } };
  }

  /** ListPolicyVersions: newest first, without documents, as IAM lists them. */
  listVersions(input: { PolicyArn: string; Marker?: string; MaxItems?: number }) {
    const aws = this.#aws.get(input.PolicyArn);
    if (aws) return { Versions: [{ VersionId: aws.DefaultVersionId, IsDefaultVersion: true, CreateDate: aws.UpdateDate }], IsTruncated: false };
    const doc = this.#local(input.PolicyArn);
    if (!doc) throw policyNotFound(input.PolicyArn);
    const versions = [...doc.versions].reverse();
    return pageOutput('Versions', paginate(versions, (v) => String(1e9 - Number(v.VersionId.slice(1))).padStart(10, '0'), input), (v) => ({
      VersionId: v.VersionId, IsDefaultVersion: v.VersionId === doc.DefaultVersionId, CreateDate: new Date(v.CreateDate),
    }));
  }

  deleteVersion(input: { PolicyArn: string; VersionId: string }) {
    this.#ctx.db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      if (!doc.versions.some((v) => v.VersionId === input.VersionId)) {
        throw new AwsError('NoSuchEntityException', `Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
      }
      if (doc.DefaultVersionId === input.VersionId) throw new AwsError('DeleteConflictException', 'Cannot delete the default version of a policy.');
      this.#save({ ...doc, versions: doc.versions.filter((v) => v.VersionId !== input.VersionId) });
    });
    return {};
  }

  setDefaultVersion(input: { PolicyArn: string; VersionId: string }) {
    this.#ctx.db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      if (!doc.versions.some((v) => v.VersionId === input.VersionId)) {
        throw new AwsError('NoSuchEntityException', `Policy ${input.PolicyArn} version ${input.VersionId} does not exist or is not attachable.`);
      }
      this.#save({ ...doc, DefaultVersionId: input.VersionId, UpdateDate: this.#ctx.clock.now() });
    });
    this.#ctx.revision.bump();
    return {};
  }

  tag(input: { PolicyArn: string; Tags: Tag[] }) {
    this.#ctx.db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      this.#save({ ...doc, Tags: mergeTags(doc.Tags, input.Tags) });
    });
    return {};
  }

  untag(input: { PolicyArn: string; TagKeys: string[] }) {
    this.#ctx.db.transaction(() => {
      const doc = this.#requireLocal(input.PolicyArn);
      this.#save({ ...doc, Tags: removeTags(doc.Tags, input.TagKeys) });
    });
    return {};
  }

  listTags(input: { PolicyArn: string; Marker?: string; MaxItems?: number }) {
    if (this.#aws.get(input.PolicyArn)) return { Tags: [], IsTruncated: false };
    const doc = this.#local(input.PolicyArn);
    if (!doc) throw policyNotFound(input.PolicyArn);
    return pageOutput('Tags', paginate(doc.Tags, (t) => t.Key, input), (t) => t);
  }

  #save(doc: ManagedPolicyDoc): void {
    this.#ctx.db.policies.put(doc.PolicyName.toLowerCase(), doc);
  }

  /** Users and roles that use the policy as their permissions boundary. */
  #boundaryUses(arn: string): number {
    let n = 0;
    for (const { value } of this.#ctx.db.users.list()) if (value.PermissionsBoundary === arn) n++;
    for (const { value } of this.#ctx.db.roles.list()) if (value.PermissionsBoundary === arn) n++;
    return n;
  }

  /** A customer managed policy as IAM shows it (Description only where GetPolicy shows it). */
  #output(doc: ManagedPolicyDoc, withDescription: boolean) {
    return {
      ...this.#common(doc, new Date(doc.CreateDate), new Date(doc.UpdateDate)),
      ...(withDescription && doc.Description !== undefined ? { Description: doc.Description } : {}),
      ...tagsMember(doc.Tags),
    };
  }

  /** An AWS managed policy: the same members, no description or tags. */
  #awsOutput(p: ReturnType<AwsManagedPolicies['all']>[number]) {
    return this.#common(p, p.CreateDate, p.UpdateDate);
  }

  #common(p: { PolicyName: string; PolicyId: string; Arn: string; Path: string; DefaultVersionId: string }, created: Date, updated: Date) {
    return {
      PolicyName: p.PolicyName,
      PolicyId: p.PolicyId,
      Arn: p.Arn,
      Path: p.Path,
      DefaultVersionId: p.DefaultVersionId,
      AttachmentCount: this.#ctx.db.attachments.count(attachmentPrefix(p.Arn)),
      PermissionsBoundaryUsageCount: this.#boundaryUses(p.Arn),
      IsAttachable: true,
      CreateDate: created,
      UpdateDate: updated,
    };
  }
}
