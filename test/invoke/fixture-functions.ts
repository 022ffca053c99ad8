import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, type CreateFunctionCommandInput, InvokeCommand, type InvokeCommandInput, type InvokeCommandOutput, type Runtime } from '@aws-sdk/client-lambda';
import { TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';

export type FixtureRuntime = 'nodejs' | 'python' | 'provided';

const FIXTURES = fileURLToPath(new URL('../fixtures/functions/', import.meta.url));

/** The Lambda runtime id and default handler each fixture family is deployed with. */
export const RUNTIME: Record<FixtureRuntime, { id: string; handler: string }> = {
  nodejs: { id: 'nodejs20.x', handler: 'index.handler' },
  python: { id: 'python3.12', handler: 'handler.handler' },
  provided: { id: 'provided.al2023', handler: 'function.handler' },
};

/** Zips `test/fixtures/functions/<scenario>/<runtime>/`, keeping executable bits (bootstrap files). */
export async function fixtureZip(scenario: string, runtime: FixtureRuntime, extra: Record<string, string | { data: string; mode: number }> = {}): Promise<Buffer> {
  const root = join(FIXTURES, scenario, runtime);
  const files: Record<string, { data: Buffer | string; mode: number }> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else files[relative(root, p)] = { data: readFileSync(p), mode: s.mode & 0o111 ? 0o100755 : 0o100644 };
    }
  };
  walk(root);
  for (const [k, v] of Object.entries(extra)) files[k] = typeof v === 'string' ? { data: v, mode: 0o100644 } : v;
  return makeZip(files);
}

export interface DeployOptions {
  name: string;
  scenario: string;
  runtime: FixtureRuntime;
  handler?: string;
  runtimeId?: string;
  timeout?: number;
  memory?: number;
  env?: Record<string, string>;
  zip?: Buffer;
  publish?: boolean;
  /** LoggingConfig (LogFormat, levels, LogGroup). */
  logging?: { LogFormat?: 'JSON' | 'Text'; ApplicationLogLevel?: string; SystemLogLevel?: string; LogGroup?: string };
}

/** Creates a fixture function and waits until it is Active (Lambda refuses to invoke it before). */
export async function deploy(h: Harness, o: DeployOptions): Promise<void> {
  await h.client.send(
    new CreateFunctionCommand({
      FunctionName: o.name,
      Runtime: (o.runtimeId ?? RUNTIME[o.runtime].id) as Runtime,
      Role: TEST_ROLE,
      Handler: o.handler ?? RUNTIME[o.runtime].handler,
      Code: { ZipFile: o.zip ?? (await fixtureZip(o.scenario, o.runtime)) },
      ...(o.timeout !== undefined ? { Timeout: o.timeout } : {}),
      ...(o.memory !== undefined ? { MemorySize: o.memory } : {}),
      ...(o.env ? { Environment: { Variables: o.env } } : {}),
      ...(o.publish ? { Publish: true } : {}),
      ...(o.logging ? { LoggingConfig: o.logging as CreateFunctionCommandInput['LoggingConfig'] } : {}),
    }),
  );
  await waitActive(h, o.name);
}

export async function waitActive(h: Harness, name: string, qualifier?: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: name, ...(qualifier ? { Qualifier: qualifier } : {}) }));
    if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name} did not become Active`);
}

/** Invokes with a JSON payload. */
export function invoke(h: Harness, name: string, event: unknown = {}, extra: Partial<InvokeCommandInput> = {}): Promise<InvokeCommandOutput> {
  return h.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), ...extra }));
}

/** The response payload parsed as JSON. */
export function body(r: InvokeCommandOutput): any {
  return JSON.parse(Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8'));
}

/** The decoded X-Amz-Log-Result. */
export function tail(r: InvokeCommandOutput): string {
  return Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');
}
