import type { Collection, MetadataStore } from '../../ports/metadata-store.js';

/**
 * Where IAM and STS keep their state in the metadata store: every collection name and key layout
 * in one place. Entity names are keys in lower case because IAM names are unique without regard
 * to case ("User with name Bob already exists" when `bob` does); documents keep the name as given.
 */
export interface Tag {
  Key: string;
  Value: string;
}

/** Inline policies (name → JSON text) and attached managed policy ARNs of a user, group or role. */
export interface PolicyHolder {
  inline: Record<string, string>;
  attached: string[];
}

export interface UserDoc extends PolicyHolder {
  UserName: string;
  UserId: string;
  Path: string;
  Arn: string;
  CreateDate: number;
  Tags: Tag[];
  PermissionsBoundary?: string;
  /** Group names (as stored) the user belongs to. */
  groups: string[];
  /** Access key ids, oldest first. */
  keys: string[];
}

export interface GroupDoc extends PolicyHolder {
  GroupName: string;
  GroupId: string;
  Path: string;
  Arn: string;
  CreateDate: number;
}

export interface RoleDoc extends PolicyHolder {
  RoleName: string;
  RoleId: string;
  Path: string;
  Arn: string;
  CreateDate: number;
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  PermissionsBoundary?: string;
  Tags: Tag[];
  /** Bumped on every trust-policy change: the trust policy's revision as a resource policy. */
  trustRevision: number;
  LastUsedDate?: number;
  LastUsedRegion?: string;
}

export interface AccessKeyDoc {
  AccessKeyId: string;
  SecretAccessKey: string;
  UserName: string;
  Status: 'Active' | 'Inactive';
  CreateDate: number;
  LastUsedDate?: number;
  LastUsedService?: string;
  LastUsedRegion?: string;
}

export interface PolicyVersionDoc {
  VersionId: string;
  Document: string;
  CreateDate: number;
}

/** A customer managed policy with its versions (at most five, as IAM allows). */
export interface ManagedPolicyDoc {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  Description?: string;
  DefaultVersionId: string;
  CreateDate: number;
  UpdateDate: number;
  Tags: Tag[];
  versions: PolicyVersionDoc[];
  /** The number the next CreatePolicyVersion takes: IAM never reuses a version id. */
  nextVersion: number;
}

export type EntityKind = 'user' | 'group' | 'role';

/** One managed policy attached to one entity (key: `<policyArn>\0<kind>\0<name key>`). */
export interface AttachmentDoc {
  PolicyArn: string;
  kind: EntityKind;
  name: string;
}

/** A temporary credential issued by STS (AssumeRole, GetSessionToken). */
export interface SessionDoc {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  issuedAt: number;
  expiresAt: number;
  kind: 'AssumedRole' | 'User' | 'Account';
  /** AssumedRole: the role's name and id (a re-created role has another id: old sessions die). */
  roleName?: string;
  roleId?: string;
  sessionName?: string;
  /** GetSessionToken by a user: the user. */
  userName?: string;
  /** Session policies passed to AssumeRole (inline Policy first, then PolicyArns). */
  sessionPolicies?: Array<{ id: string; document: string }>;
}

export const COLLECTIONS = {
  users: 'iam-users',
  groups: 'iam-groups',
  roles: 'iam-roles',
  accessKeys: 'iam-access-keys',
  policies: 'iam-policies',
  attachments: 'iam-attachments',
  /** key `<group key>\0<user key>` → {} */
  memberships: 'iam-memberships',
  meta: 'iam-meta',
  sessions: 'sts-sessions',
} as const;

/** Typed access to every IAM/STS collection of one store. */
export class IamStore {
  readonly store: MetadataStore;
  readonly users: Collection<UserDoc>;
  readonly groups: Collection<GroupDoc>;
  readonly roles: Collection<RoleDoc>;
  readonly accessKeys: Collection<AccessKeyDoc>;
  readonly policies: Collection<ManagedPolicyDoc>;
  readonly attachments: Collection<AttachmentDoc>;
  readonly memberships: Collection<Record<string, never>>;
  readonly meta: Collection<Record<string, unknown>>;
  readonly sessions: Collection<SessionDoc>;

  constructor(store: MetadataStore) {
    this.store = store;
    this.users = store.collection(COLLECTIONS.users);
    this.groups = store.collection(COLLECTIONS.groups);
    this.roles = store.collection(COLLECTIONS.roles);
    this.accessKeys = store.collection(COLLECTIONS.accessKeys);
    this.policies = store.collection(COLLECTIONS.policies);
    this.attachments = store.collection(COLLECTIONS.attachments);
    this.memberships = store.collection(COLLECTIONS.memberships);
    this.meta = store.collection(COLLECTIONS.meta);
    this.sessions = store.collection(COLLECTIONS.sessions);
  }

  transaction<R>(fn: () => R): R {
    return this.store.transaction(fn);
  }
}

/** The key of an entity name (IAM names are case-insensitive for uniqueness and lookup). */
export const nameKey = (name: string): string => name.toLowerCase();

export const attachmentKey = (policyArn: string, kind: EntityKind, name: string): string =>
  `${policyArn}\u0000${kind}\u0000${nameKey(name)}`;
export const attachmentPrefix = (policyArn: string): string => `${policyArn}\u0000`;

export const membershipKey = (group: string, user: string): string => `${nameKey(group)}\u0000${nameKey(user)}`;
export const membershipPrefix = (group: string): string => `${nameKey(group)}\u0000`;
