import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedException } from '../../../src/domain/errors.js';
import { principalArnKey, type Principal } from '../../../src/domain/principal.js';
import type { IdentityPolicies, IdentityPolicySource, NamedPolicy, ResourcePolicySource } from '../../../src/ports/access-policies.js';
import { Authorizer, type AuthorizationRequest } from '../../../src/iam/authorization/authorizer.js';

const ACCT = '123456789012';
const FN = `arn:aws:lambda:us-east-1:${ACCT}:function`;
const user = (name: string): Principal => ({ type: 'User', arn: `arn:aws:iam::${ACCT}:user/${name}`, accountId: ACCT, userId: `AIDA${name.toUpperCase()}`, userName: name });
const alice = user('alice');
const bob = user('bob');
const carol = user('carol');
const root: Principal = { type: 'Account', arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, userId: ACCT };
const session: Principal = {
  type: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/exec/fn-b`, accountId: ACCT, userId: 'AROAEXEC:fn-b',
  roleArn: `arn:aws:iam::${ACCT}:role/exec`, sessionName: 'fn-b', tokenIssuedAt: 1_700_000_000_000,
};

type Statement = Record<string, unknown>;
const doc = (...Statement: Statement[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[], extra: Statement = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });
/** A trust policy statement: IAM refuses a Resource element there. */
const trust = (Principal: Record<string, string>) => ({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal });
const deny = (Action: string | string[], Resource: string | string[]) => ({ Effect: 'Deny', Action, Resource });

/** Identity policies by principal ARN (a session's are its role's); `revision` moves on every change. */
class FakeIdentityPolicies implements IdentityPolicySource {
  revision = 1;
  reads = 0;
  readonly #byArn = new Map<string, IdentityPolicies>();
  identityPolicies(p: Principal): IdentityPolicies {
    this.reads++;
    return this.#byArn.get(principalArnKey(p)) ?? { identity: [] };
  }
  set(arn: string, ...documents: string[]): void {
    this.#byArn.set(arn, { identity: documents.map((document, i): NamedPolicy => ({ id: `${arn}/inline/p${i}`, document })) });
    this.revision++;
  }
  setBoundary(arn: string, document: string): void {
    this.#byArn.get(arn)!.permissionsBoundary = { id: `${arn}/boundary`, document };
    this.revision++;
  }
}

/** Resource policies by resource ARN, each with its own revision. */
class FakeResourcePolicies implements ResourcePolicySource {
  readonly #byArn = new Map<string, NamedPolicy & { revision: string }>();
  #next = 1;
  resourcePolicy(_action: string, arn: string) {
    return this.#byArn.get(arn);
  }
  set(arn: string, document: string): void {
    this.#byArn.set(arn, { id: arn, document, revision: `rev-${this.#next++}` });
  }
  remove(arn: string): void {
    this.#byArn.delete(arn);
  }
}

function setup(opts: { cacheSize?: number } = {}) {
  const identity = new FakeIdentityPolicies();
  const resources = new FakeResourcePolicies();
  const authorizer = new Authorizer({
    identityPolicies: identity, resourcePolicies: resources, region: 'us-east-1', accountId: ACCT,
    now: () => Date.UTC(2026, 0, 1), paths: { user: () => '/', role: () => '/', group: () => '/' }, ...opts,
  });
  return { identity, resources, authorizer };
}

const req = (principal: Principal, service: string, operation: string, input: Record<string, unknown>, sourceIp = '10.0.0.5'): AuthorizationRequest =>
  ({ principal, service, operation, input, sourceIp, secureTransport: false });

function expectDenied(fn: () => void, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AccessDeniedException, `AccessDeniedException, got ${err}`);
    assert.equal(err.type, 'AccessDeniedException');
    assert.equal(err.status, 403);
    assert.deepEqual(err.fields, {});
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** alice may invoke B, and nothing else. */
function invokeOnlyB() {
  const s = setup();
  s.identity.set(alice.arn, doc(allow('lambda:InvokeFunction', `${FN}:B`)));
  return s;
}

// --- The scenario --------------------------------------------------------------------

test('authorizer: a user allowed only lambda:InvokeFunction on B invokes B', () => {
  const { authorizer } = invokeOnlyB();
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }));
  authorizer.authorize(req(alice, 'lambda', 'InvokeWithResponseStream', { FunctionName: `${FN}:B` }));
});

