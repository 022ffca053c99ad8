import type { Principal } from '../../domain/principal.js';
import type { ArnTemplate } from './arn-template.js';
import {
  inputVars, resourcesOf, setIf, str,
  type OperationInput, type ResourceEnv, type ServiceResources,
} from './service-resources.js';

/** `${…NameWithPath}`: the path without its leading `/`, then the name (`/div/` + `alice` → `div/alice`). */
function withPath(path: string | undefined, name: string): string {
  const p = path && path !== '/' ? path : '/';
  return p.slice(1) + name;
}

/**
 * The path of an entity the request names: a Create operation gives the new entity's own `Path`;
 * otherwise it is looked up (`/` when the entity does not exist — the operation reports that).
 */
function entityPath(action: string, kind: 'user' | 'role' | 'group', name: string, input: OperationInput, env: ResourceEnv): string | undefined {
  if (action.startsWith('iam:Create')) return str(input.Path);
  return env.paths[kind](name);
}

/**
 * Operations that may omit UserName act on the caller (GetUser, ListAccessKeys, CreateAccessKey,
 * ChangePassword, …): AWS authorizes them on the caller's own user ARN. For a role session the
 * operation itself fails (AWS: "Must specify userName when calling with non-User credentials");
 * its ARN is used meanwhile.
 */
function userArn(action: string, input: OperationInput, principal: Principal, env: ResourceEnv, vars: (n: string) => string | undefined, template: ArnTemplate): string | undefined {
  const name = str(input.UserName);
  if (name === undefined) return principal.type === 'Account' ? `arn:${env.partition}:iam::${env.accountId}:root` : principal.arn;
  return template.fill((v) => (v === 'UserNameWithPath' ? withPath(entityPath(action, 'user', name, input, env), name) : vars(v)));
}

/**
 * Resource types whose request member is the resource's own ARN (policies, identity providers,
 * virtual MFA devices by serial number).
 */
const ARN_MEMBER: Record<string, string> = {
  policy: 'PolicyArn',
  'oidc-provider': 'OpenIDConnectProviderArn',
  'saml-provider': 'SAMLProviderArn',
  mfa: 'SerialNumber',
};

/** IAM: users, roles and groups with their paths, policies and providers by ARN, the caller's own user. */
export const iamResources: ServiceResources = {
  resources(action, input, principal, env) {
    const name = action.action;
    // Operations that take any entity by ARN (GenerateServiceLastAccessedDetails,
    // SimulatePrincipalPolicy, …) list every entity type; the request names one of them.
    if (action.resourceTypes.length > 1) {
      const byArn = str(input.Arn) ?? str(input.PolicySourceArn);
      if (byArn) return [byArn];
    }
    const vars = inputVars(input, env);
    const out = resourcesOf(action, (t) => {
      const member = ARN_MEMBER[t.name];
      const direct = member ? str(input[member]) : undefined;
      if (direct && direct.startsWith('arn:')) return direct;
      switch (t.name) {
        case 'user':
          return userArn(name, input, principal, env, vars, t.template);
        case 'role':
        case 'group': {
          const n = str(input[t.name === 'role' ? 'RoleName' : 'GroupName']);
          if (n === undefined) return undefined;
          const variable = t.name === 'role' ? 'RoleNameWithPath' : 'GroupNameWithPath';
          return t.template.fill((v) => (v === variable ? withPath(entityPath(name, t.name as 'role' | 'group', n, input, env), n) : vars(v)));
        }
        case 'policy': {
          const n = str(input.PolicyName); // CreatePolicy: the new policy under its Path
          return n && t.template.fill((v) => (v === 'PolicyNameWithPath' ? withPath(str(input.Path), n) : vars(v)));
        }
        default:
          return t.template.fill(pathVars(input, vars));
      }
    });
    return renamed(name, input, env, out);
  },

  context(_action, input, _principal, _env, into) {
    setIf(into, 'iam:PolicyARN', str(input.PolicyArn));
    setIf(into, 'iam:PermissionsBoundary', str(input.PermissionsBoundary));
    setIf(into, 'iam:AWSServiceName', str(input.AWSServiceName));
    setIf(into, 'iam:OrganizationsPolicyId', str(input.OrganizationsPolicyId));
  },
};

/** The remaining `…WithPath` variables: the entity's Path member (Create/Upload) or `/`. */
function pathVars(input: OperationInput, vars: (n: string) => string | undefined) {
  return (v: string): string | undefined => {
    switch (v) {
      case 'InstanceProfileNameWithPath': { const n = str(input.InstanceProfileName); return n && withPath(str(input.Path), n); }
      case 'CertificateNameWithPath': { const n = str(input.ServerCertificateName); return n && withPath(str(input.Path), n); }
      case 'MfaTokenIdWithPath': { const n = str(input.VirtualMFADeviceName); return n && withPath(str(input.Path), n); }
      case 'OidcProviderName': { const u = str(input.Url); return u && u.replace(/^https:\/\//, ''); }
      case 'SamlProviderName': return str(input.Name);
      default: return vars(v);
    }
  };
}

/**
 * UpdateUser / UpdateGroup with a new name or path: AWS requires permission on both the source and
 * the target ("the requester must have appropriate permissions on both the source object and the
 * target object" — IAM user guide, renaming an IAM user / group).
 */
function renamed(action: string, input: OperationInput, env: ResourceEnv, out: readonly string[]): readonly string[] {
  const kind = action === 'iam:UpdateUser' ? 'user' : action === 'iam:UpdateGroup' ? 'group' : undefined;
  if (!kind) return out;
  const oldName = str(input[kind === 'user' ? 'UserName' : 'GroupName']);
  const newName = str(input[kind === 'user' ? 'NewUserName' : 'NewGroupName']) ?? oldName;
  const newPath = str(input.NewPath) ?? (oldName ? env.paths[kind](oldName) : undefined);
  if (!newName || (newName === oldName && str(input.NewPath) === undefined)) return out;
  const target = `arn:${env.partition}:iam::${env.accountId}:${kind}/${withPath(newPath, newName)}`;
  return out.includes(target) ? out : [...out, target];
}
