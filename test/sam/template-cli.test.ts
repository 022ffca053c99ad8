import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

/** `flint deploy --template` as a user runs it: exact output lines, one-line errors, exit codes. */
const MAIN = resolve('src/cli/main.ts');
// Resolved here: the CLI runs with the template's folder as its working directory.
const TSX = import.meta.resolve('tsx');
let h: Harness;
let dir: string;

function flint(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        FLINT_ENDPOINT: h.endpoint,
        FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        FLINT_DATA_DIR: join(dir, 'no-data-dir'),
        // The SDK's Node-version notice is the CLI's to silence (issue 14 item 1), not this test's subject.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    }, (err, stdout, stderr) => done({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
  });
}

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
const GOOD = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Size:
    Type: Number
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: nodejs20.x
      Handler: index.handler
      MemorySize: !Ref Size
`;

before(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'flint-sam-cli-'));
  mkdirSync(join(dir, 'fn'));
  writeFileSync(join(dir, 'fn/index.js'), 'exports.handler = async () => 1;\n');
});
after(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('cli: deploy --template --dry-run prints the plan and exits 0; then deploys', async () => {
  write('template.yaml', GOOD);
  const dry = await flint(['deploy', '--template', 'template.yaml', '--stack-name', 'cli', '--parameter-overrides', 'Size=256', '--dry-run']);
  assert.equal(dry.stderr, '');
  assert.equal(dry.stdout, [
    'Plan for stack cli (template.yaml):',
    '  + create AWS::IAM::Role ApiRole cli-ApiRole',
    '  + create AWS::Serverless::Function Api cli-Api',
    'Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged, 0 skipped.',
    '',
  ].join('\n'));
  assert.equal(dry.code, 0);
  const real = await flint(['deploy', '--template', 'template.yaml', '--stack-name', 'cli', '--parameter-overrides', 'Size=256']);
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /^created role cli-ApiRole$/m);
  assert.match(real.stdout, /^created function cli-Api$/m);
  assert.match(real.stdout, /^Deployed stack cli\.$/m);
});

test('cli: template problems are one line on stderr and exit code 2, nothing changed', async () => {
  const cases: Array<[string, string, string[]]> = [
    ['bad.yaml', 'Resources:\n  A: [1\n  B: 2\n', ['error: bad.yaml:3:3: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    ['tag.yaml', 'Resources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: !Reff x\n', ['error: tag.yaml:5:16: Unresolved tag: !Reff']],
    ['empty.yaml', 'Description: nothing\n', ['error: empty.yaml: the template has no Resources']],
    ['template.yaml', GOOD, ['error: Parameters.Size: no value; pass --parameter-overrides Size=<value>']],
    ['s3.yaml', 'Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s3://bucket/key.zip\n      Runtime: nodejs20.x\n      Handler: index.handler\n',
      ['error: Resources.F.Properties.CodeUri: s3://bucket/key.zip: Flint deploys code from a local folder relative to the template; it does not fetch from S3']],
    ['ref.yaml', 'Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Runtime: nodejs20.x\n      Handler: !Ref Nope\n',
      ['error: Resources.F.Properties.Handler.Ref: Ref Nope: no such parameter or resource']],
    ['missing.yaml', '', ['error: missing.yaml: cannot read the template']],
  ];
  for (const [file, text, stderr] of cases) {
    if (file !== 'missing.yaml') write(file, text);
    const r = await flint(['deploy', '--template', file, '--stack-name', 'bad']);
    assert.deepEqual(r.stderr.trimEnd().split('\n'), stderr, file);
    assert.equal(r.code, 2, file);
    assert.equal(r.stdout, '', file);
  }
});

test('cli: an API refusal while deploying is one line and exit code 1', async () => {
  write('runtime.yaml', 'Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: fn/\n      Runtime: nodejs99.x\n      Handler: index.handler\n      Role: arn:aws:iam::000000000000:role/lambda-role\n');
  const r = await flint(['deploy', '--template', 'runtime.yaml', '--stack-name', 'api']);
  assert.equal(r.code, 1);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: InvalidParameterValueException: Value nodejs99\.x at 'runtime' failed to satisfy constraint: /);
});

test('cli: an unreachable server is one line naming the endpoint, exit code 1; a bad template is still reported without one', async () => {
  write('template.yaml', GOOD);
  const r = await flint(['deploy', '--template', 'template.yaml', '--parameter-overrides', 'Size=128', '--endpoint', 'http://127.0.0.1:1']);
  assert.equal(r.stderr, 'error: cannot reach Flint at http://127.0.0.1:1 (ECONNREFUSED); start it with `flint server` or pass --endpoint\n');
  assert.equal(r.code, 1);
  const bad = await flint(['deploy', '--template', 'template.yaml', '--endpoint', 'http://127.0.0.1:1']);
  assert.equal(bad.stderr, 'error: Parameters.Size: no value; pass --parameter-overrides Size=<value>\n');
  assert.equal(bad.code, 2);
});

test('cli: a function without Runtime/Handler gets the packaging guess, said under the plan; a folder holding a Flint data directory is refused (exit 2)', async () => {
  write('infer.yaml', 'Resources:\n  Guess:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n');
  const r = await flint(['deploy', '--template', 'infer.yaml', '--stack-name', 'inf', '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Guess: using runtime nodejs\d+\.x and handler index\.handler \(from index\.js\); pass --runtime\/--handler to choose$/m);

  mkdirSync(join(dir, 'leaky/data'), { recursive: true });
  writeFileSync(join(dir, 'leaky/index.js'), 'exports.handler = async () => 1;\n');
  writeFileSync(join(dir, 'leaky/data/flint.db'), '');
  writeFileSync(join(dir, 'leaky/data/credentials.json'), '{}');
  write('leaky.yaml', 'Resources:\n  Leaky:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: leaky/\n      Runtime: nodejs20.x\n      Handler: index.handler\n');
  const bad = await flint(['deploy', '--template', 'leaky.yaml', '--stack-name', 'leak']);
  assert.equal(bad.stderr, 'error: refusing to package data/credentials.json: data is a Flint data directory (master key, credentials); move it out of the function folder or add it to .flintignore\n');
  assert.equal(bad.code, 2);
});
