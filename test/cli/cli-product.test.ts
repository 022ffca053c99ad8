import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The `flint` command as a user runs it (bin/flint.js → dist/, so `npm run build` first), against
 * a real server: exact output lines and exit codes, including the failures issue 14 lists.
 */
const BIN = resolve('bin/flint.js');
let root: string;
let dataDir: string;
let server: ChildProcess;
let endpoint: string;
let creds: { accessKeyId: string; secretAccessKey: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs flint with a clean environment: nothing from the test runner's AWS_* or FLINT_* leaks in. */
function flint(args: string[], o: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const env: Record<string, string> = { PATH: process.env['PATH']!, HOME: root, ...o.env };
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
    p.stdin.end(o.input ?? '');
  });
}

/** A client command run from the project folder (its ./.flint is the server's data dir). */
const local = (args: string[], o: { env?: Record<string, string>; input?: string } = {}) => flint(args, { cwd: root, env: { FLINT_ENDPOINT: endpoint, ...o.env }, input: o.input });

function fnFolder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [f, body] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), body);
  }
  return dir;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'flint-cli-product-'));
  dataDir = join(root, '.flint');
  server = spawn(process.execPath, [BIN, 'server', '--port', '0'], { cwd: root, env: { PATH: process.env['PATH']!, HOME: root, FLINT_SANDBOX: 'process' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  endpoint = await new Promise<string>((ok, fail) => {
    server.stdout!.on('data', (c: Buffer) => {
      seen += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) ok(m[1]!);
    });
    server.once('exit', (code) => fail(new Error(`server exited ${code}: ${seen}`)));
  });
  creds = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as typeof creds;
});

