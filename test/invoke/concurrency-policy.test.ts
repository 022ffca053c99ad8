import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideLease, provisionedKey, type ConcurrencyUsage, type LeaseRequest } from '../../src/invoke/concurrency-policy.js';
import { ConcurrencyLeases } from '../../src/invoke/concurrency-leases.js';

const usage = (o: Partial<{ unreserved: number; byFunction: Record<string, number>; provisioned: Record<string, number> }> = {}): ConcurrencyUsage => ({
  unreserved: o.unreserved ?? 0,
  byFunction: new Map(Object.entries(o.byFunction ?? {})),
  provisioned: new Map(Object.entries(o.provisioned ?? {})),
});
const req = (o: Partial<LeaseRequest> = {}): LeaseRequest => ({ functionName: 'fn', provisionedAllocated: 0, accountLimit: 10, committed: 0, ...o });

test('concurrency: reserved concurrency 0 throttles every invocation', () => {
  assert.deepEqual(decideLease(usage(), req({ reserved: 0 })), { kind: 'throttle', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
});

test('concurrency: a function with reserved concurrency runs up to it, then is throttled with its Reason', () => {
  assert.deepEqual(decideLease(usage({ byFunction: { fn: 1 } }), req({ reserved: 2 })), { kind: 'reserved' });
  assert.deepEqual(decideLease(usage({ byFunction: { fn: 2 } }), req({ reserved: 2 })), { kind: 'throttle', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  // The unreserved pool being full does not matter to a function with its own reservation.
  assert.deepEqual(decideLease(usage({ unreserved: 10 }), req({ reserved: 2 })), { kind: 'reserved' });
});

test('concurrency: unreserved functions share the account limit minus what is reserved', () => {
  assert.deepEqual(decideLease(usage({ unreserved: 6 }), req({ committed: 4 })), { kind: 'throttle', reason: 'ConcurrentInvocationLimitExceeded' });
  assert.deepEqual(decideLease(usage({ unreserved: 5 }), req({ committed: 4 })), { kind: 'unreserved' });
});

test('concurrency: provisioned slots of the qualifier come first, then the function spills over', () => {
  const k = provisionedKey('fn', 'live');
  assert.deepEqual(decideLease(usage({ provisioned: { [k]: 1 } }), req({ qualifier: 'live', provisionedAllocated: 2 })), { kind: 'provisioned' });
  assert.deepEqual(decideLease(usage({ provisioned: { [k]: 2 } }), req({ qualifier: 'live', provisionedAllocated: 2 })), { kind: 'unreserved' });
  // Another qualifier of the same function has no provisioned slots.
  assert.deepEqual(decideLease(usage(), req({ qualifier: '3', provisionedAllocated: 0 })), { kind: 'unreserved' });
});

test('concurrency: withLease gives the lease back when the invocation fails', async () => {
  const leases = new ConcurrencyLeases();
  await assert.rejects(leases.withLease(req({ reserved: 1 }), async () => { throw new Error('boom'); }), /boom/);
  assert.equal(leases.running('fn'), 0);
  const inner = await leases.withLease(req({ reserved: 1 }), async () => {
    assert.equal(leases.running('fn'), 1);
    await assert.rejects(leases.withLease(req({ reserved: 1 }), async () => 'never'), (err: any) => {
      assert.equal(err.name, 'TooManyRequestsException');
      assert.equal(err.message, 'Rate Exceeded.');
      assert.deepEqual(err.fields, { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      assert.equal(err.headers['retry-after'], '1');
      return true;
    });
    return 'ran';
  });
  assert.equal(inner, 'ran');
  assert.equal(leases.running('fn'), 0);
  assert.equal(leases.usage().unreserved, 0);
});
