import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/*
 * A function reaches Flint's API from inside its sandbox with the SDK the runtime provides and its
 * execution role's credentials — and gets exactly the role's permissions: it may invoke B, and is
 * denied C and DeleteFunction. Run under the process driver and, where the host allows, bwrap.
 */

const ACCOUNT = '000000000000';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

const CALLER = `
import { LambdaClient, InvokeCommand, DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
const lambda = new LambdaClient({ maxAttempts: 1 });
const outcome = (p) => p.then((r) => 'ok:' + (r.Payload ? Buffer.from(r.Payload).toString() : r.$metadata.httpStatusCode), (e) => e.name + ':' + e.message);
export const handler = async () => ({
  identity: (await new STSClient({}).send(new GetCallerIdentityCommand({}))).Arn,
  b: await outcome(lambda.send(new InvokeCommand({ FunctionName: 'fn-b', Payload: JSON.stringify({ from: 'inside' }) }))),
  c: await outcome(lambda.send(new InvokeCommand({ FunctionName: 'fn-c' }))),
  del: await outcome(lambda.send(new DeleteFunctionCommand({ FunctionName: 'fn-b' }))),
});
`;

for (const sandbox of ['process', 'bwrap'] as const) {
  let h: Harness | undefined;
  let skip: string | false = false;

  before(async () => {
    try {
      h = await startHarness({ sandbox });
    } catch (err) {
      skip = `the ${sandbox} driver is not available here: ${(err as Error).message}`;
      return;
    }
    const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.client.config.credentials, maxAttempts: 1 });
    await iam.send(new CreateRoleCommand({ RoleName: 'invoke-b-only', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'invoke-b-only', PolicyName: 'invoke-b', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('fn-b') }] }) }));
    iam.destroy();
    await createFunction(h.client, 'fn-b');
    await createFunction(h.client, 'fn-c');
    await h.client.send(new CreateFunctionCommand({
      FunctionName: 'caller', Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 30, MemorySize: 512,
      Role: `arn:aws:iam::${ACCOUNT}:role/invoke-b-only`, Code: { ZipFile: await makeZip({ 'index.mjs': CALLER }) },
    }));
    await waitSettled(h.client, 'caller');
  });
  after(async () => { await h?.stop(); });

  test(`execution role (${sandbox}): the function's SDK reaches Flint with its role session and gets exactly the role's permissions`, async (t) => {
    if (skip) return t.skip(skip);
    const out = await h!.client.send(new InvokeCommand({ FunctionName: 'caller' }));
    const body = JSON.parse(Buffer.from(out.Payload!).toString());
    assert.equal(out.FunctionError, undefined, JSON.stringify(body));
    assert.equal(body.identity, `arn:aws:sts::${ACCOUNT}:assumed-role/invoke-b-only/caller`);
    assert.equal(body.b, 'ok:{"from":"inside"}');
    assert.equal(body.c, `AccessDeniedException:User: arn:aws:sts::${ACCOUNT}:assumed-role/invoke-b-only/caller is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn('fn-c')} because no identity-based policy allows the lambda:InvokeFunction action`);
    assert.match(body.del, /^AccessDeniedException:.*lambda:DeleteFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:fn-b /);
  });
}
