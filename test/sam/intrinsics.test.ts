import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntrinsicResolver, NO_VALUE, type IntrinsicScope } from '../../src/cli/sam/intrinsics.js';
import { parseTemplateText } from '../../src/cli/sam/cfn-yaml.js';
import { mergeGlobals } from '../../src/cli/sam/template-values.js';
import { parseParameterOverrides, stackNameFor } from '../../src/cli/sam/template-deploy.js';
import { expandPolicies } from '../../src/cli/sam/policy-templates.js';
import { TemplateError } from '../../src/cli/sam/template-error.js';

const scope = (over: Partial<IntrinsicScope> = {}): IntrinsicScope => ({
  parameters: { Stage: 'prod', Subnets: ['a', 'b'] },
  pseudo: { region: 'us-east-1', accountId: '000000000000', stackName: 'demo', partition: 'aws' },
  conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] }, NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] }, Both: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Or': [{ Condition: 'NotProd' }, true] }] }, Loop: { Condition: 'Loop' } },
  mappings: { Sizes: { prod: { Memory: 1024 } } },
  ref: (id) => (id === 'Fn' ? 'demo-Fn' : undefined),
  getAtt: (id, attr) => (id === 'Fn' && attr === 'Arn' ? 'arn:aws:lambda:us-east-1:000000000000:function:demo-Fn' : undefined),
  ...over,
});
const yaml = (text: string) => new IntrinsicResolver(scope()).resolve(parseTemplateText(text, 't.yaml'), 'T');

test('intrinsics: short-form tags parse to their long forms', () => {
  assert.deepEqual(parseTemplateText('a: !Ref X\nb: !GetAtt A.B.C\nc: !Sub [ "${x}", { x: !Ref Y } ]\nd: !If [C, 1, 2]\ne: !Base64 hi', 't.yaml'), {
    a: { Ref: 'X' }, b: { 'Fn::GetAtt': ['A', 'B.C'] }, c: { 'Fn::Sub': ['${x}', { x: { Ref: 'Y' } }] }, d: { 'Fn::If': ['C', 1, 2] }, e: { 'Fn::Base64': 'hi' },
  });
});

test('intrinsics: Ref of parameters, pseudo parameters and resources; Fn::GetAtt', () => {
  assert.deepEqual(yaml('a: !Ref Stage\nb: !Ref AWS::Region\nc: !Ref AWS::AccountId\nd: !Ref AWS::StackName\ne: !Ref Fn\nf: !GetAtt Fn.Arn\ng: !Ref Subnets\nh: !Ref AWS::Partition'), {
    a: 'prod', b: 'us-east-1', c: '000000000000', d: 'demo', e: 'demo-Fn', f: 'arn:aws:lambda:us-east-1:000000000000:function:demo-Fn', g: ['a', 'b'], h: 'aws',
  });
});

test('intrinsics: Fn::Sub with names, attributes, a variable map and ${!Literal}', () => {
  assert.deepEqual(yaml('a: !Sub "${AWS::StackName}-${Stage}-${Fn.Arn}"\nb: !Sub [ "${X}/${!Keep}", { X: !Ref Fn } ]'), {
    a: 'demo-prod-arn:aws:lambda:us-east-1:000000000000:function:demo-Fn', b: 'demo-Fn/${Keep}',
  });
});

test('intrinsics: Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Base64, Fn::GetAZs', () => {
  assert.deepEqual(yaml('a: !Join [ ":", [ x, !Ref Stage ] ]\nb: !Select [ 1, [ p, q ] ]\nc: !Split [ ",", "1,2" ]\nd: !FindInMap [ Sizes, !Ref Stage, Memory ]\ne: !Base64 abc\nf: !Select [ 0, !GetAZs "" ]'), {
    a: 'x:prod', b: 'q', c: ['1', '2'], d: 1024, e: 'YWJj', f: 'us-east-1a',
  });
});

test('intrinsics: Fn::If with conditions (Equals, Not, And, Or, Condition) and AWS::NoValue', () => {
  assert.deepEqual(yaml('a: !If [IsProd, big, small]\nb: !If [NotProd, x, y]\nc: !If [Both, yes, no]\nd: !If [NotProd, 1, !Ref AWS::NoValue]\ne: [1, !If [NotProd, 2, !Ref AWS::NoValue], 3]'), { a: 'big', b: 'y', c: 'yes', e: [1, 3] });
  assert.equal(new IntrinsicResolver(scope()).resolve({ Ref: 'AWS::NoValue' }, 'T'), NO_VALUE);
});

