import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { STSClient, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { FileMasterKeyring } from '../../src/store/file-master-keyring.js';

const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');

const HANDLER = `
exports.handler = async (e) => {
  console.log('handling', JSON.stringify(e));
  if (e.fail) throw new Error('planned failure');
  if (e.token) return { token: process.env.AWS_SESSION_TOKEN };
  return { ok: true, names: Object.keys(process.env).filter((k) => k.startsWith('APP_')) };
};`;

/** Every file under `dir` (the data dir's logs), as text. */
function readTree(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...readTree(p));
    else if (st.isFile()) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

/** The secrets of one scenario and every output it produced. */
interface Scenario {
  secrets: Record<string, string>;
  outputs: Record<string, string>;
  /** Answers that return a secret to the caller entitled to it (Lambda returns the variables to whoever may read the function). */
  entitled?: Record<string, string[]>;
}

async function scenario(h: Harness, serverLog: string[]): Promise<Scenario> {
  const planted1 = `planted-${randomBytes(12).toString('hex')}`;
  const planted2 = `planted-${randomBytes(12).toString('hex')}`;
  const outputs: Record<string, string> = {};
  const keysBefore = JSON.parse(readFileSync(join(h.dataDir, 'master-keys.json'), 'utf8')) as { keys: Array<{ id: number; key: string }> };
  const put = (k: string, v: unknown) => { outputs[k] = (outputs[k] ?? '') + (typeof v === 'string' ? v : JSON.stringify(v)) + '\n'; };
  const zip = await makeZip({ 'index.js': HANDLER });
  put('create', await h.client.send(new CreateFunctionCommand({ FunctionName: 'leaky', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { APP_DB_PASSWORD: planted1 } } })));
  await waitSettled(h.client, 'leaky');
  const ok = await h.client.send(new InvokeCommand({ FunctionName: 'leaky', LogType: 'Tail', Payload: Buffer.from('{"n":1}') }));
  put('invoke', Buffer.from(ok.Payload!).toString());
  put('invoke tail', Buffer.from(ok.LogResult!, 'base64').toString());
  // The environment's role session token (read from inside, kept out of the outputs).
  const tokenOut = await h.client.send(new InvokeCommand({ FunctionName: 'leaky', Payload: Buffer.from('{"token":true}') }));
  const sessionToken = (JSON.parse(Buffer.from(tokenOut.Payload!).toString()) as { token: string }).token;
  assert.ok(sessionToken && sessionToken.length > 20, 'the function saw a session token');

  put('update', await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'leaky', Environment: { Variables: { APP_DB_PASSWORD: planted2 } } })));
  await waitSettled(h.client, 'leaky');
  put('update code', await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'leaky', ZipFile: await makeZip({ 'index.js': HANDLER + '\n// v2' }) })));
  await waitSettled(h.client, 'leaky');
  put('get', await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'leaky' })));
  const failed = await h.client.send(new InvokeCommand({ FunctionName: 'leaky', LogType: 'Tail', Payload: Buffer.from('{"fail":true}') }));
  assert.equal(failed.FunctionError, 'Unhandled');
  put('failed invoke', Buffer.from(failed.Payload!).toString());
  put('failed tail', Buffer.from(failed.LogResult!, 'base64').toString());
  // Refused control-plane calls carrying a secret value.
  try {
    await h.client.send(new CreateFunctionCommand({ FunctionName: 'leaky-2', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { '1-not-a-name': planted2 } } }));
  } catch (err) {
    put('refused create', `${(err as Error).name}: ${(err as Error).message}`);
  }
  try {
    await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'leaky', Timeout: 0, Environment: { Variables: { APP_DB_PASSWORD: planted2 } } }));
  } catch (err) {
    put('refused update', `${(err as Error).name}: ${(err as Error).message}`);
  }

  // An STS session's token.
  const sts = new STSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  let stsToken: string | undefined;
  try {
    stsToken = (await sts.send(new GetSessionTokenCommand({}))).Credentials?.SessionToken;
  } catch (err) {
    put('sts refused', (err as Error).message);
  }
  sts.destroy();

  put('metrics', await (await fetch(`${h.endpoint}/metrics`)).text());
  put('audit', h.app.audit.list({ limit: 10_000 }));
  // The full CloudTrail records (request parameters, response elements, identities) and digests.
  const trailDb = new Database(join(h.dataDir, 'flint.db'), { readonly: true });
  put('audit records', trailDb.prepare('SELECT record, signature FROM audit_events').all());
  trailDb.close();

  const env = { ...process.env, FLINT_ENDPOINT: h.endpoint, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
  for (const args of [['invoke', 'leaky', '{"n":2}'], ['logs', 'leaky'], ['keys', 'status'], ['keys', 'rotate', '--wait']]) {
    const r = await run(process.execPath, ['--import', 'tsx', MAIN, ...args, '--data-dir', h.dataDir], { env }).catch((err: { stdout: string; stderr: string }) => err);
    put(`flint ${args.join(' ')}`, r.stdout + r.stderr);
  }
  outputs['data dir logs'] = readTree(join(h.dataDir, 'log-groups')).join('\n');
  outputs['server log'] = serverLog.join('\n');

  // A plaintext data key of the stored code, opened here with the data dir's keyring.
  const db = new Database(join(h.dataDir, 'flint.db'), { readonly: true });
  const row = db.prepare('SELECT sha256, wrapped_key FROM code_objects LIMIT 1').get() as { sha256: string; wrapped_key: Buffer };
  db.close();
  const dataKey = FileMasterKeyring.open({ kind: 'data-dir', dataDir: h.dataDir }).unwrap(row.wrapped_key, `flint code object ${row.sha256}`);
  const keysAfter = JSON.parse(readFileSync(join(h.dataDir, 'master-keys.json'), 'utf8')) as { keys: Array<{ id: number; key: string }> };

  const secrets: Record<string, string> = {
    'environment value (created)': planted1,
    'environment value (updated)': planted2,
    'code data key (hex)': dataKey.toString('hex'),
    'code data key (base64)': dataKey.toString('base64'),
    'environment session token': sessionToken,
    'root secret': TEST_CREDENTIALS.secretAccessKey,
    ...Object.fromEntries([...keysBefore.keys, ...keysAfter.keys].map((k) => [`master key ${k.id}`, k.key])),
  };
  if (stsToken) secrets['STS session token'] = stsToken;
  process.stdout.write('# secrets checked: ' + Object.keys(secrets).join(', ') + '\n');
  const values = ['environment value (created)', 'environment value (updated)'];
  return { secrets, outputs, entitled: { create: values, update: values, 'update code': values, get: values } };
}

