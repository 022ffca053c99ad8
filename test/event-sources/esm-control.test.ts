import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { IAMClient, AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction, createAlias, publishVersion } from '../helpers/functions.js';
import { createLambdaRole } from '../helpers/iam.js';
import { expectError } from '../helpers/expect-error.js';
import { until } from '../helpers/until.js';
import { InMemoryQueues } from '../helpers/in-memory-queues.js';

/**
 * The event source mapping API through SDK v3 and the AWS CLI: shapes, state transitions and
 * Lambda's validation texts (recorded responses in shared/aws/recorded). The queue is the port's
 * in-memory double here; test/event-sources/sqs-mapping-e2e.test.ts runs on the real queue service.
 */
const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:orders';
const SHORT_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:short-visibility';
let h: Harness;
let role: string;
const queues = new InMemoryQueues();

before(async () => {
  queues.create(QUEUE);
  queues.create(SHORT_QUEUE, { visibility: 5 });
  h = await startHarness({}, { queues });
  role = await createLambdaRole(h.endpoint, 'sqs-reader');
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'sqs-reader', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole' }));
  iam.destroy();
  await createFunction(h.client, 'consumer', { Role: role });
  await createFunction(h.client, 'no-sqs-rights');
  await createFunction(h.client, 'slow', { Role: role, Timeout: 10 });
});

after(async () => {
  await h.stop();
});

test('create answers 202 Creating with the recorded shape; the mapping then settles to Enabled', async () => {
  const created = await h.client.send(new CreateEventSourceMappingCommand({ EventSourceArn: QUEUE, FunctionName: 'consumer' }));
  assert.equal(created.$metadata.httpStatusCode, 202);
  assert.equal(created.State, 'Creating');
  assert.equal(created.StateTransitionReason, 'USER_INITIATED');
  assert.equal(created.BatchSize, 10);
  assert.equal(created.MaximumBatchingWindowInSeconds, 0);
  assert.deepEqual(created.FunctionResponseTypes, []);
  assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:consumer');
  assert.equal(created.EventSourceMappingArn, `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${created.UUID}`);
  assert.ok(created.LastModified instanceof Date);
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).State === 'Enabled');

  // The same queue and function again: ResourceConflictException naming the existing UUID.
  await expectError(h.client.send(new CreateEventSourceMappingCommand({ EventSourceArn: QUEUE, FunctionName: 'consumer' })), 'ResourceConflictException', 409,
    `An event source mapping with SQS arn (" ${QUEUE} ") and function (" consumer ") already exists. Please update or delete the existing mapping with UUID ${created.UUID}`);

  // Disable → Disabling then Disabled; enable → Enabling then Enabled; a plain update → Updating.
  const disabling = await h.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, Enabled: false }));
  assert.equal(disabling.State, 'Disabling');
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).State === 'Disabled');
  const enabling = await h.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, Enabled: true }));
  assert.equal(enabling.State, 'Enabling');
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).State === 'Enabled');
  const updating = await h.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, BatchSize: 5, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
  assert.equal(updating.State, 'Updating');
  assert.equal(updating.BatchSize, 5);
  assert.deepEqual(updating.FunctionResponseTypes, ['ReportBatchItemFailures']);

  // Pointing it at a function whose role may not read the queue is refused, as at create.
  await expectError(h.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, FunctionName: 'no-sqs-rights' })), 'InvalidParameterValueException', 400,
    'The provided execution role does not have permissions to call ReceiveMessage on SQS');
  await expectError(h.client.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, BatchSize: 50 })), 'InvalidParameterValueException', 400,
    'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');

  const listed = await h.client.send(new ListEventSourceMappingsCommand({ FunctionName: 'consumer' }));
  assert.deepEqual(listed.EventSourceMappings?.map((m) => m.UUID), [created.UUID]);
  assert.deepEqual((await h.client.send(new ListEventSourceMappingsCommand({ EventSourceArn: SHORT_QUEUE }))).EventSourceMappings, []);

  const deleting = await h.client.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
  assert.equal(deleting.$metadata.httpStatusCode, 202);
  assert.equal(deleting.State, 'Deleting');
  await until(async () => {
    try {
      await h.client.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
      return false;
    } catch (err) {
      return (err as Error).name === 'ResourceNotFoundException';
    }
  });
});

test('an alias-qualified function: FunctionArn names the alias; ListEventSourceMappings pages with Marker', async () => {
  const v = await publishVersion(h.client, 'consumer');
  await createAlias(h.client, 'consumer', 'live', v);
  const a = await h.client.send(new CreateEventSourceMappingCommand({ EventSourceArn: QUEUE, FunctionName: 'consumer:live', Enabled: false }));
  assert.equal(a.FunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:consumer:live');
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: a.UUID }))).State === 'Disabled');
  const b = await h.client.send(new CreateEventSourceMappingCommand({ EventSourceArn: SHORT_QUEUE, FunctionName: 'consumer', Enabled: false }));
  const page1 = await h.client.send(new ListEventSourceMappingsCommand({ MaxItems: 1 }));
  assert.equal(page1.EventSourceMappings?.length, 1);
  assert.ok(page1.NextMarker);
  const page2 = await h.client.send(new ListEventSourceMappingsCommand({ MaxItems: 1, Marker: page1.NextMarker }));
  assert.deepEqual([page1.EventSourceMappings![0]!.UUID, page2.EventSourceMappings![0]!.UUID].sort(), [a.UUID, b.UUID].sort());
  await h.client.send(new DeleteEventSourceMappingCommand({ UUID: a.UUID }));
  await h.client.send(new DeleteEventSourceMappingCommand({ UUID: b.UUID }));
});

