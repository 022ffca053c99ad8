import assert from 'node:assert/strict';

/** Awaits a rejected SDK call and checks the AWS error type, HTTP status and (exact) message. */
export async function expectError(call: Promise<unknown>, type: string, status: number, message?: string | RegExp): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.name, type, `error type (message: ${err.message})`);
    assert.equal(err.$metadata?.httpStatusCode, status, 'HTTP status');
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

/** The same check with named fields: `{ name, status, message }`. */
export function expectAwsError(p: Promise<unknown>, want: { name: string; status: number; message: string | RegExp }): Promise<void> {
  return expectError(p, want.name, want.status, want.message);
}
