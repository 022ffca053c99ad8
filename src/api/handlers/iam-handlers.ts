import type { OperationHandlers } from '../request-context.js';
import type { IamServices } from '../../iam/identity/iam-services.js';

/** IAM's operations → the IAM services (src/iam/identity). */
export function iamHandlers(s: IamServices): OperationHandlers {
  const boundary = (arn: string) => s.attachments.checkBoundary(arn);
  const a = s.attachments;
  const inline = s.inlinePolicies;
  return {
    // Users and access keys
    CreateUser: (i) => s.users.create(i, boundary),
    GetUser: (i, ctx) => s.users.get(i, ctx.principal),
    ListUsers: (i) => s.users.list(i),
    UpdateUser: (i) => s.users.update(i),
    DeleteUser: (i) => s.users.delete(i),
    TagUser: (i) => s.users.tag(i),
    UntagUser: (i) => s.users.untag(i),
    ListUserTags: (i) => s.users.listTags(i),
    CreateAccessKey: (i, ctx) => s.accessKeys.create(i, ctx.principal),
    ListAccessKeys: (i, ctx) => s.accessKeys.list(i, ctx.principal),
    UpdateAccessKey: (i, ctx) => s.accessKeys.update(i, ctx.principal),
    DeleteAccessKey: (i, ctx) => s.accessKeys.delete(i, ctx.principal),
    GetAccessKeyLastUsed: (i) => s.accessKeys.lastUsed(i),
    // Groups
    CreateGroup: (i) => s.groups.create(i),
    GetGroup: (i) => s.groups.get(i),
    ListGroups: (i) => s.groups.list(i),
    DeleteGroup: (i) => s.groups.delete(i),
    AddUserToGroup: (i) => s.groups.addUser(i),
    RemoveUserFromGroup: (i) => s.groups.removeUser(i),
    ListGroupsForUser: (i) => s.groups.listForUser(i),
    // Roles
    CreateRole: (i) => s.roles.create(i, boundary),
    GetRole: (i) => s.roles.get(i),
    ListRoles: (i) => s.roles.list(i),
    UpdateRole: (i) => s.roles.update(i),
    UpdateRoleDescription: (i) => s.roles.updateDescription(i),
    UpdateAssumeRolePolicy: (i) => s.roles.updateAssumeRolePolicy(i),
    DeleteRole: (i) => s.roles.delete(i),
    TagRole: (i) => s.roles.tag(i),
    UntagRole: (i) => s.roles.untag(i),
    ListRoleTags: (i) => s.roles.listTags(i),
    // Inline policies
    PutUserPolicy: (i) => inline.put('user', i.UserName, i.PolicyName, i.PolicyDocument),
    GetUserPolicy: (i) => inline.get('user', i.UserName, i.PolicyName),
    ListUserPolicies: (i) => inline.list('user', i.UserName, i),
    DeleteUserPolicy: (i) => inline.delete('user', i.UserName, i.PolicyName),
    PutGroupPolicy: (i) => inline.put('group', i.GroupName, i.PolicyName, i.PolicyDocument),
    GetGroupPolicy: (i) => inline.get('group', i.GroupName, i.PolicyName),
    ListGroupPolicies: (i) => inline.list('group', i.GroupName, i),
    DeleteGroupPolicy: (i) => inline.delete('group', i.GroupName, i.PolicyName),
    PutRolePolicy: (i) => inline.put('role', i.RoleName, i.PolicyName, i.PolicyDocument),
    GetRolePolicy: (i) => inline.get('role', i.RoleName, i.PolicyName),
    ListRolePolicies: (i) => inline.list('role', i.RoleName, i),
    DeleteRolePolicy: (i) => inline.delete('role', i.RoleName, i.PolicyName),
    // Managed policies and versions
    CreatePolicy: (i) => s.policies.create(i),
    GetPolicy: (i) => s.policies.get(i),
    ListPolicies: (i) => s.policies.list(i),
    DeletePolicy: (i) => s.policies.delete(i),
    CreatePolicyVersion: (i) => s.policies.createVersion(i),
    GetPolicyVersion: (i) => s.policies.getVersion(i),
    ListPolicyVersions: (i) => s.policies.listVersions(i),
    DeletePolicyVersion: (i) => s.policies.deleteVersion(i),
    SetDefaultPolicyVersion: (i) => s.policies.setDefaultVersion(i),
    TagPolicy: (i) => s.policies.tag(i),
    UntagPolicy: (i) => s.policies.untag(i),
    ListPolicyTags: (i) => s.policies.listTags(i),
    // Attachments and boundaries
    AttachUserPolicy: (i) => a.attach('user', i.UserName, i.PolicyArn),
    DetachUserPolicy: (i) => a.detach('user', i.UserName, i.PolicyArn),
    ListAttachedUserPolicies: (i) => a.listAttached('user', i.UserName, i),
    AttachGroupPolicy: (i) => a.attach('group', i.GroupName, i.PolicyArn),
    DetachGroupPolicy: (i) => a.detach('group', i.GroupName, i.PolicyArn),
    ListAttachedGroupPolicies: (i) => a.listAttached('group', i.GroupName, i),
    AttachRolePolicy: (i) => a.attach('role', i.RoleName, i.PolicyArn),
    DetachRolePolicy: (i) => a.detach('role', i.RoleName, i.PolicyArn),
    ListAttachedRolePolicies: (i) => a.listAttached('role', i.RoleName, i),
    ListEntitiesForPolicy: (i) => a.listEntities(i),
    PutUserPermissionsBoundary: (i) => a.putBoundary('user', i.UserName, i.PermissionsBoundary),
    DeleteUserPermissionsBoundary: (i) => a.deleteBoundary('user', i.UserName),
    PutRolePermissionsBoundary: (i) => a.putBoundary('role', i.RoleName, i.PermissionsBoundary),
    DeleteRolePermissionsBoundary: (i) => a.deleteBoundary('role', i.RoleName),
  };
}
