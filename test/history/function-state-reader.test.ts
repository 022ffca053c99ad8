import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFunctionState, type ControlReaders } from '../../src/history/function-state-reader.js';

const notFound = () => Object.assign(new Error('not found'), { type: 'ResourceNotFoundException' });

function readers(over: Partial<ControlReaders> = {}, config: Record<string, unknown> = {}): ControlReaders {
  return {
    functions: { getConfiguration: () => ({ FunctionName: 'fn', FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', MemorySize: 128, State: 'Pending', LastUpdateStatus: 'InProgress', RevisionId: 'r1', ...config }) },
    aliases: { list: (i) => (i.Marker ? { Aliases: [{ Name: 'b', RevisionId: 'x' }] } : { Aliases: [{ Name: 'a', FunctionVersion: '1', RevisionId: 'y' }], NextMarker: 'm' }) },
    policies: { getPolicy: () => { throw notFound(); } },
    tags: { list: () => ({ Tags: { team: 'blue' } }) },
    concurrency: { get: () => ({}) },
    eventInvokeConfigs: { get: () => { throw notFound(); } },
    ...over,
  };
}
const fp = (v: string) => `fp-${v.length}`;

test('function state: configuration without transition and revision fields, every page of aliases, tags; absent policy, concurrency and event invoke config are left out', () => {
  const s = readFunctionState(readers(), 'fn', fp)!;
  assert.deepEqual(s, {
    configuration: { FunctionName: 'fn', FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', MemorySize: 128 },
    aliases: [{ Name: 'a', FunctionVersion: '1' }, { Name: 'b' }],
    tags: { team: 'blue' },
  });
});

test('function state: environment variable values are replaced by their fingerprint, never kept in clear', () => {
  const s = readFunctionState(readers({}, { Environment: { Variables: { SECRET: 'hunter2' } } }), 'fn', fp)!;
  assert.deepEqual(s.configuration['Environment'], { Variables: { SECRET: '(hidden fp-7)' } });
  assert.doesNotMatch(JSON.stringify(s), /hunter2/);
});

test('function state: policy parsed, reserved concurrency and event invoke config (without LastModified) included when set', () => {
  const s = readFunctionState(readers({
    policies: { getPolicy: () => ({ Policy: '{"Version":"2012-10-17","Statement":[]}' }) },
    concurrency: { get: () => ({ ReservedConcurrentExecutions: 4 }) },
    eventInvokeConfigs: { get: () => ({ MaximumRetryAttempts: 1, LastModified: new Date(0) }) },
  }), 'fn', fp)!;
  assert.deepEqual(s.policy, { Version: '2012-10-17', Statement: [] });
  assert.equal(s.reservedConcurrentExecutions, 4);
  assert.deepEqual(s.eventInvokeConfig, { MaximumRetryAttempts: 1 });
});

test('function state: undefined for a function that does not exist; other errors propagate', () => {
  assert.equal(readFunctionState(readers({ functions: { getConfiguration: () => { throw notFound(); } } }), 'fn', fp), undefined);
  assert.throws(() => readFunctionState(readers({ tags: { list: () => { throw new Error('disk'); } } }), 'fn', fp), /disk/);
});