test("validation: Lambda's texts for each refused create", async () => {
  const create = (input: Record<string, unknown>) => h.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'consumer', ...input }));
  await expectError(create({}), 'InvalidParameterValueException', 400, 'Unrecognized event source.');
  await expectError(create({ EventSourceArn: QUEUE, FunctionName: 'missing' }), 'InvalidParameterValueException', 400, 'Function does not exist');
  await expectError(create({ EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:nope' }), 'InvalidParameterValueException', 400,
    'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.');
  await expectError(create({ EventSourceArn: QUEUE, BatchSize: 11 }), 'InvalidParameterValueException', 400, 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  await expectError(create({ EventSourceArn: QUEUE, FunctionName: 'no-sqs-rights' }), 'InvalidParameterValueException', 400, 'The provided execution role does not have permissions to call ReceiveMessage on SQS');
  await expectError(create({ EventSourceArn: SHORT_QUEUE, FunctionName: 'slow' }), 'InvalidParameterValueException', 400, 'Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds');
  await expectError(create({ EventSourceArn: QUEUE, DestinationConfig: { OnFailure: { Destination: QUEUE } } }), 'InvalidParameterValueException', 400, 'Unsupported DestinationConfig parameter for given event source mapping type.');
  await expectError(create({ EventSourceArn: QUEUE, FilterCriteria: { Filters: [{ Pattern: 'simple string' }] } }), 'InvalidParameterValueException', 400, 'Invalid filter pattern definition.');
  // The model's ranges: BatchSize 1–10000, window 0–300, MaximumConcurrency 2–1000.
  await expectError(create({ EventSourceArn: QUEUE, BatchSize: 0 }), 'ValidationException', 400, /batchSize/);
  await expectError(create({ EventSourceArn: QUEUE, MaximumBatchingWindowInSeconds: 301 }), 'ValidationException', 400, /maximumBatchingWindowInSeconds/);
  await expectError(create({ EventSourceArn: QUEUE, ScalingConfig: { MaximumConcurrency: 1 } }), 'ValidationException', 400, /maximumConcurrency/);
  // Amazon MQ needs source access configurations.
  await expectError(create({ EventSourceArn: 'arn:aws:mq:us-east-1:000000000000:broker:b1:b-1234', Queues: ['q'] }), 'InvalidParameterValueException', 400, "Required 'sourceAccessConfigurations' parameter is missing.");
  for (const op of [
    h.client.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })),
    h.client.send(new DeleteEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })),
    h.client.send(new UpdateEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000', BatchSize: 1 })),
  ]) await expectError(op, 'ResourceNotFoundException', 404, 'The resource you requested does not exist.');
});

test('the AWS CLI v2 creates, gets, lists and deletes a mapping', async () => {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
  const aws = async (...args: string[]) => JSON.parse((await promisify(execFile)('/usr/bin/aws', ['--endpoint-url', h.endpoint, '--output', 'json', 'lambda', ...args], { env })).stdout) as Record<string, unknown>;
  const created = await aws('create-event-source-mapping', '--function-name', 'consumer', '--event-source-arn', QUEUE, '--batch-size', '20', '--maximum-batching-window-in-seconds', '2',
    '--filter-criteria', JSON.stringify({ Filters: [{ Pattern: JSON.stringify({ body: { kind: ['order'] } }) }] }), '--scaling-config', 'MaximumConcurrency=3');
  assert.equal(created['State'], 'Creating');
  assert.equal(created['BatchSize'], 20);
  assert.deepEqual(created['ScalingConfig'], { MaximumConcurrency: 3 });
  assert.deepEqual(created['FilterCriteria'], { Filters: [{ Pattern: '{"body":{"kind":["order"]}}' }] });
  const uuid = created['UUID'] as string;
  await until(async () => (await aws('get-event-source-mapping', '--uuid', uuid))['State'] === 'Enabled');
  const listed = await aws('list-event-source-mappings', '--event-source-arn', QUEUE);
  assert.deepEqual((listed['EventSourceMappings'] as Array<{ UUID: string }>).map((m) => m.UUID), [uuid]);
  assert.equal((await aws('delete-event-source-mapping', '--uuid', uuid))['State'], 'Deleting');
});

test('boto3 (Debian python3-boto3) creates, reads and deletes a mapping', async (t) => {
  const python = '/usr/bin/python3';
  const probe = await promisify(execFile)(python, ['-c', 'import boto3']).then(() => true, () => false);
  if (!probe) return t.skip('/usr/bin/python3 has no boto3 (Debian package python3-boto3)');
  const script = `
import boto3, json, sys
c = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
m = c.create_event_source_mapping(EventSourceArn=sys.argv[4], FunctionName='consumer', BatchSize=3, Enabled=False)
g = c.get_event_source_mapping(UUID=m['UUID'])
try:
    c.create_event_source_mapping(EventSourceArn=sys.argv[4], FunctionName='consumer', BatchSize=50)
    err = None
except c.exceptions.InvalidParameterValueException as e:
    err = e.response['Error']['Message']
d = c.delete_event_source_mapping(UUID=m['UUID'])
print(json.dumps({'status': m['ResponseMetadata']['HTTPStatusCode'], 'state': m['State'], 'batch': g['BatchSize'], 'err': err, 'deleted': d['State']}))
`;
  const out = JSON.parse((await promisify(execFile)(python, ['-c', script, h.endpoint, TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey, SHORT_QUEUE])).stdout);
  assert.deepEqual(out, { status: 202, state: 'Creating', batch: 3, err: 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10', deleted: 'Deleting' });
});