after(() => {
  if (server.exitCode === null) server.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

test('cli: --version prints the version; --help of every command ends with examples', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  assert.deepEqual(await flint(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
  const commands = ['', 'server', 'env', 'deploy', 'invoke', 'logs', 'functions', 'functions list', 'functions get', 'functions delete', 'generate-event', 'keys', 'keys status', 'keys rotate', 'history', 'usage', 'audit', 'audit verify', 'audit list', 'audit public-key', 'dev', 'console'];
  for (const c of commands) {
    const r = await flint([...c.split(' ').filter(Boolean), '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, /\nExamples:\n  (flint|eval|curl) /, `flint ${c} --help has examples`);
  }
});

test('cli: options are validated by the parser: one error line, a pointer to --help, exit code 2, nothing sent', async () => {
  const dir = fnFolder('valid', { 'index.js': 'exports.handler = async () => 1;' });
  const cases: Array<[string[], string]> = [
    [['--memory', 'abc'], "error: option '--memory <mb>' argument 'abc' is invalid. Expected a whole number of MB from 128 to 10240."],
    [['--memory', '64'], "error: option '--memory <mb>' argument '64' is invalid. Lambda allows 128 to 10240 MB."],
    [['--timeout', '901'], "error: option '--timeout <s>' argument '901' is invalid. Lambda allows 1 to 900 seconds."],
    [['--env', 'FOO'], "error: option '--env <KEY=VALUE>' argument 'FOO' is invalid. Expected KEY=VALUE, e.g. --env STAGE=dev."],
    [['--env', '1X=2'], "error: option '--env <KEY=VALUE>' argument '1X=2' is invalid. '1X' is not a Lambda environment variable name: a letter, then letters, digits or _ (at least 2 characters)."],
    [['--runtime', 'java21'], "error: option '--runtime <runtime>' argument 'java21' is invalid. Flint cannot run java21: it runs nodejs*.x on the host's Node.js, python3.* on its python3, and provided.al2/provided.al2023 (your own bootstrap)."],
    [['--output', 'yaml'], "error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are text, json."],
  ];
  for (const [args, line] of cases) {
    const r = await local(['deploy', dir, ...args]);
    // --output is the program's own option: its pointer is to `flint --help`.
    const help = args[0] === '--output' ? 'flint --help' : 'flint deploy --help';
    assert.deepEqual(r, { code: 2, stdout: '', stderr: `${line}\n(${help} shows usage and examples)\n` }, args.join(' '));
  }
  const unknown = await local(['deploy', dir, '--runtime', 'nodejs99.x']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: option '--runtime <runtime>' argument 'nodejs99\.x' is invalid\. Not a Lambda runtime\. Flint runs: nodejs\d+\.x, .*provided\.al2023, python3\.\d+.*\.\n/);
  // (A missing --env-file is reported by Node 20 itself, which checks `--env-file` anywhere in argv.)
  writeFileSync(join(root, 'bad.env'), 'OK_NAME=1\n1BAD=x\n');
  const badFile = await local(['deploy', dir, '--env-file', join(root, 'bad.env')]);
  assert.deepEqual(badFile, { code: 2, stdout: '', stderr: `error: option '--env-file <file>' argument '${join(root, 'bad.env')}' is invalid. ${join(root, 'bad.env')}: '1BAD' is not a Lambda environment variable name.\n(flint deploy --help shows usage and examples)\n` });
  const newer = `nodejs${Number(process.versions.node.split('.')[0]) + 2}.x`;
  const host = await local(['deploy', dir, '--runtime', newer]);
  assert.deepEqual(host, {
    code: 2,
    stdout: '',
    stderr: `error: this host cannot run ${newer}: Flint runs Node.js functions on the host's Node.js, which is v${process.versions.node}.\nUse --runtime nodejs${process.versions.node.split('.')[0]}.x, or install Node.js ${newer.slice(6, -2)} for the server\n`,
  });
});

test('cli: FLINT_PORT=abc is an error, not a server on 9000', async () => {
  const r = await flint(['server'], { env: { FLINT_PORT: 'abc' }, cwd: mkdtempSync(join(root, 'port-')) });
  assert.deepEqual(r, { code: 1, stdout: '', stderr: "error: FLINT_PORT must be a port number (0-65535), got 'abc'\n" });
  const flag = await flint(['server', '--port', 'abc']);
  assert.equal(flag.code, 2);
  assert.equal(flag.stderr.split('\n')[0], "error: option '--port <port>' argument 'abc' is invalid. Expected a port number from 0 to 65535.");
});

test('cli: from another folder a client finds no credentials, says where to get them and creates none', async () => {
  const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
  const r = await flint(['functions', 'list'], { cwd: elsewhere, env: { FLINT_ENDPOINT: endpoint } });
  assert.deepEqual(r, {
    code: 1,
    stdout: '',
    stderr:
      'error: no credentials for Flint: .flint has no credentials.json. Run this where `flint server` keeps its data, point FLINT_DATA_DIR at it,\n' +
      'or pass --profile / set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`flint env` on the server prints them)\n',
  });
  const env = await flint(['env'], { cwd: elsewhere });
  assert.deepEqual(env, { code: 1, stdout: '', stderr: 'error: no credentials in .flint: `flint server` creates them on its first start; run this where it keeps its data, or point FLINT_DATA_DIR / --data-dir at it\n' });
  const keys = await flint(['keys', 'rotate'], { cwd: elsewhere });
  assert.deepEqual(keys, { code: 1, stdout: '', stderr: `error: no data directory at ${join(elsewhere, '.flint')}: \`flint server\` creates it on its first start\n` });
  assert.equal(existsSync(join(elsewhere, '.flint')), false, 'no ./.flint was created');
  // FLINT_DATA_DIR names the server's data dir: the same command works from anywhere.
  const named = await flint(['functions', 'list'], { cwd: elsewhere, env: { FLINT_ENDPOINT: endpoint, FLINT_DATA_DIR: dataDir } });
  assert.equal(named.code, 0, named.stderr);
});

test('cli: credentials the server does not know, and a server that is not there, are each one plain error', async () => {
  const other = mkdtempSync(join(root, 'other-'));
  mkdirSync(join(other, '.flint'));
  writeFileSync(join(other, '.flint', 'credentials.json'), JSON.stringify({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) }));
  const wrong = await flint(['functions', 'list'], { cwd: other, env: { FLINT_ENDPOINT: endpoint } });
  assert.deepEqual(wrong, {
    code: 1,
    stdout: '',
    stderr: `error: the server at ${endpoint} does not accept access key AKIAAAAAAAAAAAAAAAAA (from .flint/credentials.json).\nUse that server's credentials: \`flint env\` on its host prints them, or point FLINT_DATA_DIR at its data directory\n`,
  });
  const down = await local(['functions', 'list', '--endpoint', 'http://127.0.0.1:1']);
  assert.deepEqual(down, { code: 1, stdout: '', stderr: 'error: cannot reach Flint at http://127.0.0.1:1 (ECONNREFUSED): start it with `flint server`, or point --endpoint / AWS_ENDPOINT_URL at a running one\n' });
  const debug = await local(['functions', 'list', '--endpoint', 'http://127.0.0.1:1', '--debug']);
  assert.match(debug.stderr, /^error: cannot reach Flint .*\n.*ECONNREFUSED[\s\S]*\n    at /, '--debug adds the stack trace');
});

test('cli: deploy refuses a data directory, a master key and links leaving the folder, naming the path', async () => {
  const withData = fnFolder('with-data', { 'index.js': 'exports.handler = async () => 1;', 'state/flint.db': '', 'state/master.key': 'ab' });
  assert.deepEqual(await local(['deploy', withData]), {
    code: 1,
    stdout: '',
    stderr: 'error: refusing to package state/flint.db: state is a Flint data directory (master key, credentials); move it out of the function folder or add it to .flintignore\n',
  });
  const linked = fnFolder('linked', { 'index.js': 'exports.handler = async () => 1;' });
  symlinkSync(join(root, '.flint', 'credentials.json'), join(linked, 'creds.json'));
  assert.deepEqual(await local(['deploy', linked]), {
    code: 1,
    stdout: '',
    stderr: `error: refusing to package creds.json: it links to ${join(root, '.flint', 'credentials.json')}, outside ${linked}; copy it into the folder or add it to .flintignore\n`,
  });
});

test('cli: deploy packages what the function needs, prints its guess, skips unchanged code, publishes and moves an alias', async () => {
  const dir = fnFolder('greeter', {
    'package.json': '{"name":"greeter","main":"src/handler.js"}',
    'src/handler.js': "const dep = require('../node_modules/dep'); exports.handler = async (e) => ({ hi: e.name ?? 'you', dep: dep.v, stage: process.env.STAGE, region: process.env.REGION_X });\n",
    'node_modules/.pnpm/dep@1/node_modules/dep/index.js': 'module.exports = { v: 1 };',
    '.git/HEAD': 'ref: refs/heads/main',
    '.env': 'SECRET=do-not-ship',
    '.flint/master.key': 'ab',
    '.flint/credentials.json': '{}',
    'notes.swp': '',
  });
  symlinkSync('.pnpm/dep@1/node_modules/dep', join(dir, 'node_modules', 'dep'));
  writeFileSync(join(root, 'greeter.env'), 'REGION_X=eu\nSTAGE=from-file\n');
  const runtime = `nodejs${process.versions.node.split('.')[0]}.x`;
  const first = await local(['deploy', dir, '--env', 'STAGE=dev', '--env-file', join(root, 'greeter.env'), '--memory', '256', '--timeout', '10']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr, `using name greeter (the folder's name); pass --name to choose\nusing runtime ${runtime} and handler src/handler.handler (from package.json "main"); pass --runtime/--handler to choose\n`);
  assert.match(first.stdout, /^deployed arn:aws:lambda:us-east-1:000000000000:function:greeter \(created, \d+ bytes, CodeSha256 \S{44}, State Active\)\n$/);

  const got = JSON.parse((await local(['functions', 'get', 'greeter', '--output', 'json'])).stdout) as { Configuration: { Environment: { Variables: Record<string, string> }; MemorySize: number; Timeout: number; Handler: string; CodeSha256: string } };
  assert.deepEqual(got.Configuration.Environment.Variables, { REGION_X: 'eu', STAGE: 'dev' }, '--env wins over --env-file');
  assert.deepEqual([got.Configuration.MemorySize, got.Configuration.Timeout, got.Configuration.Handler], [256, 10, 'src/handler.handler']);

  const invoked = await local(['invoke', 'greeter', '--payload', '{"name":"Ada"}']);
  assert.equal(invoked.code, 0, invoked.stderr);
  assert.equal(invoked.stdout, '{"hi":"Ada","dep":1,"stage":"dev","region":"eu"}\n', 'the pnpm-style symlinked dependency was packaged');
  assert.match(invoked.stderr, /\nrequest [0-9a-f-]{36}: status 200, duration [\d.]+ ms, version \$LATEST\n$/);

  const again = await local(['deploy', dir, '--env', 'STAGE=dev', '--env-file', join(root, 'greeter.env'), '--memory', '256', '--timeout', '10']);
  assert.equal(again.stdout, `unchanged arn:aws:lambda:us-east-1:000000000000:function:greeter (CodeSha256 ${got.Configuration.CodeSha256}; nothing to deploy)\n`);

  writeFileSync(join(dir, '.env'), 'SECRET=changed'); // ignored: still unchanged
  assert.match((await local(['deploy', dir, '--name', 'greeter', '--env', 'STAGE=dev', '--env-file', join(root, 'greeter.env'), '--memory', '256', '--timeout', '10'])).stdout, /^unchanged /);

  writeFileSync(join(dir, 'src/extra.js'), '// new file\n');
  const published = await local(['deploy', dir, '--env', 'STAGE=prod', '--publish', '--alias', 'live']);
  assert.equal(published.code, 0, published.stderr);
  const lines = published.stdout.split('\n');
  assert.match(lines[0]!, /^deployed arn:aws:lambda:us-east-1:000000000000:function:greeter \(updated, /);
  assert.equal(lines[1], 'published version 1');
  assert.equal(lines[2], 'alias live → version 1 (arn:aws:lambda:us-east-1:000000000000:function:greeter:live)');
  const viaAlias = await local(['invoke', 'greeter', '--qualifier', 'live', '--output', 'json']);
  const answer = JSON.parse(viaAlias.stdout) as { StatusCode: number; ExecutedVersion: string; Payload: { stage: string }; RequestId: string };
  assert.deepEqual([answer.StatusCode, answer.ExecutedVersion, answer.Payload.stage], [200, '1', 'prod']);
  assert.match(answer.RequestId, /^[0-9a-f-]{36}$/);
});

test('cli: a big archive gets a progress line', async () => {
  const dir = fnFolder('big', { 'index.js': 'exports.handler = async () => "big";' });
  writeFileSync(join(dir, 'blob.bin'), randomBytes(5 * 1024 * 1024));
  const r = await local(['deploy', dir, '--runtime', 'nodejs20.x', '--handler', 'index.handler']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^packaged 2 files, 5\.0 MB, into a 5\.0 MB archive\n/m);
});

test('cli: invoke takes --payload inline, file:// and - (stdin), checks it is JSON, and exits 1 on a function error', async () => {
  const dir = fnFolder('echo', { 'index.mjs': "export const handler = async (e) => { if (e.fail) throw new Error('asked to fail'); return e; };" });
  assert.equal((await local(['deploy', dir])).code, 0);
  writeFileSync(join(root, 'event.json'), '{"from":"file"}');
  assert.equal((await local(['invoke', 'echo', '--payload', `file://${join(root, 'event.json')}`])).stdout, '{"from":"file"}\n');
  assert.equal((await local(['invoke', 'echo', '-'], { input: '{"from":"stdin"}' })).stdout, '{"from":"stdin"}\n');
  assert.equal((await local(['invoke', 'echo', '--payload', '-'], { input: '{"from":"stdin2"}' })).stdout, '{"from":"stdin2"}\n');
  const bad = await local(['invoke', 'echo', '--payload', '{nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: the payload is not JSON \(.*\); Lambda takes a JSON event: --payload '\{"key":"value"\}' or file:\/\/event\.json\n$/);
  const failed = await local(['invoke', 'echo', '--payload', '{"fail":true}']);
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /"errorMessage":"asked to fail"/);
  assert.match(failed.stderr, /\nrequest [0-9a-f-]{36}: status 200, function error Unhandled, duration [\d.]+ ms, version \$LATEST\n$/);
  const missing = await local(['invoke', 'nope']);
  assert.deepEqual(missing, { code: 1, stdout: '', stderr: `error: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope:$LATEST (at ${endpoint}; \`flint functions list\` shows what is there)\n` });
});

test('cli: functions list prints a plain table when piped and JSON with --output json; get and delete', async () => {
  const dir = fnFolder('listed', { 'app.py': 'def lambda_handler(e, c):\n    return 1\n' });
  assert.equal((await local(['deploy', dir, '--runtime', 'python3.11'])).code, 0);
  const list = await local(['functions', 'list']);
  assert.equal(list.code, 0);
  const rows = list.stdout.trimEnd().split('\n');
  assert.match(rows[0]!, /^NAME +RUNTIME +HANDLER +MEMORY +TIMEOUT +LAST MODIFIED$/, 'no colour codes when piped');
  assert.match(list.stdout, /^listed +python3\.11 +app\.lambda_handler +128 MB +3 s +\d{4}-/m);
  const json = JSON.parse((await local(['functions', 'list', '-o', 'json'])).stdout) as { Functions: Array<{ FunctionName: string }> };
  assert.ok(json.Functions.some((f) => f.FunctionName === 'listed'));
  assert.match((await local(['functions', 'get', 'listed'])).stdout, /^Runtime: +python3\.11$/m);
  assert.deepEqual(await local(['functions', 'delete', 'listed']), { code: 0, stdout: 'deleted listed\n', stderr: '' });
  const gone = await local(['functions', 'delete', 'listed']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, `error: Function not found: arn:aws:lambda:us-east-1:000000000000:function:listed (at ${endpoint}; \`flint functions list\` shows what is there)\n`);
});

test('cli: logs go through the Logs API: an unknown function is an error, --since/--filter/--output json work, and from another host with AWS_* settings', async () => {
  const dir = fnFolder('talker', { 'index.js': "exports.handler = async (e) => { console.log('said', e.word); console.error('ERROR bad', e.word); return 1; };" });
  assert.equal((await local(['deploy', dir])).code, 0);
  const quiet = await local(['logs', 'talker']);
  assert.deepEqual(quiet, { code: 0, stdout: '', stderr: 'no log events for talker\n' });
  await local(['invoke', 'talker', '--payload', '{"word":"alpha"}']);
  const missing = await local(['logs', 'nobody']);
  assert.deepEqual(missing, { code: 1, stdout: '', stderr: `error: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nobody (at ${endpoint}; \`flint functions list\` shows what is there)\n` });
  const filtered = await local(['logs', 'talker', '--since', '10m', '--filter', 'said']);
  assert.equal(filtered.code, 0);
  assert.match(filtered.stdout, /^\S+\t[0-9a-f-]{36}\tINFO\tsaid alpha\n$/);
  const json = (await local(['logs', 'talker', '--filter', 'REPORT', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; logStreamName: string });
  assert.equal(json.length, 1);
  assert.match(json[0]!.message, /^REPORT RequestId: /);
  // As a remote machine would: no data dir, the endpoint and keys from the environment.
  const remote = await flint(['logs', 'talker', '--filter', 'said'], { cwd: mkdtempSync(join(root, 'remote-')), env: { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_REGION: 'us-east-1' } });
  assert.equal(remote.code, 0, remote.stderr);
  assert.equal(remote.stdout, filtered.stdout);
});

test('cli: --profile reads ~/.aws/credentials and config (endpoint_url too); a missing profile is named', async () => {
  const aws = join(root, 'aws-files');
  mkdirSync(aws, { recursive: true });
  writeFileSync(join(aws, 'credentials'), `[flint]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`);
  writeFileSync(join(aws, 'config'), `[profile flint]\nregion = us-east-1\nendpoint_url = ${endpoint}\n`);
  const env = { AWS_SHARED_CREDENTIALS_FILE: join(aws, 'credentials'), AWS_CONFIG_FILE: join(aws, 'config') };
  const cwd = mkdtempSync(join(root, 'profile-'));
  const r = await flint(['functions', 'list', '--profile', 'flint'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^greeter /m);
  assert.deepEqual(await flint(['functions', 'list', '--profile', 'nope'], { cwd, env }), {
    code: 1,
    stdout: '',
    stderr: "error: profile 'nope' is not in ~/.aws/credentials or ~/.aws/config; add it (aws configure --profile nope) or pass another --profile\n",
  });
});

test('cli: no third-party warnings on stderr (the AWS SDK warns about Node < 22 unless told not to)', async () => {
  const r = await local(['functions', 'list']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
});

test('cli: generate-event prints AWS-format events that pipe into invoke', async () => {
  const dir = fnFolder('mirror', { 'index.mjs': 'export const handler = async (e) => e;' });
  assert.equal((await local(['deploy', dir])).code, 0);
  const sqs = await flint(['generate-event', 'sqs', '--body', '{"orderId":42}', '--name', 'orders']);
  assert.equal(sqs.code, 0, sqs.stderr);
  const event = JSON.parse(sqs.stdout) as { Records: Array<Record<string, unknown>> };
  const rec = event.Records[0]!;
  assert.deepEqual(Object.keys(rec), ['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion']);
  assert.deepEqual(Object.keys(rec['attributes'] as object), ['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp']);
  assert.equal(rec['md5OfBody'], createHash('md5').update('{"orderId":42}').digest('hex'));
  assert.deepEqual([rec['body'], rec['eventSource'], rec['eventSourceARN'], rec['md5OfMessageAttributes']], ['{"orderId":42}', 'aws:sqs', 'arn:aws:sqs:us-east-1:000000000000:orders', null]);
  const echoed = await local(['invoke', 'mirror', '-'], { input: sqs.stdout });
  assert.deepEqual(JSON.parse(echoed.stdout), event);

  const schedule = JSON.parse((await flint(['generate-event', 'schedule', '--name', 'nightly'])).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(schedule), ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
  assert.deepEqual([schedule['detail-type'], schedule['source'], schedule['resources'], schedule['detail']], ['Scheduled Event', 'aws.events', ['arn:aws:events:us-east-1:000000000000:rule/nightly'], {}]);
  assert.match(String(schedule['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);

  const url = JSON.parse((await flint(['generate-event', 'function-url', '--name', '/orders?dry=1', '--body', '{"id":1}'])).stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(url), ['version', 'routeKey', 'rawPath', 'rawQueryString', 'headers', 'queryStringParameters', 'requestContext', 'body', 'isBase64Encoded']);
  assert.deepEqual([url['version'], url['rawPath'], url['queryStringParameters'], url['requestContext'].http.method, url['body'], url['isBase64Encoded']], ['2.0', '/orders', { dry: '1' }, 'POST', '{"id":1}', false]);

  const bus = JSON.parse((await flint(['generate-event', 'eventbridge', '--name', 'com.example.shop', '--detail-type', 'Order Placed', '--body', '{"id":1}'])).stdout) as Record<string, unknown>;
  assert.deepEqual([bus['source'], bus['detail-type'], bus['detail']], ['com.example.shop', 'Order Placed', { id: 1 }]);

  assert.deepEqual(await flint(['generate-event', 'kinesis']), { code: 2, stdout: '', stderr: "error: no sample for 'kinesis': flint generate-event knows sqs, schedule, eventbridge, function-url\n" });
});
