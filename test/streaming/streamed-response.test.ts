import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../helpers/fake-clock.js';
import { LAMBDA_STREAM_LIMITS, StreamedResponse } from '../../src/invoke/streamed-response.js';

/** The stream between the Runtime API and its reader: limits and pacing, on a fake clock. */
const MB = 1024 * 1024;

test('streamed response: Lambda figures are 200 MB maximum, 6 MB uncapped, then 2 MB/s', () => {
  assert.deepEqual(LAMBDA_STREAM_LIMITS, { maxBytes: 200 * MB, uncappedBytes: 6 * MB, bytesPerSecond: 2 * MB });
});

test('streamed response: the uncapped first bytes go at once; past them the reader waits for the bandwidth cap', async () => {
  const clock = new FakeClock();
  const s = new StreamedResponse('application/octet-stream', clock, { maxBytes: 100, uncappedBytes: 10, bytesPerSecond: 10 });
  s.write(Buffer.alloc(10));
  s.write(Buffer.alloc(10));
  s.end();
  const it = s.chunks();
  assert.equal((await it.next()).value?.length, 10);
  const got: { second?: Buffer } = {};
  const pending = it.next().then((r) => { if (!r.done) got.second = r.value; });
  await new Promise((r) => setImmediate(r));
  // 10 more bytes at 10 B/s: due one second after the cap began.
  assert.equal(got.second, undefined);
  await clock.advance(999);
  assert.equal(got.second, undefined);
  await clock.advance(1);
  await pending;
  assert.equal((got.second as Buffer | undefined)?.length, 10);
  assert.equal((await it.next()).done, true);
});

test('streamed response: a write past the maximum fails the stream with Function.ResponseSizeTooLarge', async () => {
  const s = new StreamedResponse('application/octet-stream', new FakeClock(), { maxBytes: 15, uncappedBytes: 100, bytesPerSecond: 1 });
  s.write(Buffer.alloc(10));
  s.write(Buffer.alloc(10));
  const done = await s.done;
  assert.equal(done.bytes, 10);
  assert.equal(done.error?.errorType, 'Function.ResponseSizeTooLarge');
  const got: Buffer[] = [];
  for await (const c of s.chunks()) got.push(c);
  assert.equal(Buffer.concat(got).length, 10);
});

test('streamed response: the writer is told to wait while the reader is a megabyte behind, and released as it reads', async () => {
  const s = new StreamedResponse('application/octet-stream', new FakeClock(), { maxBytes: 10 * MB, uncappedBytes: 10 * MB, bytesPerSecond: 1 });
  assert.equal(s.write(Buffer.alloc(MB / 2)), true);
  assert.equal(s.write(Buffer.alloc(MB / 2)), false);
  let drained = false;
  s.onDrain(() => (drained = true));
  const it = s.chunks();
  await it.next();
  assert.equal(drained, true);
});
