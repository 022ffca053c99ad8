import assert from 'node:assert/strict';

/** Asserts that `p` rejects with an SDK error of exactly this type, HTTP status and message. */
export async function expectAwsError(p: Promise<unknown>, want: { name: string; status: number; message: string | RegExp }): Promise<void> {
  await assert.rejects(p, (err: any) => {
    assert.equal(err.name, want.name, `error type (message: ${err.message})`);
    assert.equal(err.$metadata?.httpStatusCode, want.status, 'HTTP status');
    if (typeof want.message === 'string') assert.equal(err.message, want.message);
    else assert.match(err.message, want.message);
    return true;
  });
}
