import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { serviceModel } from '../../../src/api/service-model.js';
import { AwsQueryProtocol } from '../../../src/api/protocols/aws-query-protocol.js';
import { AwsError, AccessDeniedException, InvalidSignatureException, UnrecognizedClientException, ValidationException } from '../../../src/domain/errors.js';
import { internalFailure } from '../../../src/api/protocols/internal-failure.js';
import type { ProtocolRequest } from '../../../src/api/protocols/protocol.js';

const iam = new AwsQueryProtocol(serviceModel('iam-2010-05-08'));
const sts = new AwsQueryProtocol(serviceModel('sts-2011-06-15'));
const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => name === 'member' });

function form(params: Record<string, string>): ProtocolRequest {
  const body = Buffer.from(new URLSearchParams(params).toString());
  return { method: 'POST', rawPath: '/', query: new URLSearchParams(), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body };
}

function decode(p: AwsQueryProtocol, params: Record<string, string>): Record<string, unknown> {
  const req = form(params);
  const m = p.match(req);
  assert.ok(m, `no operation for ${params['Action']}`);
  return p.decode(m, req);
}

test('query: Action names the operation, from a form body or a GET query string', () => {
  assert.equal(iam.match(form({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'a' }))?.operation.name, 'CreateUser');
  const get: ProtocolRequest = { method: 'GET', rawPath: '/', query: new URLSearchParams('Action=ListUsers&Version=2010-05-08'), headers: {}, body: Buffer.alloc(0) };
  assert.equal(iam.match(get)?.operation.name, 'ListUsers');
  assert.equal(iam.match(form({ Action: 'NoSuchThing' })), undefined);
  assert.equal(iam.requestedName(form({ Action: 'NoSuchThing' })), 'NoSuchThing');
  assert.equal(AwsQueryProtocol.applies('POST', { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams()), true);
  assert.equal(AwsQueryProtocol.applies('POST', { 'content-type': 'application/json' }, new URLSearchParams()), false);
});

test('query: lists of structures decode from Name.member.N.Field, as botocore writes tags', () => {
  const input = decode(iam, { Action: 'CreateUser', UserName: 'bob', Path: '/eng/', 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'core', 'Tags.member.2.Key': 'env', 'Tags.member.2.Value': 'dev' });
  assert.deepEqual(input, { UserName: 'bob', Path: '/eng/', Tags: [{ Key: 'team', Value: 'core' }, { Key: 'env', Value: 'dev' }] });
});

test('query: an empty list is a bare Name=, and scalars take their model type', () => {
  const input = decode(iam, { Action: 'ListUsers', MaxItems: '10', PathPrefix: '/' });
  assert.deepEqual(input, { MaxItems: 10, PathPrefix: '/' });
  const tags = decode(iam, { Action: 'UntagUser', UserName: 'bob', TagKeys: '' });
  assert.deepEqual(tags, { UserName: 'bob', TagKeys: [] });
  const sess = decode(sts, { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::000000000000:role/r', RoleSessionName: 's', DurationSeconds: '900', 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
  assert.deepEqual(sess, { RoleArn: 'arn:aws:iam::000000000000:role/r', RoleSessionName: 's', DurationSeconds: 900, PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }] });
});

test('query: a number that is not one is a ValidationError naming the member', () => {
  assert.throws(() => decode(iam, { Action: 'ListUsers', MaxItems: 'ten' }), (e: AwsError) => e.type === 'ValidationException' && /at 'maxItems'/.test(e.message));
});

test('query: responses are <OpResponse><OpResult> with members in model order and ResponseMetadata', () => {
  const op = serviceModel('iam-2010-05-08').operations['ListUsers']!;
  const out = iam.encode(op, { Users: [{ Path: '/', UserName: 'a<b', UserId: 'AIDA1', Arn: 'arn:aws:iam::000000000000:user/a', CreateDate: new Date(Date.UTC(2026, 11, 4, 10, 0, 0, 123)) }], IsTruncated: false }, 'req-1');
  assert.equal(out.status, 200);
  assert.equal(out.headers['content-type'], 'text/xml');
  const doc = xml.parse(String(out.body));
  assert.equal(doc.ListUsersResponse['@_xmlns'], 'https://iam.amazonaws.com/doc/2010-05-08/');
  const user = doc.ListUsersResponse.ListUsersResult.Users.member[0];
  assert.equal(user.UserName, 'a<b');
  assert.equal(user.CreateDate, '2026-12-04T10:00:00Z');
  assert.equal(doc.ListUsersResponse.ListUsersResult.IsTruncated, 'false');
  assert.equal(doc.ListUsersResponse.ResponseMetadata.RequestId, 'req-1');
});

test('query: an operation without output still answers its Response element with the request id', () => {
  const op = serviceModel('iam-2010-05-08').operations['DeleteUser']!;
  const doc = xml.parse(String(iam.encode(op, undefined, 'r2').body));
  assert.equal(doc.DeleteUserResponse.ResponseMetadata.RequestId, 'r2');
  assert.equal(doc.DeleteUserResponse.DeleteUserResult, undefined);
});

test('query errors: model error shapes travel under their wire code and status (NoSuchEntity 404)', () => {
  const r = iam.encodeError(new AwsError('NoSuchEntityException', 'The user with name bob cannot be found.'), 'r3');
  assert.equal(r.status, 404);
  const doc = xml.parse(String(r.body));
  assert.deepEqual(doc.ErrorResponse.Error, { Type: 'Sender', Code: 'NoSuchEntity', Message: 'The user with name bob cannot be found.' });
  assert.equal(doc.ErrorResponse.RequestId, 'r3');
});

test('query errors: front-door failures take the names IAM and STS use on the wire', () => {
  const cases: Array<[AwsError, string, number]> = [
    [new InvalidSignatureException('x'), 'SignatureDoesNotMatch', 403],
    [new UnrecognizedClientException('x'), 'InvalidClientTokenId', 403],
    [new AccessDeniedException('x'), 'AccessDenied', 403],
    [new ValidationException('x'), 'ValidationError', 400],
    [internalFailure(), 'InternalFailure', 500],
  ];
  for (const [err, code, status] of cases) {
    const r = iam.encodeError(err, 'r');
    assert.equal(r.status, status, code);
    assert.equal(xml.parse(String(r.body)).ErrorResponse.Error.Code, code);
  }
  // STS's model has its own ExpiredTokenException shape: its code and status win.
  const expired = sts.encodeError(new AwsError('ExpiredTokenException', 'The security token included in the request is expired'), 'r');
  assert.equal(expired.status, 400);
  assert.equal(xml.parse(String(expired.body)).ErrorResponse.Error.Code, 'ExpiredTokenException');
});