test('authorizer: the same user is denied invoking C, in AWS\'s words', () => {
  const { authorizer } = invokeOnlyB();
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'C' })),
    `User: ${alice.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${FN}:C because no identity-based policy allows the lambda:InvokeFunction action`);
});

test('authorizer: the same user is denied ListFunctions (resource *)', () => {
  const { authorizer } = invokeOnlyB();
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'ListFunctions', {})),
    `User: ${alice.arn} is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action`);
});

test('authorizer: a statement on function:B does not cover a qualified invoke of B (AWS since 2022)', () => {
  const { authorizer } = invokeOnlyB();
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B', Qualifier: 'live' })),
    `User: ${alice.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${FN}:B:live because no identity-based policy allows the lambda:InvokeFunction action`);
});

test('authorizer: a statement on function:B:* covers B\'s versions and aliases but not B itself', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:InvokeFunction', `${FN}:B:*`)));
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B:live' }));
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B', Qualifier: '3' }));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' })), /on resource: .*:function:B because/);
});

test('authorizer: an explicit deny wins over an allow, with AWS\'s explicit-deny wording', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:*', '*')), doc(deny('lambda:DeleteFunction', `${FN}:B`)));
  authorizer.authorize(req(alice, 'lambda', 'DeleteFunction', { FunctionName: 'C' }));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'DeleteFunction', { FunctionName: 'B' })),
    `User: ${alice.arn} is not authorized to perform: lambda:DeleteFunction on resource: ${FN}:B with an explicit deny in an identity-based policy`);
});

test('authorizer: a function policy (AddPermission) lets a second user invoke', () => {
  const { authorizer, resources } = invokeOnlyB();
  expectDenied(() => authorizer.authorize(req(bob, 'lambda', 'Invoke', { FunctionName: 'B' })), /because no identity-based policy allows/);
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, { Sid: 'bob', Principal: { AWS: bob.arn } })));
  authorizer.authorize(req(bob, 'lambda', 'Invoke', { FunctionName: 'B' }));
});

test('authorizer: a function policy naming one user does not let a third user invoke', () => {
  const { authorizer, resources } = setup();
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, { Principal: { AWS: bob.arn } })));
  expectDenied(() => authorizer.authorize(req(carol, 'lambda', 'Invoke', { FunctionName: 'B' })), /carol is not authorized/);
});

test('authorizer: a grant on a version (AddPermission --qualifier) covers only that version', () => {
  const { authorizer, resources } = setup();
  resources.set(`${FN}:B:1`, doc(allow('lambda:InvokeFunction', `${FN}:B:1`, { Principal: { AWS: bob.arn } })));
  authorizer.authorize(req(bob, 'lambda', 'Invoke', { FunctionName: 'B:1' }));
  expectDenied(() => authorizer.authorize(req(bob, 'lambda', 'Invoke', { FunctionName: 'B' })), /function:B because/);
});

test('authorizer: a role session acts with its role\'s policies and is named by its session ARN', () => {
  const { authorizer, identity } = setup();
  identity.set(session.roleArn!, doc(allow('lambda:InvokeFunction', `${FN}:B`)));
  authorizer.authorize(req(session, 'lambda', 'Invoke', { FunctionName: 'B' }));
  expectDenied(() => authorizer.authorize(req(session, 'lambda', 'DeleteFunction', { FunctionName: 'C' })),
    `User: ${session.arn} is not authorized to perform: lambda:DeleteFunction on resource: ${FN}:C because no identity-based policy allows the lambda:DeleteFunction action`);
});

test('authorizer: an explicit deny in a function policy is named as a resource-based policy', () => {
  const { authorizer, identity, resources } = setup();
  identity.set(alice.arn, doc(allow('lambda:*', '*')));
  resources.set(`${FN}:B`, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'lambda:InvokeFunction', Resource: `${FN}:B` }] }));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' })),
    `User: ${alice.arn} is not authorized to perform: lambda:InvokeFunction on resource: ${FN}:B with an explicit deny in a resource-based policy`);
});

