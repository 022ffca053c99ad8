import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { serviceModel } from '../../../src/api/service-model.js';
import { AwsJsonProtocol } from '../../../src/api/protocols/aws-json-protocol.js';
import { RpcV2CborProtocol } from '../../../src/api/protocols/rpc-v2-cbor-protocol.js';
import { AwsService } from '../../../src/api/aws-service.js';
import { AwsError, UnknownOperationException } from '../../../src/domain/errors.js';
import type { ProtocolRequest } from '../../../src/api/protocols/protocol.js';

const kms = new AwsJsonProtocol(serviceModel('kms-2014-11-01'));
const cwJson = new AwsJsonProtocol(serviceModel('cloudwatch-2010-08-01'));
const cw = new RpcV2CborProtocol(serviceModel('cloudwatch-2010-08-01'));

function jsonReq(target: string, body: unknown): ProtocolRequest {
  return { method: 'POST', rawPath: '/', query: new URLSearchParams(), headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) };
}

test('json: X-Amz-Target <prefix>.<Operation> names the operation; other prefixes name none', () => {
  assert.equal(kms.match(jsonReq('TrentService.Encrypt', {}))?.operation.name, 'Encrypt');
  assert.equal(kms.match(jsonReq('Logs_20140328.PutLogEvents', {})), undefined);
  assert.equal(kms.match(jsonReq('TrentService.hasOwnProperty', {})), undefined);
});

test('json: blobs arrive base64 and decode to bytes; timestamps in epoch seconds decode to Dates', () => {
  const req = jsonReq('TrentService.Encrypt', { KeyId: 'alias/a', Plaintext: Buffer.from('hi').toString('base64'), EncryptionContext: { a: 'b' } });
  const input = kms.decode(kms.match(req)!, req);
  assert.deepEqual(input['Plaintext'], Buffer.from('hi'));
  assert.deepEqual(input['EncryptionContext'], { a: 'b' });
  const ck = jsonReq('TrentService.ScheduleKeyDeletion', { KeyId: 'k', PendingWindowInDays: 7 });
  assert.deepEqual(kms.decode(kms.match(ck)!, ck), { KeyId: 'k', PendingWindowInDays: 7 });
});

test('json: a body that is not JSON, or of the wrong type, is a SerializationException', () => {
  const bad = jsonReq('TrentService.Encrypt', '{nope');
  assert.throws(() => kms.decode(kms.match(bad)!, bad), (e: AwsError) => e.type === 'SerializationException');
  const wrong = jsonReq('TrentService.Encrypt', { KeyId: 5 });
  assert.throws(() => kms.decode(kms.match(wrong)!, wrong), (e: AwsError) => e.type === 'SerializationException' && /keyId/.test(e.message));
});

test('json: output is the JSON document with the protocol content type, Dates as epoch seconds', () => {
  const op = serviceModel('kms-2014-11-01').operations['DescribeKey']!;
  const r = kms.encode(op, { KeyMetadata: { KeyId: 'k', CreationDate: new Date(1_700_000_000_500) } }, 'r');
  assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
  assert.deepEqual(JSON.parse(String(r.body)), { KeyMetadata: { KeyId: 'k', CreationDate: 1_700_000_000.5 } });
});

test('json errors: __type and message, status from the model, 400 for an unknown target', () => {
  const nf = kms.encodeError(new AwsError('NotFoundException', 'Key x does not exist'), 'r');
  assert.equal(nf.status, 400);
  assert.deepEqual(JSON.parse(String(nf.body)), { __type: 'NotFoundException', message: 'Key x does not exist' });
  assert.equal(kms.encodeError(new UnknownOperationException('x'), 'r').status, 400);
  const internal = kms.encodeError(new AwsError('KMSInternalException', 'boom'), 'r');
  assert.equal(internal.status, 500);
});

test('json errors: query-compatible services (CloudWatch) add x-amzn-query-error with the query code', () => {
  const r = cwJson.encodeError(new AwsError('InvalidParameterValueException', 'The value x is not valid.'), 'r');
  assert.equal(r.headers['x-amzn-query-error'], 'InvalidParameterValue;Sender');
  assert.equal(r.headers['content-type'], 'application/x-amz-json-1.0');
});

function cborReq(op: string, body: unknown): ProtocolRequest {
  return { method: 'POST', rawPath: `/service/GraniteServiceVersion20100801/operation/${op}`, query: new URLSearchParams(), headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, body: Buffer.from(cborEncode(body)) };
}

test('rpc-v2-cbor: the path names the operation and the CBOR body the input (timestamps as tag 1)', () => {
  const when = new Date(Date.UTC(2026, 11, 4));
  const req = cborReq('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Hits', Value: 2, Timestamp: when, Dimensions: [{ Name: 'fn', Value: 'a' }] }] });
  const m = cw.match(req);
  assert.equal(m?.operation.name, 'PutMetricData');
  const input = cw.decode(m!, req);
  assert.deepEqual(input, { Namespace: 'App', MetricData: [{ MetricName: 'Hits', Value: 2, Timestamp: when, Dimensions: [{ Name: 'fn', Value: 'a' }] }] });
  assert.equal(cw.match(cborReq('Nope', {})), undefined);
  assert.equal(cw.requestedName(cborReq('Nope', {})), 'Nope');
});

test('rpc-v2-cbor: output and errors are CBOR with the smithy-protocol header', () => {
  const op = serviceModel('cloudwatch-2010-08-01').operations['ListMetrics']!;
  const r = cw.encode(op, { Metrics: [{ Namespace: 'App', MetricName: 'Hits', Dimensions: [] }], NextToken: undefined }, 'r');
  assert.equal(r.headers['smithy-protocol'], 'rpc-v2-cbor');
  assert.deepEqual(cborDecode(r.body as Buffer), { Metrics: [{ Namespace: 'App', MetricName: 'Hits', Dimensions: [] }] });
  const e = cw.encodeError(new AwsError('ResourceNotFound', 'no such'), 'r');
  assert.equal(e.status, 404);
  assert.deepEqual(cborDecode(e.body as Buffer), { __type: 'ResourceNotFound', message: 'no such' });
  assert.equal(e.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
  const garbage = { ...cborReq('ListMetrics', {}), body: Buffer.from([0xff, 0x00, 0x13]) };
  assert.throws(() => cw.decode(cw.match(garbage)!, garbage), (x: AwsError) => x.type === 'SerializationException');
});

test('protocol choice: CloudWatch answers CBOR, JSON or query by what the client sent', () => {
  const svc = new AwsService({ model: 'cloudwatch-2010-08-01', handlers: {} });
  const q = new URLSearchParams();
  assert.equal(svc.signingName, 'monitoring');
  assert.equal(svc.protocolFor({ method: 'POST', headers: { 'smithy-protocol': 'rpc-v2-cbor' }, query: q }).name, 'smithy-rpc-v2-cbor');
  assert.equal(svc.protocolFor({ method: 'POST', headers: { 'x-amz-target': 'GraniteServiceVersion20100801.ListMetrics' }, query: q }).name, 'json');
  assert.equal(svc.protocolFor({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: q }).name, 'query');
  const sqsSvc = new AwsService({ model: 'sqs-2012-11-05', handlers: {} });
  assert.equal(sqsSvc.protocolFor({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: q }).name, 'query');
  assert.equal(sqsSvc.protocolFor({ method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.SendMessage' }, query: q }).name, 'json');
  const lambda = new AwsService({ model: 'lambda-2015-03-31', handlers: {} });
  assert.equal(lambda.protocolFor({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: q }).name, 'rest-json');
});
