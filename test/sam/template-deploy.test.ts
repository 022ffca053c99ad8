import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, GetFunctionCommand, GetFunctionUrlConfigCommand, GetPolicyCommand, InvokeCommand, ListLayerVersionsCommand } from '@aws-sdk/client-lambda';
import { GetRoleCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { stackClients, type StackClients } from '../../src/cli/sam/stack-clients.js';
import { deployTemplate } from '../../src/cli/sam/template-deploy.js';

/**
 * A SAM template with two functions, a layer and a schedule, deployed end to end against a real
 * Flint through the signed APIs: plan lines, apply, the schedule firing the function that uses the
 * layer, an unchanged redeploy, a change, and --prune.
 */
const MIN = 60_000;
const clock = { base: Date.now() - 5 * MIN, offset: 0, now() { return this.base + this.offset; }, monotonic: () => performance.now() };

let h: Harness;
let c: StackClients;
let dir: string;
let marks: string;

const TEMPLATE = (marksFile: string, extra = '') => `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 10
    Environment:
      Variables:
        STAGE: !Ref Stage
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [nodejs20.x]
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: index.handler
      MemorySize: !If [IsProd, 512, 256]
      Layers: [!Ref SharedLayer]
      Environment:
        Variables:
          GREETING: !Sub "hello from \${AWS::StackName}"
      Events:
        Api:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tick/
      Handler: index.handler
      Layers: [!Ref SharedLayer]
      Policies:
        - LambdaInvokePolicy:
            FunctionName: !Ref HelloFunction
      Environment:
        Variables:
          MARK_FILE: ${marksFile}
          TARGET: !GetAtt HelloFunction.Arn
      Events:
        Every:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 minute)
            Input: '{"from":"schedule"}'
  Table:
    Type: AWS::DynamoDB::Table
${extra}`;

before(async () => {
  h = await startHarness({}, { clock });
  c = stackClients({ endpoint: h.endpoint, region: 'us-east-1', accountId: '000000000000', credentials: TEST_CREDENTIALS });
  dir = mkdtempSync(join(tmpdir(), 'flint-sam-'));
  marks = join(dir, 'marks.jsonl');
  mkdirSync(join(dir, 'layer/nodejs/node_modules/greet'), { recursive: true });
  writeFileSync(join(dir, 'layer/nodejs/node_modules/greet/index.js'), 'exports.greet = (s) => `greet:${s}`;\n');
  mkdirSync(join(dir, 'hello'));
  writeFileSync(join(dir, 'hello/index.js'), "const { greet } = require('greet');\nexports.handler = async () => ({ msg: greet(process.env.GREETING), stage: process.env.STAGE });\n");
  mkdirSync(join(dir, 'tick'));
  writeFileSync(join(dir, 'tick/index.js'), "const fs = require('node:fs');\nconst { greet } = require('greet');\nexports.handler = async (event) => { fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ event, g: greet('t'), target: process.env.TARGET }) + '\\n'); };\n");
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE(marks));
});
after(async () => {
  c?.destroy();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function deploy(opts: { dryRun?: boolean; prune?: boolean; parameterOverrides?: string[] } = {}): Promise<string[]> {
  const lines: string[] = [];
  await deployTemplate({ template: join(dir, 'template.yaml'), stackName: 'demo', ...opts }, c, (l) => lines.push(l));
  return lines;
}

test('sam: --dry-run prints the exact plan and changes nothing', async () => {
  const lines = await deploy({ dryRun: true });
  assert.deepEqual(lines, [
    'Plan for stack demo (template.yaml):',
    '  + create AWS::Serverless::LayerVersion SharedLayer demo-SharedLayer (version 1)',
    '  + create AWS::IAM::Role HelloFunctionRole demo-HelloFunctionRole',
    '  + create AWS::IAM::Role TickFunctionRole demo-TickFunctionRole',
    '  + create AWS::IAM::Role FlintSchedulerRole demo-FlintSchedulerRole',
    '  + create AWS::Serverless::Function HelloFunction demo-HelloFunction',
    '  + create AWS::Serverless::Function TickFunction demo-TickFunction',
    '  + create AWS::Lambda::Url HelloFunctionUrl demo-HelloFunction (routes GET /hello → function URL (it serves every path))',
    '  + create AWS::Lambda::Permission HelloFunctionUrlPublicPermissions demo-HelloFunction demo-HelloFunctionUrlPublicPermissions',
    '  + create AWS::Scheduler::Schedule (ScheduleV2) TickFunction.Every demo/TickFunction-Every',
    '  . skip   AWS::DynamoDB::Table Table (Flint does not create AWS::DynamoDB::Table resources)',
    'Plan: 9 to create, 0 to update, 0 to delete, 0 unchanged, 1 skipped.',
  ]);
  await assert.rejects(h.client.send(new GetFunctionCommand({ FunctionName: 'demo-HelloFunction' })), { name: 'ResourceNotFoundException' });
});

test('sam: deploy creates exactly the resources; the functions run with the layer; the schedule fires', async () => {
  const lines = await deploy();
  assert.equal(lines.at(-1), 'Deployed stack demo.');
  assert.ok(lines.includes('created function demo-HelloFunction'));
  assert.ok(lines.includes('published layer arn:aws:lambda:us-east-1:000000000000:layer:demo-SharedLayer:1'));

  const hello = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-HelloFunction' }));
  assert.equal(hello.MemorySize, 256, 'Fn::If on the IsProd condition (Stage=dev)');
  assert.equal(hello.Timeout, 10, 'Globals');
  assert.deepEqual(hello.Environment?.Variables, { STAGE: 'dev', GREETING: 'hello from demo' }, 'Globals maps merge; Fn::Sub with a pseudo parameter');
  assert.deepEqual(hello.Layers?.map((l) => l.Arn), ['arn:aws:lambda:us-east-1:000000000000:layer:demo-SharedLayer:1']);
  assert.equal(hello.Role, 'arn:aws:iam::000000000000:role/demo-HelloFunctionRole');
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'demo-HelloFunction' }));
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { msg: 'greet:hello from demo', stage: 'dev' });

  const tags = (await h.client.send(new GetFunctionCommand({ FunctionName: 'demo-TickFunction' }))).Tags;
  assert.deepEqual(tags, { 'flint:stack': 'demo', 'flint:logical-id': 'TickFunction' });
  const policies = await c.iam.send(new ListRolePoliciesCommand({ RoleName: 'demo-TickFunctionRole' }));
  assert.deepEqual(policies.PolicyNames, ['TickFunctionRolePolicy0']);
  const url = await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'demo-HelloFunction' }));
  assert.equal(url.AuthType, 'NONE');
  const policy = JSON.parse((await h.client.send(new GetPolicyCommand({ FunctionName: 'demo-HelloFunction' }))).Policy!);
  assert.equal(policy.Statement[0].Sid, 'demo-HelloFunctionUrlPublicPermissions');
  // The HttpApi route GET /hello is served by the function URL (path form: /lambda-url/<id>/<path>).
  const urlId = new URL(url.FunctionUrl!).hostname.split('.')[0];
  const res = await fetch(`${h.endpoint}/lambda-url/${urlId}/hello`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { msg: 'greet:hello from demo', stage: 'dev' });

  const schedule = await c.scheduler.send(new GetScheduleCommand({ Name: 'TickFunction-Every', GroupName: 'demo' }));
  assert.equal(schedule.ScheduleExpression, 'rate(1 minute)');
  assert.equal(schedule.Target?.Arn, 'arn:aws:lambda:us-east-1:000000000000:function:demo-TickFunction');
  assert.equal(schedule.Target?.RoleArn, 'arn:aws:iam::000000000000:role/demo-FlintSchedulerRole');
  for (let i = 0; i < 3 && !existsSync(marks); i++) {
    clock.offset += MIN;
    await h.app.schedules.runDue();
    for (let j = 0; j < 100 && !existsSync(marks); j++) await new Promise((r) => setTimeout(r, 20));
  }
  const fired = readFileSync(marks, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(fired[0], { event: { from: 'schedule' }, g: 'greet:t', target: 'arn:aws:lambda:us-east-1:000000000000:function:demo-HelloFunction' });
});