function leaks(s: Scenario): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(s.outputs)) {
    for (const [what, secret] of Object.entries(s.secrets)) {
      if (s.entitled?.[where]?.includes(what)) continue;
      if (text.includes(secret)) found.push(`${what} in ${where}`);
    }
  }
  return found;
}

/** The output of a CreateFunction refused for a bad variable name (its values are sensitive). */
const REFUSED = 'refused create';
let h: Harness;
let s: Scenario;
before(async () => {
  const serverLog: string[] = [];
  h = await startHarness({}, { log: (line) => serverLog.push(line) });
  s = await scenario(h, serverLog);
});
after(async () => { await h?.stop(); });

test('no secret leaks: environment values, data keys, session tokens, master keys and the root secret appear in no log, audit record, error, /metrics or flint output', () => {
  assert.ok(Object.values(s.outputs).join('').length > 5000, 'the scenario produced output to search');
  assert.match(s.outputs['invoke tail']!, /handling/, 'logs were collected');
  assert.match(s.outputs['failed tail']!, /planned failure/, 'the failure was collected');
  assert.match(s.outputs['flint keys rotate --wait']!, /master key 2 is current/);
  assert.match(s.outputs['get']!, /planted-/, 'entitled answers are exempt, not absent');
  assert.deepEqual(leaks(s), []);
});

test('no secret leaks: a validation error does not echo an environment variable value (AWS omits the values of sensitive members)', () => {
  assert.match(s.outputs[REFUSED]!, /ValidationException|InvalidParameterValueException/);
  assert.deepEqual(leaks(s).filter((l) => l.endsWith(` in ${REFUSED}`)), []);
});

test('no secret leaks: the check finds a secret that does leak', () => {
  const s: Scenario = { secrets: { 'root secret': 'abc-secret-123' }, outputs: { 'server log': 'flint: oops abc-secret-123' } };
  assert.deepEqual(leaks(s), ['root secret in server log']);
});