test('intrinsics: errors name the place', () => {
  const r = new IntrinsicResolver(scope());
  assert.throws(() => r.resolve({ P: { Ref: 'Nope' } }, 'Resources.F.Properties'), new TemplateError('Resources.F.Properties.P.Ref: Ref Nope: no such parameter or resource'));
  assert.throws(() => r.resolve({ 'Fn::GetAtt': ['Fn', 'Nope'] }, 'X'), new TemplateError('X.Fn::GetAtt: Fn::GetAtt Fn.Nope: no such resource or attribute'));
  assert.throws(() => r.resolve({ 'Fn::If': ['Missing', 1, 2] }, 'X'), new TemplateError('X.Fn::If: unknown condition Missing'));
  assert.throws(() => r.resolve({ 'Fn::If': ['Loop', 1, 2] }, 'X'), new TemplateError('Conditions.Loop: condition Loop refers to itself'));
  assert.throws(() => r.resolve({ 'Fn::Join': ['-'] }, 'X'), new TemplateError('X.Fn::Join: Fn::Join takes a list of 2 items'));
  assert.throws(() => r.resolve({ 'Fn::ImportValue': 'x' }, 'X'), new TemplateError('X.Fn::ImportValue: Fn::ImportValue is not supported by flint deploy --template (Flint has no stack exports or macros)'));
  assert.throws(() => r.resolve({ 'Fn::Select': [5, ['a']] }, 'X'), new TemplateError('X.Fn::Select: Fn::Select index 5 is out of range'));
});

test('yaml: syntax errors and unknown tags are one line with file:line:column', () => {
  assert.throws(() => parseTemplateText('a: [1\nb: 2', 'template.yaml'), new TemplateError('template.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]'));
  assert.throws(() => parseTemplateText('a: !Reff X', 'template.yaml'), new TemplateError('template.yaml:1:4: Unresolved tag: !Reff'));
  assert.throws(() => parseTemplateText('- 1', 'template.yaml'), new TemplateError('template.yaml: a template is a mapping with a Resources section'));
});

test('Globals: scalars replaced, maps merged, lists concatenated', () => {
  assert.deepEqual(mergeGlobals({ Timeout: 3, Environment: { Variables: { A: '1', B: '1' } }, Layers: ['g'] }, { Timeout: 9, Environment: { Variables: { B: '2' } }, Layers: ['f'] }), {
    Timeout: 9, Environment: { Variables: { A: '1', B: '2' } }, Layers: ['g', 'f'],
  });
});

test('parameter overrides and stack names: sam deploy forms, clear errors', () => {
  assert.deepEqual(parseParameterOverrides(['Stage=prod', 'ParameterKey=Size,ParameterValue=a=b']), { Stage: 'prod', Size: 'a=b' });
  assert.throws(() => parseParameterOverrides(['Stage']), new TemplateError('--parameter-overrides "Stage": expected Key=Value'));
  assert.equal(stackNameFor({ template: '/tmp/my_app/template.yaml' }), 'my-app');
  assert.throws(() => stackNameFor({ template: 't.yaml', stackName: '1bad' }), /--stack-name "1bad": a stack name starts with a letter/);
});

test('policy templates expand to statements; unknown ones are refused with the known list', () => {
  const where = { region: 'us-east-1', accountId: '000000000000', partition: 'aws' };
  const p = expandPolicies(['AWSLambdaBasicExecutionRole', { SQSPollerPolicy: { QueueName: 'q' } }, { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }], where, 'P');
  assert.deepEqual(p.managedPolicyArns, ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
  assert.equal((p.inline[0]!['Statement'] as Array<{ Resource: string }>)[0]!.Resource, 'arn:aws:sqs:us-east-1:000000000000:q');
  assert.equal(p.inline[1]!['Version'], '2012-10-17');
  assert.throws(() => expandPolicies([{ NopePolicy: {} }], where, 'P'), /^TemplateError: P\[0\]: unknown SAM policy template NopePolicy; Flint knows LambdaInvokePolicy, /);
  assert.throws(() => expandPolicies([{ SQSPollerPolicy: {} }], where, 'P'), new TemplateError('P[0].SQSPollerPolicy: parameter QueueName is required'));
});