test('sam: a second deploy of the same template changes nothing', async () => {
  const lines = await deploy();
  assert.equal(lines.at(-2), 'Plan: 0 to create, 0 to update, 0 to delete, 9 unchanged, 1 skipped.');
  assert.equal(lines.at(-1), 'Nothing to change.');
  assert.ok(lines.includes('  = same   AWS::Serverless::LayerVersion SharedLayer demo-SharedLayer:1'));
});

test('sam: a parameter override and a code change update only what changed', async () => {
  writeFileSync(join(dir, 'hello/index.js'), "exports.handler = async () => ({ v: 2, stage: process.env.STAGE });\n");
  const lines = await deploy({ parameterOverrides: ['Stage=prod'] });
  assert.ok(lines.includes('  ~ update AWS::Serverless::Function HelloFunction demo-HelloFunction (code, MemorySize, Environment)'), lines.join('\n'));
  assert.ok(lines.includes('  ~ update AWS::Serverless::Function TickFunction demo-TickFunction (Environment)'));
  assert.ok(lines.includes('Plan: 0 to create, 2 to update, 0 to delete, 7 unchanged, 1 skipped.'));
  const hello = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-HelloFunction' }));
  assert.equal(hello.MemorySize, 512);
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'demo-HelloFunction' }));
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { v: 2, stage: 'prod' });
});