test('authorizer: a permissions boundary caps what identity policies allow', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:*', '*')));
  identity.setBoundary(alice.arn, doc(allow('lambda:InvokeFunction', '*')));
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'DeleteFunction', { FunctionName: 'B' })),
    `User: ${alice.arn} is not authorized to perform: lambda:DeleteFunction on resource: ${FN}:B because no permissions boundary allows the lambda:DeleteFunction action`);
});

// --- STS and IAM -----------------------------------------------------------------------------

const ROLE = `arn:aws:iam::${ACCT}:role/deployer`;

test('authorizer: AssumeRole is denied when the role\'s trust policy does not allow the caller', () => {
  const { authorizer, identity, resources } = setup();
  identity.set(alice.arn, doc(allow('sts:AssumeRole', ROLE)));
  resources.set(ROLE, doc(trust({ Service: 'lambda.amazonaws.com' })));
  expectDenied(() => authorizer.authorize(req(alice, 'sts', 'AssumeRole', { RoleArn: ROLE, RoleSessionName: 's' })),
    new RegExp(`^User: ${alice.arn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`));
});

test('authorizer: AssumeRole is denied when the role has no trust policy at all', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('sts:AssumeRole', '*')));
  expectDenied(() => authorizer.authorize(req(alice, 'sts', 'AssumeRole', { RoleArn: ROLE, RoleSessionName: 's' })), /sts:AssumeRole on resource/);
});

test('authorizer: AssumeRole is allowed when the trust policy names the caller', () => {
  const { authorizer, identity, resources } = setup();
  identity.set(alice.arn, doc(allow('sts:AssumeRole', ROLE)));
  resources.set(ROLE, doc(trust({ AWS: alice.arn })));
  authorizer.authorize(req(alice, 'sts', 'AssumeRole', { RoleArn: ROLE, RoleSessionName: 's' }));
});

test('authorizer: GetCallerIdentity and GetSessionToken are never denied, even under Deny *', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(deny('*', '*')));
  authorizer.authorize(req(alice, 'sts', 'GetCallerIdentity', {}));
  authorizer.authorize(req(alice, 'sts', 'GetSessionToken', {}));
  expectDenied(() => authorizer.authorize(req(alice, 'sts', 'AssumeRole', { RoleArn: ROLE, RoleSessionName: 's' })), /sts:AssumeRole/);
});

test('authorizer: the account root is always allowed, whatever the policies say', () => {
  const { authorizer, identity } = setup();
  identity.set(root.arn, doc(deny('*', '*')));
  authorizer.authorize(req(root, 'lambda', 'DeleteFunction', { FunctionName: 'B' }));
  authorizer.authorize(req(root, 'iam', 'CreateUser', { UserName: 'x' }));
  assert.equal(authorizer.check(root, 'iam:PassRole', ROLE).decision, 'Allow');
});

test('authorizer: IAM operations without UserName are authorized on the caller\'s own user', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow(['iam:GetUser', 'iam:CreateAccessKey', 'iam:ListAccessKeys'], 'arn:aws:iam::*:user/${aws:username}')));
  authorizer.authorize(req(alice, 'iam', 'CreateAccessKey', {}));
  authorizer.authorize(req(alice, 'iam', 'ListAccessKeys', {}));
  expectDenied(() => authorizer.authorize(req(alice, 'iam', 'CreateAccessKey', { UserName: 'bob' })),
    `User: ${alice.arn} is not authorized to perform: iam:CreateAccessKey on resource: ${bob.arn} because no identity-based policy allows the iam:CreateAccessKey action`);
});

test('authorizer: an operation the data lists no action for is evaluated under its own name', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('iam:Get*', '*')));
  expectDenied(() => authorizer.authorize(req(alice, 'iam', 'UpdateDelegationRequest', { DelegationRequestId: 'x'.repeat(16) })), /iam:UpdateDelegationRequest on resource: \*/);
  identity.set(alice.arn, doc(allow('iam:*', '*')));
  authorizer.authorize(req(alice, 'iam', 'UpdateDelegationRequest', { DelegationRequestId: 'x'.repeat(16) }));
});

