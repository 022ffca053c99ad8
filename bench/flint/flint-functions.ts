import yazl from 'yazl';
import { Agent } from 'node:http';
import { AddPermissionCommand, CreateFunctionCommand, CreateFunctionUrlConfigCommand, DeleteFunctionCommand, GetFunctionConfigurationCommand, LambdaClient, type Runtime } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { NODE_HELLO, PYTHON_HELLO } from './hello-function.js';

/** What the Flint server child reports once it listens. */
export interface FlintReady {
  endpoint: string;
  pid: number;
  /** The sandbox driver the server actually runs. */
  sandbox: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export type HelloRuntime = 'node' | 'python';

export const RUNTIME_IDS: Record<HelloRuntime, Runtime> = { node: 'nodejs20.x', python: 'python3.11' };
// The role Flint creates on a data dir's first start (trusts Lambda, may write logs).
const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export function clientFor(server: FlintReady, maxSockets = 64): LambdaClient {
  return new LambdaClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets }) }),
  });
}

const zips = new Map<HelloRuntime, Promise<Buffer>>();

function helloZip(runtime: HelloRuntime): Promise<Buffer> {
  let z = zips.get(runtime);
  if (!z) {
    z = zipOf(runtime === 'node' ? { 'index.mjs': NODE_HELLO } : { 'index.py': PYTHON_HELLO });
    zips.set(runtime, z);
  }
  return z;
}

/** Creates the hello function and waits until it is Active (Lambda's state machine for new functions). */
/**
 * Warm-path and async benches run the hello function at 1,769 MB: Lambda gives a function one full
 * vCPU there and proportionally less below (128 MB gets ~7 %), and so does Flint's isolated driver.
 * At 128 MB the runtime, not the platform, would be what the bench measures.
 */
export const WARM_MEMORY_MB = 1769;

export async function createHello(client: LambdaClient, name: string, runtime: HelloRuntime, extra: { memoryMb?: number } = {}): Promise<void> {
  await client.send(new CreateFunctionCommand({
    FunctionName: name,
    Runtime: RUNTIME_IDS[runtime],
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: await helloZip(runtime) },
    MemorySize: extra.memoryMb ?? 128,
    Timeout: 30,
  }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const cfg = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (cfg.State === 'Active' || cfg.State === undefined) return;
    if (cfg.State === 'Failed') throw new Error(`${name} failed to create: ${cfg.StateReason}`);
    if (Date.now() > deadline) throw new Error(`${name} still ${cfg.State} after 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function deleteFunction(client: LambdaClient, name: string): Promise<void> {
  await client.send(new DeleteFunctionCommand({ FunctionName: name })).catch(() => {});
}

async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), path, { mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An IAM user allowed exactly lambda:InvokeFunction on one function, for the authorization-cost row. */
export async function createInvokerUser(server: FlintReady, functionName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const iam = new IAMClient({ endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, maxAttempts: 1 });
  try {
    const name = `bench-invoker-${Date.now()}`;
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(new PutUserPolicyCommand({
      UserName: name,
      PolicyName: 'invoke',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:${server.region}:000000000000:function:${functionName}` }] }),
    }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  } finally {
    iam.destroy();
  }
}

/** A NONE function URL for `functionName`, open to everyone (as `add-permission --function-url-auth-type NONE`); returns its url id. */
export async function createPublicUrl(client: LambdaClient, functionName: string): Promise<string> {
  const created = await client.send(new CreateFunctionUrlConfigCommand({ FunctionName: functionName, AuthType: 'NONE' }));
  await client.send(new AddPermissionCommand({ FunctionName: functionName, StatementId: 'public-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
  return new URL(created.FunctionUrl!).hostname.split('.')[0]!;
}