test('sam: what left the template is listed as stale, and deleted with --prune', async () => {
  // TickFunction (its role, schedule and the scheduler role with it) and the layer leave the template.
  const text = TEMPLATE(marks)
    .replace(/  TickFunction:[\s\S]*?(?=  Table:)/, '')
    .replace(/  SharedLayer:[\s\S]*?(?=  HelloFunction:)/, '')
    .replace('      Layers: [!Ref SharedLayer]\n', '');
  writeFileSync(join(dir, 'template.yaml'), text);
  const stale = await deploy({ dryRun: true, parameterOverrides: ['Stage=prod'] });
  assert.ok(stale.includes('  ! stale  AWS::Lambda::Function TickFunction demo-TickFunction (not in the template; --prune deletes it)'), stale.join('\n'));

  const lines = await deploy({ prune: true, parameterOverrides: ['Stage=prod'] });
  assert.ok(lines.includes('  - delete AWS::Lambda::Function TickFunction demo-TickFunction (not in the template)'), lines.join('\n'));
  assert.ok(lines.includes('  - delete AWS::IAM::Role TickFunctionRole demo-TickFunctionRole (not in the template)'));
  assert.ok(lines.includes('  - delete AWS::IAM::Role FlintSchedulerRole demo-FlintSchedulerRole (not in the template)'));
  assert.ok(lines.includes('  - delete AWS::Lambda::LayerVersion SharedLayer demo-SharedLayer (not in the template)'));
  assert.ok(lines.includes('  - delete AWS::Scheduler::Schedule TickFunction-Every demo/TickFunction-Every (not in the template)'));
  await assert.rejects(h.client.send(new GetFunctionCommand({ FunctionName: 'demo-TickFunction' })), { name: 'ResourceNotFoundException' });
  await assert.rejects(c.iam.send(new GetRoleCommand({ RoleName: 'demo-TickFunctionRole' })), { name: 'NoSuchEntityException' });
  await assert.rejects(c.scheduler.send(new GetScheduleCommand({ Name: 'TickFunction-Every', GroupName: 'demo' })), { name: 'ResourceNotFoundException' });
  assert.deepEqual((await h.client.send(new ListLayerVersionsCommand({ LayerName: 'demo-SharedLayer' }))).LayerVersions, []);
  // The function that stayed is untouched by the prune.
  assert.equal((await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'demo-HelloFunction' }))).Layers, undefined);
});

test('sam: an SQS queue and an SQS event become a queue and an event source mapping; removing the event deletes the mapping', async () => {
  const qdir = mkdtempSync(join(tmpdir(), 'flint-sam-sqs-'));
  mkdirSync(join(qdir, 'worker'));
  writeFileSync(join(qdir, 'worker/index.js'), 'exports.handler = async () => ({ batchItemFailures: [] });\n');
  const withEvent = (events: string) => `Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: worker/
      Runtime: nodejs20.x
      Handler: index.handler
      Environment:
        Variables:
          QUEUE_URL: !Ref Jobs
${events}`;
  const events = `      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 5
`;
  writeFileSync(join(qdir, 'template.yaml'), withEvent(events));
  const run = async (prune = false) => {
    const lines: string[] = [];
    await deployTemplate({ template: join(qdir, 'template.yaml'), stackName: 'jobs', prune }, c, (l) => lines.push(l));
    return lines;
  };
  try {
    const first = await run();
    assert.ok(first.includes('  + create AWS::SQS::Queue Jobs jobs-Jobs'), first.join('\n'));
    assert.ok(first.includes('  + create AWS::Lambda::EventSourceMapping Worker.Work jobs-Worker ← arn:aws:sqs:us-east-1:000000000000:jobs-Jobs'));
    const { ListEventSourceMappingsCommand } = await import('@aws-sdk/client-lambda');
    const mappings = (await h.client.send(new ListEventSourceMappingsCommand({ FunctionName: 'jobs-Worker' }))).EventSourceMappings!;
    assert.deepEqual(mappings.map((m) => [m.EventSourceArn, m.BatchSize]), [['arn:aws:sqs:us-east-1:000000000000:jobs-Jobs', 5]]);
    const env = (await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'jobs-Worker' }))).Environment?.Variables;
    assert.equal(env?.['QUEUE_URL'], `${h.endpoint}/000000000000/jobs-Jobs`);
    assert.ok((await c.iam.send(new ListRolePoliciesCommand({ RoleName: 'jobs-WorkerRole' }))).PolicyNames!.includes('WorkerRoleSQSPolicy'));

    writeFileSync(join(qdir, 'template.yaml'), withEvent(''));
    const second = await run(true);
    assert.ok(second.includes('  - delete AWS::Lambda::EventSourceMapping - jobs-Worker ← arn:aws:sqs:us-east-1:000000000000:jobs-Jobs (not in the template)'), second.join('\n'));
    assert.deepEqual((await h.client.send(new ListEventSourceMappingsCommand({ FunctionName: 'jobs-Worker' }))).EventSourceMappings, []);
  } finally {
    rmSync(qdir, { recursive: true, force: true });
  }
});
