import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessDeniedMessage, parsePolicyDocument, PolicyDocumentError, type PolicyKind } from '../../../src/iam/policy/index.js';

const ACCT = '111111111111';
const ok = { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' };
const okResource = { ...ok, Principal: { AWS: ACCT } };
const okTrust = { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' };
const policy = (statement: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statement, ...extra });

/** [name, kind, document text, IAM's MalformedPolicyDocument message]. */
const refusals: Array<[string, PolicyKind, string, string]> = [
  ['text that is not JSON', 'identity', '{"Version": "2012-10-17",', 'Syntax errors in policy.'],
  ['a document that is not an object', 'identity', '["x"]', 'Syntax errors in policy.'],
  ['an unknown top-level field', 'identity', policy([ok], { Foo: 1 }), 'Unknown field Foo'],
  ['an unknown Version', 'identity', policy([ok], { Version: '2012-10-18' }), 'The policy failed legacy parsing'],
  ['no Statement', 'identity', JSON.stringify({ Version: '2012-10-17' }), 'Syntax errors in policy.'],
  ['an empty Statement list', 'identity', policy([]), 'Syntax errors in policy.'],
  ['a statement that is not an object', 'identity', policy(['x']), 'Syntax errors in policy.'],
  ['an unknown statement field', 'identity', policy([{ ...ok, Actions: 'x:y' }]), 'Unknown field Actions'],
  ['a missing Effect', 'identity', policy([{ Action: 'x:y', Resource: '*' }]), 'Missing required field Effect'],
  ['an Effect other than Allow or Deny', 'identity', policy([{ ...ok, Effect: 'allow' }]), 'Syntax errors in policy.'],
  ['a statement without Action or NotAction', 'identity', policy([{ Effect: 'Allow', Resource: '*' }]), 'Policy statement must contain actions.'],
  ['both Action and NotAction', 'identity', policy([{ ...ok, NotAction: 'x:y' }]), 'Syntax errors in policy.'],
  ['an action without a vendor prefix', 'identity', policy([{ ...ok, Action: 'InvokeFunction' }]), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
  ['an action with two colons', 'identity', policy([{ ...ok, Action: 'lambda:a:b' }]), 'Actions/Condition can contain only one colon.'],
  ['an Action that is not a string', 'identity', policy([{ ...ok, Action: 5 }]), 'Syntax errors in policy.'],
  ['a statement without Resource or NotResource', 'identity', policy([{ Effect: 'Allow', Action: 'x:y' }]), 'Policy statement must contain resources.'],
  ['both Resource and NotResource', 'identity', policy([{ ...ok, NotResource: '*' }]), 'Syntax errors in policy.'],
  ['a Resource that is not an ARN', 'identity', policy([{ ...ok, Resource: 'function:c' }]), 'Resource function:c must be in ARN format or "*".'],
  ['a Principal in an identity policy', 'identity', policy([{ ...ok, Principal: '*' }]), 'Policy document should not specify a principal.'],
  ['a NotPrincipal in an identity policy', 'identity', policy([{ ...ok, NotPrincipal: { AWS: ACCT } }]), 'Policy document should not specify a principal.'],
  ['a resource policy without Principal', 'resource', policy([ok]), 'Missing required field Principal'],
  ['a trust policy without Principal', 'trust', policy([{ Effect: 'Allow', Action: 'sts:AssumeRole' }]), 'Missing required field Principal'],
  ['a trust policy with Resource', 'trust', policy([{ ...okTrust, Resource: '*' }]), 'Has prohibited field Resource'],
  ['a trust policy with NotResource', 'trust', policy([{ ...okTrust, NotResource: '*' }]), 'Has prohibited field NotResource'],
  ['a wildcard inside a principal ARN', 'resource', policy([{ ...ok, Principal: { AWS: `arn:aws:iam::${ACCT}:user/*` } }]), `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCT}:user/*"`],
  ['a principal that is not an account or IAM ARN', 'resource', policy([{ ...ok, Principal: { AWS: 'bob' } }]), 'Invalid principal in policy: "AWS":"bob"'],
  ['an unknown principal type', 'resource', policy([{ ...ok, Principal: { Robot: 'x' } }]), 'Invalid principal in policy: "Robot":"x"'],
  ['a malformed service principal', 'trust', policy([{ ...okTrust, Principal: { Service: 'Lambda Service' } }]), 'Invalid principal in policy: "Service":"Lambda Service"'],
  ['an unknown condition operator', 'identity', policy([{ ...ok, Condition: { StringEqualz: { 'aws:username': 'x' } } }]), 'Invalid Condition type : StringEqualz'],
  ['an unknown set qualifier', 'identity', policy([{ ...ok, Condition: { 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'x' } } }]), 'Invalid Condition type : ForSomeValues:StringEquals'],
  ['Null with IfExists', 'identity', policy([{ ...ok, Condition: { NullIfExists: { 'aws:username': 'true' } } }]), 'Invalid Condition type : NullIfExists'],
  ['a condition key without a vendor prefix', 'identity', policy([{ ...ok, Condition: { StringEquals: { username: 'x' } } }]), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
  ['a condition value that is an object', 'identity', policy([{ ...ok, Condition: { StringEquals: { 'aws:username': { a: 1 } } } }]), 'Syntax errors in policy.'],
  ['duplicate Sids', 'identity', policy([{ ...ok, Sid: 'A' }, { ...ok, Sid: 'A' }]), 'Statement IDs (SID) in a single policy must be unique.'],
  ['a non-alphanumeric Sid in an identity policy', 'identity', policy([{ ...ok, Sid: 'my-sid' }]), 'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*'],
];

for (const [name, kind, text, message] of refusals) {
  test(`policy document: refuses ${name} (${kind})`, () => {
    assert.throws(() => parsePolicyDocument(text, kind), (e: unknown) => {
      assert.ok(e instanceof PolicyDocumentError);
      assert.equal(e.message, message);
      assert.equal(e.code, 'MalformedPolicyDocument');
      return true;
    });
  });
}

test('policy document: normalises every element to arrays', () => {
  const d = parsePolicyDocument(
    JSON.stringify({
      Version: '2012-10-17',
      Id: 'p1',
      Statement: { Sid: 'S', Effect: 'Allow', Principal: { AWS: ACCT, Service: ['a.amazonaws.com'] }, Action: 'x:y', Resource: '*', Condition: { NumericLessThan: { 'x:n': 5 }, Bool: { 'aws:SecureTransport': true } } },
    }),
    'resource',
  );
  assert.deepEqual(d, {
    Version: '2012-10-17',
    Id: 'p1',
    Statement: [
      {
        Sid: 'S',
        Effect: 'Allow',
        Principal: { AWS: [ACCT], Service: ['a.amazonaws.com'] },
        Action: ['x:y'],
        Resource: ['*'],
        Condition: { NumericLessThan: { 'x:n': ['5'] }, Bool: { 'aws:SecureTransport': ['true'] } },
      },
    ],
  });
});

test('policy document: Principal "*" is normalised to {"AWS": ["*"]}', () => {
  const d = parsePolicyDocument(policy([{ ...ok, Principal: '*' }]), 'resource');
  assert.deepEqual(d.Statement[0]!.Principal, { AWS: ['*'] });
});

test('policy document: a missing Version is 2008-10-17, as IAM assumes', () => {
  assert.equal(parsePolicyDocument(JSON.stringify({ Statement: [ok] }), 'identity').Version, '2008-10-17');
});

test('policy document: accepts every principal form IAM accepts', () => {
  const principals = [
    ACCT,
    `arn:aws:iam::${ACCT}:root`,
    `arn:aws:iam::${ACCT}:user/path/bob`,
    `arn:aws:iam::${ACCT}:role/service-role/runner`,
    `arn:aws:sts::${ACCT}:assumed-role/runner/session-1`,
    '*',
  ];
  const d = parsePolicyDocument(policy([{ ...okResource, Principal: { AWS: principals, Federated: 'cognito-identity.amazonaws.com' } }]), 'resource');
  assert.deepEqual(d.Statement[0]!.Principal!.AWS, principals);
});

test('policy document: resource policies allow Sids with punctuation (Lambda StatementId)', () => {
  assert.equal(parsePolicyDocument(policy([{ ...okResource, Sid: 'events-rule_1' }]), 'resource').Statement[0]!.Sid, 'events-rule_1');
});

test('policy document: every condition operator name with IfExists and set qualifiers is accepted', () => {
  const ops = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike', 'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals', 'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];
  const condition: Record<string, unknown> = { Null: { 'x:k': 'true' } };
  for (const op of ops) {
    condition[op] = { 'x:k': '1' };
    condition[`${op}IfExists`] = { 'x:k': '1' };
    condition[`ForAnyValue:${op}`] = { 'x:k': '1' };
    condition[`ForAllValues:${op}IfExists`] = { 'x:k': '1' };
  }
  const d = parsePolicyDocument(policy([{ ...ok, Condition: condition }]), 'identity');
  assert.equal(Object.keys(d.Statement[0]!.Condition!).length, ops.length * 4 + 1);
});

const bob = `arn:aws:iam::${ACCT}:user/bob`;
const fn = `arn:aws:lambda:us-east-1:${ACCT}:function:c`;
const messages: Array<[string, Parameters<typeof accessDeniedMessage>[3], string]> = [
  ['implicit deny from identity policies', { decision: 'ImplicitDeny', policyType: 'identity', contextFree: true }, 'because no identity-based policy allows the lambda:InvokeFunction action'],
  ['explicit deny in an identity policy', { decision: 'ExplicitDeny', policyType: 'identity', contextFree: true }, 'with an explicit deny in an identity-based policy'],
  ['explicit deny in a resource policy', { decision: 'ExplicitDeny', policyType: 'resource', contextFree: true }, 'with an explicit deny in a resource-based policy'],
  ['implicit deny from the resource policy', { decision: 'ImplicitDeny', policyType: 'resource', contextFree: true }, 'because no resource-based policy allows the lambda:InvokeFunction action'],
  ['implicit deny from a permissions boundary', { decision: 'ImplicitDeny', policyType: 'permissionsBoundary', contextFree: true }, 'because no permissions boundary allows the lambda:InvokeFunction action'],
  ['explicit deny in a permissions boundary', { decision: 'ExplicitDeny', policyType: 'permissionsBoundary', contextFree: true }, 'with an explicit deny in a permissions boundary'],
  ['implicit deny from a session policy', { decision: 'ImplicitDeny', policyType: 'sessionPolicy', contextFree: true }, 'because no session policy allows the lambda:InvokeFunction action'],
  ['explicit deny in a session policy', { decision: 'ExplicitDeny', policyType: 'sessionPolicy', contextFree: true }, 'with an explicit deny in a session policy'],
];
for (const [name, decision, tail] of messages) {
  test(`access denied message: ${name}`, () => {
    assert.equal(
      accessDeniedMessage(bob, 'lambda:InvokeFunction', fn, decision),
      `User: ${bob} is not authorized to perform: lambda:InvokeFunction on resource: ${fn} ${tail}`,
    );
  });
}
