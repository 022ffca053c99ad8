import {
  inputVars, resourcesOf, setIf, str, strings,
  type ServiceResources,
} from './service-resources.js';

/**
 * STS: AssumeRole (and the SAML / web-identity forms) act on the role named by RoleArn,
 * GetFederationToken on the federated user it creates, AssumeRoot on the target account's root.
 */
export const stsResources: ServiceResources = {
  resources(action, input, _principal, env) {
    const vars = inputVars(input, env);
    return resourcesOf(action, (t) => {
      switch (t.name) {
        case 'role':
          return str(input.RoleArn);
        case 'federated-user': {
          const name = str(input.Name);
          return name && `arn:${env.partition}:sts::${env.accountId}:federated-user/${name}`;
        }
        case 'root-user': {
          const account = str(input.TargetPrincipal);
          return account && `arn:${env.partition}:iam::${account}:root`;
        }
        default:
          return t.template.fill(vars);
      }
    });
  },

  context(_action, input, _principal, _env, into) {
    setIf(into, 'sts:RoleSessionName', str(input.RoleSessionName));
    setIf(into, 'sts:ExternalId', str(input.ExternalId));
    setIf(into, 'sts:SourceIdentity', str(input.SourceIdentity));
    setIf(into, 'sts:TransitiveTagKeys', strings(input.TransitiveTagKeys));
    // The data lists sts:DurationSeconds only for the bearer-token action (GetWebIdentityToken), not
    // for AssumeRole; set it anyway and let the action's key list decide.
    setIf(into, 'sts:DurationSeconds', str(input.DurationSeconds));
    setIf(into, 'sts:TaskPolicyArn', str(input.TaskPolicyArn));
  },
};
