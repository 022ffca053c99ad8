import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  afterFunctionError,
  afterSystemError,
  classifyInvokeError,
  isExpired,
  systemRetryDelayMs,
  type RetrySettings,
} from '../../src/invoke/async/retry-policy.js';

const LAMBDA_DEFAULTS: RetrySettings = { maxRetryAttempts: 2, maxEventAgeSeconds: 21_600, timeScale: 1 };

test('retry-policy: a function error is retried after 1 minute, then after 2 minutes, then exhausted (default 2 retries)', () => {
  const now = 1_000_000;
  assert.deepEqual(afterFunctionError(1, now, LAMBDA_DEFAULTS), { action: 'retry', visibleAt: now + 60_000, reason: 'function-error' });
  assert.deepEqual(afterFunctionError(2, now, LAMBDA_DEFAULTS), { action: 'retry', visibleAt: now + 120_000, reason: 'function-error' });
  assert.deepEqual(afterFunctionError(3, now, LAMBDA_DEFAULTS), { action: 'drop', condition: 'RetriesExhausted' });
});

test('retry-policy: MaximumRetryAttempts 0 drops after the first failure, 1 after the second', () => {
  assert.deepEqual(afterFunctionError(1, 0, { ...LAMBDA_DEFAULTS, maxRetryAttempts: 0 }), { action: 'drop', condition: 'RetriesExhausted' });
  assert.equal(afterFunctionError(1, 0, { ...LAMBDA_DEFAULTS, maxRetryAttempts: 1 }).action, 'retry');
  assert.deepEqual(afterFunctionError(2, 0, { ...LAMBDA_DEFAULTS, maxRetryAttempts: 1 }), { action: 'drop', condition: 'RetriesExhausted' });
});

test('retry-policy: the time scale shrinks function-error delays (0.001 turns a minute into 60 ms)', () => {
  const s = { ...LAMBDA_DEFAULTS, timeScale: 0.001 };
  assert.deepEqual(afterFunctionError(1, 5, s), { action: 'retry', visibleAt: 65, reason: 'function-error' });
  assert.deepEqual(afterFunctionError(2, 5, s), { action: 'retry', visibleAt: 125, reason: 'function-error' });
});

test('retry-policy: throttles and system errors back off exponentially from 1 s to at most 5 minutes', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map(systemRetryDelayMs), [
    1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
  ]);
  assert.deepEqual(afterSystemError(3, 100, { ...LAMBDA_DEFAULTS, timeScale: 0.5 }), { action: 'retry', visibleAt: 100 + 2_000, reason: 'system-error' });
});

test('retry-policy: system errors never use up retry attempts (even with MaximumRetryAttempts 0 they retry)', () => {
  const d = afterSystemError(40, 0, { ...LAMBDA_DEFAULTS, maxRetryAttempts: 0 });
  assert.equal(d.action, 'retry');
});

test('retry-policy: an event expires once its age reaches MaximumEventAgeInSeconds (scaled)', () => {
  const s: RetrySettings = { maxRetryAttempts: 2, maxEventAgeSeconds: 60, timeScale: 1 };
  assert.equal(isExpired(0, 59_999, s), false);
  // A one-minute retry of a 60 s max-age event lands exactly on the limit: AWS records it as
  // EventAgeExceeded with approximateInvokeCount 1.
  assert.equal(isExpired(0, 60_000, s), true);
  assert.equal(isExpired(0, 59, { ...s, timeScale: 0.001 }), false);
  assert.equal(isExpired(0, 60, { ...s, timeScale: 0.001 }), true);
  assert.equal(isExpired(0, 6 * 3600_000 - 1, LAMBDA_DEFAULTS), false);
  assert.equal(isExpired(0, 6 * 3600_000, LAMBDA_DEFAULTS), true);
});

test('retry-policy: with max age 180 s a failing event runs twice, then expires before the third attempt', () => {
  const s: RetrySettings = { maxRetryAttempts: 2, maxEventAgeSeconds: 180, timeScale: 1 };
  const first = afterFunctionError(1, 0, s);
  assert.ok(first.action === 'retry' && !isExpired(0, first.visibleAt, s));
  const second = afterFunctionError(2, first.visibleAt, s);
  assert.ok(second.action === 'retry' && isExpired(0, second.visibleAt, s));
});

test('retry-policy: invoke errors are classified as system (retry), gone (discard) or permanent (fail now)', () => {
  assert.equal(classifyInvokeError('TooManyRequestsException'), 'system');
  assert.equal(classifyInvokeError('ServiceException'), 'system');
  assert.equal(classifyInvokeError('ResourceConflictException'), 'system');
  assert.equal(classifyInvokeError('EC2ThrottledException'), 'system');
  assert.equal(classifyInvokeError('ENILimitReachedException'), 'system');
  assert.equal(classifyInvokeError(undefined), 'system');
  assert.equal(classifyInvokeError('ResourceNotFoundException'), 'gone');
  assert.equal(classifyInvokeError('InvalidRequestContentException'), 'permanent');
  assert.equal(classifyInvokeError('RequestTooLargeException'), 'permanent');
});