test('authorizer: an operation acting on two resources needs both (PutFunctionCodeSigningConfig)', () => {
  const { authorizer, identity } = setup();
  const csc = `arn:aws:lambda:us-east-1:${ACCT}:code-signing-config:csc-1`;
  identity.set(alice.arn, doc(allow('lambda:PutFunctionCodeSigningConfig', `${FN}:B`)));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'PutFunctionCodeSigningConfig', { FunctionName: 'B', CodeSigningConfigArn: csc })), new RegExp(`on resource: ${csc} `));
  identity.set(alice.arn, doc(allow('lambda:PutFunctionCodeSigningConfig', [`${FN}:B`, csc])));
  authorizer.authorize(req(alice, 'lambda', 'PutFunctionCodeSigningConfig', { FunctionName: 'B', CodeSigningConfigArn: csc }));
});

// --- Condition keys in decisions -------------------------------------------------------------

test('authorizer: lambda:Principal from AddPermission input decides a conditioned grant', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:AddPermission', `${FN}:*`, { Condition: { StringEquals: { 'lambda:Principal': 's3.amazonaws.com' } } })));
  const input = (principal: string) => ({ FunctionName: 'B', StatementId: 's', Action: 'lambda:InvokeFunction', Principal: principal });
  authorizer.authorize(req(alice, 'lambda', 'AddPermission', input('s3.amazonaws.com')));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'AddPermission', input('sns.amazonaws.com'))), /lambda:AddPermission/);
});

test('authorizer: iam:PolicyARN limits which policies a user may attach', () => {
  const { authorizer, identity } = setup();
  const ro = 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess';
  identity.set(alice.arn, doc(allow('iam:AttachUserPolicy', '*', { Condition: { ArnEquals: { 'iam:PolicyARN': ro } } })));
  authorizer.authorize(req(alice, 'iam', 'AttachUserPolicy', { UserName: 'bob', PolicyArn: ro }));
  expectDenied(() => authorizer.authorize(req(alice, 'iam', 'AttachUserPolicy', { UserName: 'bob', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' })), /iam:AttachUserPolicy/);
});

test('authorizer: aws:SourceIp conditions decide per request and are never cached', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:InvokeFunction', '*', { Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })));
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }, '10.1.2.3'));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }, '192.168.1.1')), /lambda:InvokeFunction/);
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }, '10.9.9.9'));
  assert.equal(authorizer.cachedDecisions, 0);
});

test('authorizer: aws:RequestTag from CreateFunction tags decides a tag-conditioned grant', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:CreateFunction', '*', { Condition: { StringEquals: { 'aws:RequestTag/team': 'blue' } } })));
  authorizer.authorize(req(alice, 'lambda', 'CreateFunction', { FunctionName: 'n', Role: ROLE, Tags: { team: 'blue' } }));
  expectDenied(() => authorizer.authorize(req(alice, 'lambda', 'CreateFunction', { FunctionName: 'n', Role: ROLE, Tags: { team: 'red' } })), /lambda:CreateFunction/);
});

// --- check / checkAccess ---------------------------------------------------------------------

test('check: iam:PassRole honours iam:PassedToService', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('iam:PassRole', ROLE, { Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } })));
  assert.equal(authorizer.check(alice, 'iam:PassRole', ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }).decision, 'Allow');
  assert.equal(authorizer.check(alice, 'iam:PassRole', ROLE, { 'iam:PassedToService': 'ec2.amazonaws.com' }).decision, 'ImplicitDeny');
});

test('checkAccess: throws AWS\'s message for a PassRole the caller lacks', () => {
  const { authorizer, identity } = setup();
  identity.set(alice.arn, doc(allow('lambda:CreateFunction', '*')));
  expectDenied(() => authorizer.checkAccess(alice, 'iam:PassRole', ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }),
    `User: ${alice.arn} is not authorized to perform: iam:PassRole on resource: ${ROLE} because no identity-based policy allows the iam:PassRole action`);
});

test('check: a service principal is allowed only by a resource policy, with its SourceArn condition', () => {
  const { authorizer, resources } = setup();
  const bucket = 'arn:aws:s3:::uploads';
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, {
    Principal: { Service: 's3.amazonaws.com' }, Condition: { ArnLike: { 'AWS:SourceArn': bucket } },
  })));
  const s3 = { type: 'Service' as const, service: 's3.amazonaws.com' };
  assert.equal(authorizer.check(s3, 'lambda:InvokeFunction', `${FN}:B`, { 'aws:SourceArn': bucket, 'aws:SourceAccount': ACCT }).decision, 'Allow');
  assert.notEqual(authorizer.check(s3, 'lambda:InvokeFunction', `${FN}:B`, { 'aws:SourceArn': 'arn:aws:s3:::other' }).decision, 'Allow');
  assert.notEqual(authorizer.check({ type: 'Service', service: 'sns.amazonaws.com' }, 'lambda:InvokeFunction', `${FN}:B`, {}).decision, 'Allow');
});

