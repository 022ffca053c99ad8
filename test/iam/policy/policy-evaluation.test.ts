import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../../../src/domain/principal.js';
import {
  evaluatePolicies,
  parsePolicyDocument,
  type Decision,
  type EvaluationRequest,
  type PolicySet,
  type RequestPrincipal,
} from '../../../src/iam/policy/index.js';

const ACCT = '111111111111';
const OTHER = '222222222222';
const FN = `arn:aws:lambda:us-east-1:${ACCT}:function:c`;
const OTHER_FN = `arn:aws:lambda:us-east-1:${OTHER}:function:x`;
const NOW = Date.parse('2024-06-01T12:00:00Z');

const bob: Principal = { type: 'User', arn: `arn:aws:iam::${ACCT}:user/bob`, accountId: ACCT, userId: 'AIDABOB', userName: 'bob' };
const session: Principal = {
  type: 'AssumedRole',
  arn: `arn:aws:sts::${ACCT}:assumed-role/runner/s1`,
  accountId: ACCT,
  userId: 'AROARUNNER:s1',
  roleArn: `arn:aws:iam::${ACCT}:role/runner`,
  sessionName: 's1',
};
const carol: Principal = { type: 'User', arn: `arn:aws:iam::${OTHER}:user/carol`, accountId: OTHER, userId: 'AIDACAROL', userName: 'carol' };
const events: RequestPrincipal = { type: 'Service', service: 'events.amazonaws.com' };

type Stmt = Record<string, unknown>;
const allow = (extra: Stmt = {}): Stmt => ({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*', ...extra });
const deny = (extra: Stmt = {}): Stmt => ({ Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: '*', ...extra });
const grant = (principal: unknown, extra: Stmt = {}): Stmt => ({ ...allow(extra), Principal: principal });

function doc(kind: 'identity' | 'resource' | 'trust', statements: Stmt[], version = '2012-10-17') {
  return parsePolicyDocument(JSON.stringify({ Version: version, Statement: statements }), kind);
}

interface Case {
  name: string;
  principal?: RequestPrincipal;
  action?: string;
  resource?: string;
  context?: Record<string, string | string[] | undefined>;
  identity?: Stmt[];
  identityVersion?: string;
  resourcePolicy?: Stmt[];
  boundary?: Stmt[];
  session?: Stmt[];
  trust?: Stmt[];
  expect: Decision['decision'] | Partial<Decision>;
}

function run(c: Case): Decision {
  const policies: PolicySet = { identity: c.identity ? [{ id: 'id1', document: doc('identity', c.identity, c.identityVersion) }] : [] };
  if (c.resourcePolicy) policies.resource = { id: 'res', document: doc('resource', c.resourcePolicy) };
  if (c.trust) {
    policies.resource = { id: 'trust', document: doc('trust', c.trust) };
    policies.requireResourcePolicy = true;
  }
  if (c.boundary) policies.permissionsBoundary = { id: 'pb', document: doc('identity', c.boundary) };
  if (c.session) policies.sessionPolicies = [{ id: 'sp', document: doc('identity', c.session) }];
  const request: EvaluationRequest = {
    principal: c.principal ?? bob,
    action: c.action ?? 'lambda:InvokeFunction',
    resource: c.resource ?? FN,
    context: c.context ?? {},
    now: NOW,
  };
  return evaluatePolicies(request, policies);
}

const cases: Case[] = [
  // --- basic evaluation ---
  { name: 'no policy at all is an implicit deny from identity policies', expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'an identity-policy allow allows', identity: [allow()], expect: { decision: 'Allow', statement: 'id1#0' } },
  { name: 'the deciding statement is named by its Sid', identity: [allow({ Sid: 'Inv' })], expect: { statement: 'id1#Inv' } },
  { name: 'an identity-policy deny is an explicit deny', identity: [allow(), deny({ Sid: 'No' })], expect: { decision: 'ExplicitDeny', policyType: 'identity', statement: 'id1#No' } },
  { name: 'explicit deny in an identity policy overrides an allow in a resource policy', identity: [deny()], resourcePolicy: [grant({ AWS: bob.arn })], expect: { decision: 'ExplicitDeny', policyType: 'identity' } },
  { name: 'explicit deny in a resource policy overrides an identity allow', identity: [allow()], resourcePolicy: [{ ...deny(), Principal: '*' }], expect: { decision: 'ExplicitDeny', policyType: 'resource' } },
  { name: 'explicit deny in a permissions boundary overrides an identity allow', identity: [allow()], boundary: [allow(), deny()], expect: { decision: 'ExplicitDeny', policyType: 'permissionsBoundary' } },
  { name: 'explicit deny in a session policy overrides an identity allow', principal: session, identity: [allow()], session: [deny()], expect: { decision: 'ExplicitDeny', policyType: 'sessionPolicy' } },
  { name: 'an allow for another action does not allow', identity: [allow({ Action: 'lambda:GetFunction' })], expect: 'ImplicitDeny' },
  { name: 'an allow for another resource does not allow', identity: [allow({ Resource: `${FN}x` })], expect: 'ImplicitDeny' },
  { name: 'a deny for another action does not deny', identity: [allow(), deny({ Action: 'lambda:DeleteFunction' })], expect: 'Allow' },

  // --- Action / NotAction ---
  { name: 'Action matches case-insensitively', identity: [allow({ Action: 'LAMBDA:invokefunction' })], expect: 'Allow' },
  { name: 'Action * matches every action', identity: [allow({ Action: '*' })], expect: 'Allow' },
  { name: 'Action service:* matches every action of the service', identity: [allow({ Action: 'lambda:*' })], expect: 'Allow' },
  { name: 'Action service:* does not match another service', identity: [allow({ Action: 's3:*' })], expect: 'ImplicitDeny' },
  { name: 'Action prefix glob matches', identity: [allow({ Action: 'lambda:Invoke*' })], expect: 'Allow' },
  { name: 'Action ? matches exactly one character', identity: [allow({ Action: 'lambda:InvokeFunctio?' })], expect: 'Allow' },
  { name: 'Action ? does not match two characters', identity: [allow({ Action: 'lambda:InvokeFuncti?' })], expect: 'ImplicitDeny' },
  { name: 'Action list matches any entry', identity: [allow({ Action: ['s3:GetObject', 'lambda:InvokeFunction'] })], expect: 'Allow' },
  { name: 'NotAction allows every action not listed', identity: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }], expect: 'Allow' },
  { name: 'NotAction does not allow a listed action', identity: [{ Effect: 'Allow', NotAction: 'lambda:Invoke*', Resource: '*' }], expect: 'ImplicitDeny' },
  { name: 'Deny with NotAction denies everything else', identity: [allow(), { Effect: 'Deny', NotAction: 's3:*', Resource: '*' }], expect: 'ExplicitDeny' },

  // --- Resource / NotResource ---
  { name: 'Resource matches case-sensitively', identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:C` })], expect: 'ImplicitDeny' },
  { name: 'Resource exact ARN matches', identity: [allow({ Resource: FN })], expect: 'Allow' },
  { name: 'Resource wildcard in the resource part matches', identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:*` })], expect: 'Allow' },
  { name: 'Resource wildcard in the resource part spans colons (qualified ARN)', resource: `${FN}:prod`, identity: [allow({ Resource: `arn:aws:lambda:*:${ACCT}:function:*` })], expect: 'Allow' },
  { name: 'Resource wildcard in the region field stays inside the field', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:c`, identity: [allow({ Resource: `arn:aws:lambda:*:function:c` })], expect: 'ImplicitDeny' },
  { name: 'Resource arn:aws:lambda:*:*:* matches any lambda ARN', identity: [allow({ Resource: 'arn:aws:lambda:*:*:*' })], expect: 'Allow' },
  { name: 'Resource ARN pattern does not match the resource *', resource: '*', action: 'lambda:ListFunctions', identity: [allow({ Action: 'lambda:ListFunctions', Resource: 'arn:aws:lambda:*:*:*' })], expect: 'ImplicitDeny' },
  { name: 'Resource * matches the resource *', resource: '*', action: 'lambda:ListFunctions', identity: [allow({ Action: 'lambda:*' })], expect: 'Allow' },
  { name: 'Resource ? matches one character', identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:?` })], expect: 'Allow' },
  { name: 'NotResource allows resources not listed', identity: [{ Effect: 'Allow', Action: '*', NotResource: `${FN}-secret` }], expect: 'Allow' },
  { name: 'NotResource does not allow a listed resource', identity: [{ Effect: 'Allow', Action: '*', NotResource: `arn:aws:lambda:*:*:function:*` }], expect: 'ImplicitDeny' },

  // --- policy variables ---
  { name: 'Resource ${aws:username} is replaced by the user name', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:bob-fn`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username}-*` })], expect: 'Allow' },
  { name: 'Resource ${aws:username} does not match another user name', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:eve-fn`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username}-*` })], expect: 'ImplicitDeny' },
  { name: 'a variable with no value and no default makes the Resource entry match nothing', principal: session, resource: `arn:aws:lambda:us-east-1:${ACCT}:function:-fn`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username}-fn` })], expect: 'ImplicitDeny' },
  { name: 'a variable default applies when the key has no value', principal: session, resource: `arn:aws:lambda:us-east-1:${ACCT}:function:shared-fn`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username, 'shared'}-fn` })], expect: 'Allow' },
  { name: 'Resource ${aws:userid} is replaced by the unique id', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:AIDABOB`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:userid}` })], expect: 'Allow' },
  { name: 'a variable names any context key, case-insensitively', context: { 'aws:PrincipalTag/team': 'red' }, resource: `arn:aws:lambda:us-east-1:${ACCT}:function:red-api`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${AWS:principaltag/team}-*` })], expect: 'Allow' },
  { name: '${*} is a literal star, not a wildcard', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:abc`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${*}` })], expect: 'ImplicitDeny' },
  { name: '${*} matches a literal star', resource: `arn:aws:s3:::bucket/*`, action: 's3:GetObject', identity: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${*}' })], expect: 'Allow' },
  { name: '${?} and ${$} are literal characters', resource: 'arn:aws:s3:::b/?$', action: 's3:GetObject', identity: [allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${?}${$}' })], expect: 'Allow' },
  { name: 'a substituted value is literal: a star in it is not a wildcard', context: { 'aws:PrincipalTag/team': '*' }, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:PrincipalTag/team}` })], expect: 'ImplicitDeny' },
  { name: 'variables are literal text in a 2008-10-17 policy', identityVersion: '2008-10-17', resource: `arn:aws:lambda:us-east-1:${ACCT}:function:bob`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:username}` })], expect: 'ImplicitDeny' },
  { name: 'a multivalued key is not substituted', context: { 'aws:TagKeys': ['a', 'b'] }, resource: `arn:aws:lambda:us-east-1:${ACCT}:function:a`, identity: [allow({ Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:\${aws:TagKeys}` })], expect: 'ImplicitDeny' },
  { name: 'a condition value variable is replaced (StringEquals)', context: { 'aws:RequestTag/owner': 'bob' }, identity: [allow({ Condition: { StringEquals: { 'aws:RequestTag/owner': '${aws:username}' } } })], expect: 'Allow' },
  { name: 'a condition value variable is replaced (StringLike)', context: { 'lambda:FunctionArn': `${FN}-bob` }, identity: [allow({ Condition: { StringLike: { 'lambda:FunctionArn': '*-${aws:username}' } } })], expect: 'Allow' },
  { name: 'a condition value variable is replaced (ArnLike)', context: { 'aws:SourceArn': `arn:aws:iam::${ACCT}:user/bob` }, identity: [allow({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:iam::*:user/${aws:username}' } } })], expect: 'Allow' },
  { name: 'an unresolved condition variable makes that value match nothing', principal: session, context: { 'aws:RequestTag/owner': '' }, identity: [allow({ Condition: { StringEquals: { 'aws:RequestTag/owner': '${aws:username}' } } })], expect: 'ImplicitDeny' },
  { name: 'variables are not substituted in Numeric values', context: { 'aws:MultiFactorAuthAge': '5' }, identity: [allow({ Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '${x:y}' } } })], expect: 'ImplicitDeny' },

  // --- principals in resource policies (same account) ---
  { name: 'a resource policy naming the user ARN allows without an identity policy', resourcePolicy: [grant({ AWS: bob.arn })], expect: { decision: 'Allow', statement: 'res#0' } },
  { name: 'a resource policy naming another user does not allow', resourcePolicy: [grant({ AWS: `arn:aws:iam::${ACCT}:user/eve` })], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'Principal "*" allows anyone', resourcePolicy: [grant('*')], expect: 'Allow' },
  { name: 'Principal {"AWS":"*"} allows anyone', resourcePolicy: [grant({ AWS: '*' })], expect: 'Allow' },
  { name: 'a resource policy naming the role ARN allows its sessions', principal: session, resourcePolicy: [grant({ AWS: session.roleArn })], expect: 'Allow' },
  { name: 'a resource policy naming the session ARN allows that session', principal: session, resourcePolicy: [grant({ AWS: session.arn })], expect: 'Allow' },
  { name: 'a resource policy naming another session of the role does not allow', principal: session, resourcePolicy: [grant({ AWS: `arn:aws:sts::${ACCT}:assumed-role/runner/s2` })], expect: 'ImplicitDeny' },
  { name: 'a resource policy naming only the account does not allow by itself within the account', resourcePolicy: [grant({ AWS: ACCT })], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'a resource policy naming arn:aws:iam::<acct>:root plus an identity allow allows', identity: [allow()], resourcePolicy: [grant({ AWS: `arn:aws:iam::${ACCT}:root` })], expect: 'Allow' },
  { name: 'a Federated principal never matches a signed caller', resourcePolicy: [grant({ Federated: 'cognito-identity.amazonaws.com' })], expect: 'ImplicitDeny' },
  { name: 'a Service principal in the policy does not match an IAM user', resourcePolicy: [grant({ Service: 'events.amazonaws.com' })], expect: 'ImplicitDeny' },
  { name: 'a resource-policy deny naming the account denies its users', identity: [allow()], resourcePolicy: [{ ...deny(), Principal: { AWS: ACCT } }], expect: 'ExplicitDeny' },
  { name: 'a resource-policy deny naming another account does not deny', identity: [allow()], resourcePolicy: [{ ...deny(), Principal: { AWS: OTHER } }], expect: 'Allow' },

  // --- NotPrincipal ---
  { name: 'Deny with NotPrincipal denies everyone not listed', identity: [allow()], resourcePolicy: [{ ...deny(), NotPrincipal: { AWS: `arn:aws:iam::${ACCT}:user/admin` } }], expect: 'ExplicitDeny' },
  { name: 'Deny with NotPrincipal spares the listed user', identity: [allow()], resourcePolicy: [{ ...deny(), NotPrincipal: { AWS: bob.arn } }], expect: 'Allow' },
  { name: 'Deny with NotPrincipal spares principals of a listed account', identity: [allow()], resourcePolicy: [{ ...deny(), NotPrincipal: { AWS: ACCT } }], expect: 'Allow' },
  { name: 'Allow with NotPrincipal allows callers not listed', resourcePolicy: [{ ...allow(), NotPrincipal: { AWS: `arn:aws:iam::${ACCT}:user/eve` } }], expect: 'Allow' },
  { name: 'Allow with NotPrincipal does not allow the listed caller', resourcePolicy: [{ ...allow(), NotPrincipal: { AWS: bob.arn } }], expect: 'ImplicitDeny' },

  // --- service principals ---
  { name: 'a service principal is allowed by a resource policy naming it', principal: events, resourcePolicy: [grant({ Service: 'events.amazonaws.com' })], expect: { decision: 'Allow', statement: 'res#0' } },
  { name: 'a service principal is not allowed by a policy naming another service', principal: events, resourcePolicy: [grant({ Service: 's3.amazonaws.com' })], expect: { decision: 'ImplicitDeny', policyType: 'resource' } },
  { name: 'a service principal is never allowed by identity policies', principal: events, identity: [allow()], expect: { decision: 'ImplicitDeny', policyType: 'resource' } },
  { name: 'a service principal is matched by Principal "*"', principal: events, resourcePolicy: [grant('*')], expect: 'Allow' },
  { name: 'a service grant can be limited by aws:SourceArn', principal: events, context: { 'aws:SourceArn': 'arn:aws:events:us-east-1:111111111111:rule/other' }, resourcePolicy: [grant({ Service: 'events.amazonaws.com' }, { Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:us-east-1:111111111111:rule/mine' } } })], expect: 'ImplicitDeny' },
  { name: 'a service grant limited by aws:SourceAccount allows the right account', principal: events, context: { 'aws:SourceAccount': ACCT }, resourcePolicy: [grant({ Service: 'events.amazonaws.com' }, { Condition: { StringEquals: { 'aws:SourceAccount': ACCT } } })], expect: 'Allow' },

  // --- cross-account ---
  { name: 'cross-account: an identity allow alone is not enough', principal: carol, identity: [allow()], expect: { decision: 'ImplicitDeny', policyType: 'resource' } },
  { name: 'cross-account: a resource-policy allow alone is not enough', principal: carol, resourcePolicy: [grant({ AWS: carol.arn })], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'cross-account: both sides allowing allows', principal: carol, identity: [allow()], resourcePolicy: [grant({ AWS: carol.arn })], expect: 'Allow' },
  { name: 'cross-account: a resource policy naming the caller account counts as the resource side', principal: carol, identity: [allow()], resourcePolicy: [grant({ AWS: OTHER })], expect: 'Allow' },
  { name: 'cross-account: a resource policy naming the resource account does not admit others', principal: carol, identity: [allow()], resourcePolicy: [grant({ AWS: ACCT })], expect: 'ImplicitDeny' },
  { name: 'cross-account: the boundary limits the identity side', principal: carol, identity: [allow()], boundary: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: carol.arn })], expect: { decision: 'ImplicitDeny', policyType: 'permissionsBoundary' } },
  { name: 'cross-account: the resource account comes from the ARN account field', principal: bob, resource: OTHER_FN, identity: [allow()], expect: { decision: 'ImplicitDeny', policyType: 'resource' } },
  { name: 'an account-less ARN counts as the caller account', action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/key', identity: [allow({ Action: 's3:GetObject' })], expect: 'Allow' },
  { name: 'resource * counts as the caller account', principal: carol, resource: '*', action: 'lambda:ListFunctions', identity: [allow({ Action: 'lambda:ListFunctions' })], expect: 'Allow' },

  // --- permissions boundaries ---
  { name: 'a boundary that allows keeps the identity allow', identity: [allow()], boundary: [allow()], expect: 'Allow' },
  { name: 'a boundary that does not allow turns an identity allow into an implicit deny', identity: [allow()], boundary: [allow({ Action: 's3:*' })], expect: { decision: 'ImplicitDeny', policyType: 'permissionsBoundary' } },
  { name: 'a boundary alone grants nothing', boundary: [allow()], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'a resource policy naming the user ARN is not limited by the boundary', boundary: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: bob.arn })], expect: 'Allow' },
  { name: 'a resource policy naming the role ARN is limited by the boundary', principal: session, boundary: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: session.roleArn })], expect: { decision: 'ImplicitDeny', policyType: 'permissionsBoundary' } },
  { name: 'a resource policy naming the role session ARN is not limited by the boundary', principal: session, boundary: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: session.arn })], expect: 'Allow' },
  { name: 'a resource policy naming the role ARN is allowed within the boundary', principal: session, boundary: [allow()], resourcePolicy: [grant({ AWS: session.roleArn })], expect: 'Allow' },

  // --- session policies ---
  { name: 'a session policy that allows keeps the identity allow', principal: session, identity: [allow()], session: [allow()], expect: 'Allow' },
  { name: 'a session policy that does not allow turns an identity allow into an implicit deny', principal: session, identity: [allow()], session: [allow({ Action: 's3:*' })], expect: { decision: 'ImplicitDeny', policyType: 'sessionPolicy' } },
  { name: 'a session policy alone grants nothing', principal: session, session: [allow()], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'a resource policy naming the session ARN is not limited by the session policy', principal: session, session: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: session.arn })], expect: 'Allow' },
  { name: 'a resource policy naming the role ARN is limited by the session policy', principal: session, session: [allow({ Action: 's3:*' })], resourcePolicy: [grant({ AWS: session.roleArn })], expect: { decision: 'ImplicitDeny', policyType: 'sessionPolicy' } },
  { name: 'boundary and session policy both must allow the identity side', principal: session, identity: [allow()], boundary: [allow()], session: [allow()], expect: 'Allow' },

  // --- requireResourcePolicy (trust policies, key policies) ---
  { name: 'trust: no trust-policy allow is an implicit deny from the resource policy', action: 'sts:AssumeRole', resource: session.roleArn, identity: [allow({ Action: 'sts:AssumeRole' })], trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/eve` }, Action: 'sts:AssumeRole' }], expect: { decision: 'ImplicitDeny', policyType: 'resource' } },
  { name: 'trust: a trust policy naming the user allows without an identity policy', action: 'sts:AssumeRole', resource: session.roleArn, trust: [{ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'sts:AssumeRole' }], expect: { decision: 'Allow', statement: 'trust#0' } },
  { name: 'trust: a trust policy naming the account needs an identity allow too', action: 'sts:AssumeRole', resource: session.roleArn, trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' }], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'trust: a trust policy naming the account plus an identity allow allows', action: 'sts:AssumeRole', resource: session.roleArn, identity: [allow({ Action: 'sts:AssumeRole' })], trust: [{ Effect: 'Allow', Principal: { AWS: ACCT }, Action: 'sts:AssumeRole' }], expect: 'Allow' },
  { name: 'trust: an identity allow without any trust allow does not allow', action: 'sts:AssumeRole', resource: session.roleArn, identity: [allow({ Action: '*' })], trust: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }], expect: 'ImplicitDeny' },
  { name: 'trust: a service named in the trust policy may assume the role', principal: { type: 'Service', service: 'lambda.amazonaws.com' }, action: 'sts:AssumeRole', resource: session.roleArn, trust: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }], expect: 'Allow' },
  { name: 'trust: cross-account assume needs the caller identity allow as well', principal: carol, action: 'sts:AssumeRole', resource: session.roleArn, trust: [{ Effect: 'Allow', Principal: { AWS: carol.arn }, Action: 'sts:AssumeRole' }], expect: { decision: 'ImplicitDeny', policyType: 'identity' } },
  { name: 'trust: cross-account assume with both sides allows', principal: carol, action: 'sts:AssumeRole', resource: session.roleArn, identity: [allow({ Action: 'sts:AssumeRole' })], trust: [{ Effect: 'Allow', Principal: { AWS: OTHER }, Action: 'sts:AssumeRole' }], expect: 'Allow' },
  { name: 'trust: a deny in the trust policy wins', action: 'sts:AssumeRole', resource: session.roleArn, trust: [{ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }], expect: { decision: 'ExplicitDeny', policyType: 'resource' } },

  // --- contextFree ---
  { name: 'contextFree: an unconditional allow holds for any context', identity: [allow()], expect: { decision: 'Allow', contextFree: true } },
  { name: 'contextFree: an allow through a Condition depends on the context', context: { 'aws:SecureTransport': 'true' }, identity: [allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })], expect: { decision: 'Allow', contextFree: false } },
  { name: 'contextFree: a conditional deny that did not fire still makes the allow context-dependent', identity: [allow(), deny({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } })], expect: { decision: 'Allow', contextFree: false } },
  { name: 'contextFree: an unconditional deny decides for any context', identity: [allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), deny()], expect: { decision: 'ExplicitDeny', contextFree: true } },
  { name: 'contextFree: a conditional deny that fired depends on the context', identity: [deny({ Condition: { StringEquals: { 'aws:PrincipalType': 'User' } } })], expect: { decision: 'ExplicitDeny', contextFree: false } },
  { name: 'contextFree: conditions on statements for other actions do not matter', identity: [allow(), { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }], expect: { decision: 'Allow', contextFree: true } },
  { name: 'contextFree: an implicit deny with a failed conditional allow depends on the context', identity: [allow({ Condition: { Bool: { 'aws:SecureTransport': 'true' } } })], expect: { decision: 'ImplicitDeny', contextFree: false } },
];

for (const c of cases) {
  test(`policy evaluation: ${c.name}`, () => {
    const d = run(c);
    const want = typeof c.expect === 'string' ? { decision: c.expect } : c.expect;
    for (const [k, v] of Object.entries(want)) assert.equal(d[k as keyof Decision], v, `${k} of ${JSON.stringify(d)}`);
  });
}

/** [name, Condition block, request context, whether the statement applies]. */
type ConditionCase = [string, Record<string, Record<string, unknown>>, Record<string, string | string[] | undefined>, boolean];

const conditionCases: ConditionCase[] = [
  // String
  ['StringEquals matches an equal value', { StringEquals: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'prod' }, true],
  ['StringEquals is case-sensitive', { StringEquals: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'PROD' }, false],
  ['StringEquals with several values is an OR', { StringEquals: { 'aws:RequestTag/env': ['dev', 'prod'] } }, { 'aws:RequestTag/env': 'prod' }, true],
  ['StringEquals is false when the key is missing', { StringEquals: { 'aws:RequestTag/env': 'prod' } }, {}, false],
  ['context key names are case-insensitive', { StringEquals: { 'AWS:REQUESTTAG/ENV': 'prod' } }, { 'aws:requesttag/env': 'prod' }, true],
  ['StringNotEquals matches a different value', { StringNotEquals: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'dev' }, true],
  ['StringNotEquals with several values is a NOR', { StringNotEquals: { 'aws:RequestTag/env': ['dev', 'prod'] } }, { 'aws:RequestTag/env': 'prod' }, false],
  ['StringNotEquals is true when the key is missing', { StringNotEquals: { 'aws:RequestTag/env': 'prod' } }, {}, true],
  ['StringEqualsIgnoreCase ignores case', { StringEqualsIgnoreCase: { 'aws:RequestTag/env': 'Prod' } }, { 'aws:RequestTag/env': 'pROD' }, true],
  ['StringNotEqualsIgnoreCase ignores case', { StringNotEqualsIgnoreCase: { 'aws:RequestTag/env': 'Prod' } }, { 'aws:RequestTag/env': 'pROD' }, false],
  ['StringLike matches * across slashes', { StringLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'home/bob/docs/a.txt' }, true],
  ['StringLike matches ? as one character', { StringLike: { 's3:prefix': 'v?' } }, { 's3:prefix': 'v1' }, true],
  ['StringLike ? does not match two characters', { StringLike: { 's3:prefix': 'v?' } }, { 's3:prefix': 'v10' }, false],
  ['StringLike is case-sensitive', { StringLike: { 's3:prefix': 'Home/*' } }, { 's3:prefix': 'home/x' }, false],
  ['StringLike treats regex characters literally', { StringLike: { 's3:prefix': 'a.b(c)' } }, { 's3:prefix': 'aXb(c)' }, false],
  ['StringNotLike is true when no pattern matches', { StringNotLike: { 's3:prefix': ['a*', 'b*'] } }, { 's3:prefix': 'cat' }, true],
  ['StringNotLike is false when a pattern matches', { StringNotLike: { 's3:prefix': ['a*', 'b*'] } }, { 's3:prefix': 'bat' }, false],
  ['StringNotLike is true when the key is missing', { StringNotLike: { 's3:prefix': 'a*' } }, {}, true],
  // Numeric
  ['NumericEquals compares numbers, not text', { NumericEquals: { 'lambda:Memory': '128' } }, { 'lambda:Memory': '128.0' }, true],
  ['NumericNotEquals is true for a different number', { NumericNotEquals: { 'lambda:Memory': '128' } }, { 'lambda:Memory': '256' }, true],
  ['NumericLessThan', { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }, { 'aws:MultiFactorAuthAge': '100' }, true],
  ['NumericLessThan is false at equality', { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } }, { 'aws:MultiFactorAuthAge': '3600' }, false],
  ['NumericLessThanEquals is true at equality', { NumericLessThanEquals: { 'aws:MultiFactorAuthAge': '3600' } }, { 'aws:MultiFactorAuthAge': '3600' }, true],
  ['NumericGreaterThan', { NumericGreaterThan: { 'aws:MultiFactorAuthAge': '10' } }, { 'aws:MultiFactorAuthAge': '11' }, true],
  ['NumericGreaterThanEquals', { NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': '10' } }, { 'aws:MultiFactorAuthAge': '9' }, false],
  ['Numeric operators accept JSON numbers in the policy', { NumericLessThan: { 'aws:MultiFactorAuthAge': 60 } }, { 'aws:MultiFactorAuthAge': '5' }, true],
  ['a non-numeric request value does not match a Numeric operator', { NumericGreaterThan: { 'aws:MultiFactorAuthAge': '1' } }, { 'aws:MultiFactorAuthAge': 'many' }, false],
  // Date
  ['DateLessThan with aws:CurrentTime derived from the request time', { DateLessThan: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } }, {}, true],
  ['DateGreaterThan with aws:CurrentTime is false before the date', { DateGreaterThan: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } }, {}, false],
  ['DateEquals compares instants across formats', { DateEquals: { 'aws:TokenIssueTime': '2024-06-01T12:00:00Z' } }, { 'aws:TokenIssueTime': '1717243200' }, true],
  ['DateNotEquals', { DateNotEquals: { 'aws:TokenIssueTime': '2024-06-01T12:00:00Z' } }, { 'aws:TokenIssueTime': '2024-06-01T12:00:01Z' }, true],
  ['DateLessThanEquals at equality', { DateLessThanEquals: { 'aws:CurrentTime': '2024-06-01T12:00:00Z' } }, {}, true],
  ['DateGreaterThanEquals with epoch seconds in the policy', { DateGreaterThanEquals: { 'aws:CurrentTime': '1717243200' } }, {}, true],
  ['aws:EpochTime is derived from the request time', { NumericEquals: { 'aws:EpochTime': '1717243200' } }, {}, true],
  ['a date without a time is midnight UTC', { DateGreaterThan: { 'aws:CurrentTime': '2024-06-01' } }, {}, true],
  // Bool, Binary
  ['Bool matches true', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' }, true],
  ['Bool is false for the other value', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'false' }, false],
  ['Bool accepts a JSON boolean and ignores case', { Bool: { 'aws:SecureTransport': false } }, { 'aws:SecureTransport': 'FALSE' }, true],
  ['Bool is false when the key is missing', { Bool: { 'aws:SecureTransport': 'false' } }, {}, false],
  ['BinaryEquals compares base64 text', { BinaryEquals: { 'x:blob': 'QmluYXJ5VmFsdWU=' } }, { 'x:blob': 'QmluYXJ5VmFsdWU=' }, true],
  ['BinaryEquals is false for other bytes', { BinaryEquals: { 'x:blob': 'QmluYXJ5VmFsdWU=' } }, { 'x:blob': 'QQ==' }, false],
  // IP
  ['IpAddress matches inside an IPv4 CIDR', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.113.77' }, true],
  ['IpAddress does not match outside the CIDR', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, { 'aws:SourceIp': '203.0.114.1' }, false],
  ['IpAddress accepts a bare address as /32', { IpAddress: { 'aws:SourceIp': '127.0.0.1' } }, { 'aws:SourceIp': '127.0.0.1' }, true],
  ['IpAddress matches inside an IPv6 CIDR', { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db8:1234::1' }, true],
  ['IpAddress IPv6 does not match outside the CIDR', { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }, { 'aws:SourceIp': '2001:db9::1' }, false],
  ['IpAddress does not match an IPv4 address against an IPv6 block', { IpAddress: { 'aws:SourceIp': '::/0' } }, { 'aws:SourceIp': '10.0.0.1' }, false],
  ['IpAddress understands IPv6 with an embedded IPv4 address', { IpAddress: { 'aws:SourceIp': '::ffff:10.0.0.0/120' } }, { 'aws:SourceIp': '::ffff:10.0.0.9' }, true],
  ['NotIpAddress is true outside every block', { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }, { 'aws:SourceIp': '172.16.0.1' }, true],
  ['NotIpAddress is false inside a block', { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } }, { 'aws:SourceIp': '192.168.3.4' }, false],
  // Arn
  ['ArnLike matches per ARN field', { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:111111111111:rule/*' } }, { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111111111111:rule/a/b' }, true],
  ['ArnLike wildcard does not cross an ARN field', { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:rule/x' } }, { 'aws:SourceArn': 'arn:aws:events:eu-west-1:111111111111:rule/x' }, false],
  ['ArnEquals accepts wildcards like ArnLike', { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:*:111111111111:topic' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:topic' }, true],
  ['ArnEquals is false for another ARN', { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:topic' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:other' }, false],
  ['ArnNotEquals is true for another ARN', { ArnNotEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:topic' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:other' }, true],
  ['ArnNotLike is false when the pattern matches', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111111111111:t' }, false],
  ['ArnNotLike is true when the key is missing', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sns:*:*:*' } }, {}, true],
  // Null
  ['Null true holds when the key is missing', { Null: { 'aws:TokenIssueTime': 'true' } }, {}, true],
  ['Null true fails when the key is present', { Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }, false],
  ['Null false holds when the key is present', { Null: { 'aws:RequestTag/env': 'false' } }, { 'aws:RequestTag/env': 'x' }, true],
  ['Null false fails when the key is missing', { Null: { 'aws:RequestTag/env': 'false' } }, {}, false],
  ['Null treats an empty multivalued key as missing', { Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] }, true],
  // IfExists
  ['StringEqualsIfExists is true when the key is missing', { StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, {}, true],
  ['StringEqualsIfExists compares when the key is present', { StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, { 'ec2:InstanceType': 'm5.large' }, false],
  ['NumericLessThanIfExists is true when the key is missing', { NumericLessThanIfExists: { 'aws:MultiFactorAuthAge': '10' } }, {}, true],
  ['BoolIfExists compares when present', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, { 'aws:MultiFactorAuthPresent': 'false' }, false],
  ['ArnLikeIfExists is true when the key is missing', { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:s3:::b' } }, {}, true],
  ['IpAddressIfExists is true when the key is missing', { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, true],
  ['DateGreaterThanIfExists compares when present', { DateGreaterThanIfExists: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }, false],
  // Set qualifiers
  ['ForAnyValue:StringEquals holds when one request value is listed', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['owner', 'env'] }, true],
  ['ForAnyValue:StringEquals fails when no request value is listed', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['owner'] }, false],
  ['ForAnyValue is false when the context key is missing', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'env' } }, {}, false],
  ['ForAnyValue is false for an empty set', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'env' } }, { 'aws:TagKeys': [] }, false],
  ['ForAnyValue:StringNotEquals holds when one request value is unlisted', { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env', 'owner'] }, true],
  ['ForAnyValue:StringNotEquals fails when every request value is listed', { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }, { 'aws:TagKeys': ['env'] }, false],
  ['ForAnyValue...IfExists is true when the context key is missing', { 'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': 'e*' } }, {}, true],
  ['ForAllValues:StringEquals holds when every request value is listed', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['team', 'env'] }, true],
  ['ForAllValues:StringEquals fails when one request value is unlisted', { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } }, { 'aws:TagKeys': ['env', 'owner'] }, false],
  ['ForAllValues is true when the context key is missing', { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'env' } }, {}, true],
  ['ForAllValues is true for an empty set', { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'env' } }, { 'aws:TagKeys': [] }, true],
  ['ForAllValues:StringNotEquals holds when no request value is listed', { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'team'] }, true],
  ['ForAllValues:StringNotEquals fails when a request value is listed', { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'secret'] }, false],
  ['ForAllValues:StringLike applies patterns to each value', { 'ForAllValues:StringLike': { 'aws:TagKeys': 'team-*' } }, { 'aws:TagKeys': ['team-a', 'team-b'] }, true],
  ['a set qualifier accepts a single request value', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'env' } }, { 'aws:TagKeys': 'env' }, true],
  ['a single-valued operator on a multivalued key matches when any value matches', { StringEquals: { 'aws:TagKeys': 'env' } }, { 'aws:TagKeys': ['a', 'env'] }, true],
  // Combination
  ['several keys under one operator are ANDed', { StringEquals: { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'red' } }, { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'blue' }, false],
  ['several keys under one operator all matching holds', { StringEquals: { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'red' } }, { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'red' }, true],
  ['several operators are ANDed', { StringEquals: { 'aws:RequestTag/env': 'prod' }, Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:RequestTag/env': 'prod', 'aws:SecureTransport': 'false' }, false],
  // Derived global keys
  ['aws:PrincipalArn is the role ARN for a role session', { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/runner' } }, {}, true],
  ['aws:PrincipalType is AssumedRole for a role session', { StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }, {}, true],
  ['aws:PrincipalAccount is the caller account', { StringEquals: { 'aws:PrincipalAccount': ACCT } }, {}, true],
  ['aws:userid is role id and session name for a role session', { StringLike: { 'aws:userid': 'AROARUNNER:*' } }, {}, true],
  ['aws:username is absent for a role session', { Null: { 'aws:username': 'true' } }, {}, true],
  ['a context value overrides a derived key', { StringEquals: { 'aws:PrincipalType': 'User' } }, { 'aws:PrincipalType': 'User' }, true],
];

for (const [name, condition, context, applies] of conditionCases) {
  test(`condition: ${name}`, () => {
    const d = run({ name, principal: session, context, identity: [allow({ Condition: condition })], expect: 'Allow' });
    assert.equal(d.decision, applies ? 'Allow' : 'ImplicitDeny');
    assert.equal(d.contextFree, false, 'a matched statement with a Condition is never context-free');
  });
}

test('condition: a user has aws:username derived from the principal', () => {
  const d = run({ name: '', principal: bob, identity: [allow({ Condition: { StringEquals: { 'aws:username': 'bob' } } })], expect: 'Allow' });
  assert.equal(d.decision, 'Allow');
});

test('evaluation: a decision is the same when the compiled document is reused from the cache', () => {
  const document = doc('identity', [allow({ Resource: `arn:aws:lambda:*:${ACCT}:function:\${aws:username}` })]);
  const ask = (principal: Principal, resource: string) =>
    evaluatePolicies({ principal, action: 'lambda:InvokeFunction', resource, context: {}, now: NOW }, { identity: [{ id: 'p', document }] }).decision;
  assert.equal(ask(bob, `arn:aws:lambda:us-east-1:${ACCT}:function:bob`), 'Allow');
  const eve: Principal = { ...bob, arn: `arn:aws:iam::${ACCT}:user/eve`, userName: 'eve', userId: 'AIDAEVE' };
  assert.equal(ask(eve, `arn:aws:lambda:us-east-1:${ACCT}:function:bob`), 'ImplicitDeny');
  assert.equal(ask(eve, `arn:aws:lambda:us-east-1:${ACCT}:function:eve`), 'Allow');
});

test('evaluation: measure a 10-statement policy set evaluated 100k times', () => {
  const identity = doc('identity', [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::bucket/${aws:username}/*' },
    { Effect: 'Allow', Action: 'dynamodb:*', Resource: `arn:aws:dynamodb:*:${ACCT}:table/t` },
    { Effect: 'Allow', Action: 'lambda:Get*', Resource: '*' },
    { Effect: 'Allow', Action: 'lambda:List*', Resource: '*' },
    { Effect: 'Deny', Action: 'lambda:DeleteFunction', Resource: '*' },
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:us-east-1:${ACCT}:function:c*`, Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
    { Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } } },
  ]);
  const boundary = doc('identity', [
    { Effect: 'Allow', Action: ['lambda:*', 's3:*'], Resource: '*' },
    { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
  ]);
  const resource = doc('resource', [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: FN }]);
  const policies: PolicySet = { identity: [{ id: 'i', document: identity }], permissionsBoundary: { id: 'b', document: boundary }, resource: { id: 'r', document: resource } };
  const request: EvaluationRequest = { principal: bob, action: 'lambda:InvokeFunction', resource: FN, context: { 'aws:SecureTransport': 'true', 'aws:SourceIp': '127.0.0.1' }, now: NOW };
  assert.equal(evaluatePolicies(request, policies).decision, 'Allow');
  const n = 100_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluatePolicies(request, policies);
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  console.log(`policy evaluation: ${us.toFixed(2)} µs per evaluation (10 statements, 100k runs)`);
});