// --- The decision cache ----------------------------------------------------------------------

test('cache: a repeated context-free decision is served without reading policies again', () => {
  const { authorizer, identity } = invokeOnlyB();
  authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }));
  const reads = identity.reads;
  for (let i = 0; i < 5; i++) authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }, `10.0.0.${i}`));
  assert.equal(identity.reads, reads);
  assert.equal(authorizer.cachedDecisions, 1);
});

test('cache: denials are cached too, and a policy change (identity revision) ends them', () => {
  const { authorizer, identity } = invokeOnlyB();
  const invokeC = () => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'C' }));
  expectDenied(invokeC, /function:C/);
  expectDenied(invokeC, /function:C/);
  identity.set(alice.arn, doc(allow('lambda:InvokeFunction', [`${FN}:B`, `${FN}:C`])));
  invokeC();
});

test('cache: an allow ends when the identity policies change (revision bump)', () => {
  const { authorizer, identity } = invokeOnlyB();
  const invokeB = () => authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: 'B' }));
  invokeB();
  identity.set(alice.arn, doc(allow('lambda:GetFunction', '*')));
  expectDenied(invokeB, /function:B because/);
});

test('cache: removing a permission from the function policy (resource revision) ends a cached allow', () => {
  const { authorizer, resources } = setup();
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, { Principal: { AWS: bob.arn } })));
  const invokeB = () => authorizer.authorize(req(bob, 'lambda', 'Invoke', { FunctionName: 'B' }));
  invokeB();
  invokeB();
  resources.remove(`${FN}:B`);
  expectDenied(invokeB, /bob is not authorized/);
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, { Principal: { AWS: carol.arn } })));
  expectDenied(invokeB, /bob is not authorized/);
});

test('cache: bounded to its configured size', () => {
  const { authorizer, identity } = setup({ cacheSize: 3 });
  identity.set(alice.arn, doc(allow('lambda:InvokeFunction', '*')));
  for (const f of ['a', 'b', 'c', 'd', 'e']) authorizer.authorize(req(alice, 'lambda', 'Invoke', { FunctionName: f }));
  assert.equal(authorizer.cachedDecisions, 3);
});

test('cache: two sessions of one role issued at different times do not share entries', () => {
  const { authorizer } = setup();
  const later = { ...session, tokenIssuedAt: session.tokenIssuedAt! + 1 };
  assert.throws(() => authorizer.authorize(req(session, 'lambda', 'Invoke', { FunctionName: 'B' })));
  assert.throws(() => authorizer.authorize(req(later, 'lambda', 'Invoke', { FunctionName: 'B' })));
  assert.equal(authorizer.cachedDecisions, 2);
});

// --- Cost ------------------------------------------------------------------------------------

test('cost: a warm Invoke\'s authorization, cache hit and miss (µs per call, printed)', () => {
  const { authorizer, identity, resources } = setup();
  identity.set(alice.arn,
    doc(allow('lambda:InvokeFunction', [`${FN}:B`, `${FN}:B:*`]), allow(['lambda:Get*', 'lambda:List*'], '*')),
    doc(deny('lambda:DeleteFunction', '*')));
  resources.set(`${FN}:B`, doc(allow('lambda:InvokeFunction', `${FN}:B`, { Principal: { AWS: bob.arn } })));
  const r = req(alice, 'lambda', 'Invoke', { FunctionName: 'B', InvocationType: 'RequestResponse', Payload: new Uint8Array(2) });
  const time = (n: number, fn: () => void) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  };
  time(20_000, () => authorizer.authorize(r)); // warm up
  const hit = time(200_000, () => authorizer.authorize(r));
  let rev = 0;
  const miss = time(5_000, () => { identity.revision = 1_000 + rev++; authorizer.authorize(r); });
  console.log(`# authorize(Invoke): cache hit ${hit.toFixed(2)} µs/call, miss ${miss.toFixed(2)} µs/call`);
  assert.ok(hit > 0 && miss > 0);
});
