import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand } from '@aws-sdk/client-lambda';
import { until } from '../helpers/until.js';
import { ACCOUNT, MIN, advance, aws, clock, fnArn, h, received, skip } from './schedule-cli-fixture.js';

/**
 * Scheduler and EventBridge scheduled rules end to end with Debian's AWS CLI v2 against a real
 * Flint whose clock the test moves (a fixed start plus an offset; each pass is run with
 * `schedules.runDue()`). Functions append each event they receive to a marks file.
 */
test('aws events: put-rule rate(1 minute) + put-targets → the exact Scheduled Event, through the resource policy', { skip }, async () => {
  const rule = await aws('events', ['put-rule', '--name', 'tick', '--schedule-expression', 'rate(1 minute)']);
  const ruleArn = `arn:aws:events:us-east-1:${ACCOUNT}:rule/tick`;
  assert.equal(rule.RuleArn, ruleArn);
  await h.client.send(new AddPermissionCommand({ FunctionName: 'rule-fn', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: ruleArn }));
  // rule-denied has a permission for another rule only: EventBridge may not invoke it for `tick`.
  await h.client.send(new AddPermissionCommand({ FunctionName: 'rule-denied', StatementId: 'events', Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/other` }));
  const put = await aws('events', ['put-targets', '--rule', 'tick', '--targets', `Id=1,Arn=${fnArn('rule-fn')}`, `Id=2,Arn=${fnArn('rule-denied')}`]);
  assert.deepEqual(put, { FailedEntryCount: 0, FailedEntries: [] });
  const described = await aws('events', ['describe-rule', '--name', 'tick']);
  assert.deepEqual(described, { Name: 'tick', Arn: ruleArn, ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', EventBusName: 'default', CreatedBy: ACCOUNT });
  assert.deepEqual((await aws('events', ['list-targets-by-rule', '--rule', 'tick'])).Targets, [{ Id: '1', Arn: fnArn('rule-fn') }, { Id: '2', Arn: fnArn('rule-denied') }]);

  const failures = h.app.schedules.delivery.failures.length;
  const tickAt = clock.now() + MIN;
  await advance(MIN);
  await until(() => received('rule-fn').length === 1);
  const event = received('rule-fn')[0];
  assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(JSON.stringify(event), JSON.stringify({
    version: '0', id: event.id, 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT,
    time: new Date(Math.floor(tickAt / 1000) * 1000).toISOString().replace('.000Z', 'Z'), region: 'us-east-1', resources: [ruleArn], detail: {},
  }));
  assert.equal(received('rule-denied').length, 0);
  assert.equal(h.app.schedules.delivery.failures.length, failures + 1, 'the denied target is a failed invocation');

  // Input and InputPath.
  await aws('events', ['put-targets', '--rule', 'tick', '--targets', JSON.stringify([{ Id: '1', Arn: fnArn('rule-fn'), Input: '{"custom":1}' }, { Id: '3', Arn: `${fnArn('rule-fn')}:$LATEST`, InputPath: '$.resources' }])]);
  await aws('events', ['remove-targets', '--rule', 'tick', '--ids', '2']);
  await advance(MIN);
  await until(() => received('rule-fn').length === 3);
  const latest = received('rule-fn').slice(1);
  assert.ok(latest.some((e) => JSON.stringify(e) === '{"custom":1}'));
  assert.ok(latest.some((e) => JSON.stringify(e) === JSON.stringify([ruleArn])));

  // Disabled: no ticks.
  await aws('events', ['disable-rule', '--name', 'tick']);
  assert.equal((await aws('events', ['describe-rule', '--name', 'tick'])).State, 'DISABLED');
  await advance(2 * MIN);
  assert.equal(received('rule-fn').length, 3);
  assert.deepEqual((await aws('events', ['list-rules', '--name-prefix', 'ti'])).Rules.map((r: any) => [r.Name, r.State]), [['tick', 'DISABLED']]);

  await assert.rejects(aws('events', ['delete-rule', '--name', 'tick']), /ValidationException.*Rule can't be deleted since it has targets\./);
  await aws('events', ['remove-targets', '--rule', 'tick', '--ids', '1', '3']);
  await aws('events', ['delete-rule', '--name', 'tick']);
  await assert.rejects(aws('events', ['describe-rule', '--name', 'tick']), /ResourceNotFoundException.*Rule tick does not exist on EventBus default\./);
});

test('aws events: invalid schedule expressions and patterns are refused', { skip }, async () => {
  for (const expr of ['cron(0 12 * * ?)', 'rate(1 minutes)', 'at(2026-07-01T00:00:00)', 'cron(* * * * * *)']) {
    await assert.rejects(aws('events', ['put-rule', '--name', 'bad', '--schedule-expression', expr]), /ValidationException.*Parameter ScheduleExpression is not valid\./, expr);
  }
  await assert.rejects(aws('events', ['put-rule', '--name', 'bad']), /ValidationException/);
  await assert.rejects(aws('events', ['put-rule', '--name', 'bad', '--event-pattern', '{not json']), /InvalidEventPatternException/);
  // A pattern rule is stored (it never matches: Flint has no event sources on the bus).
  await aws('events', ['put-rule', '--name', 'pattern', '--event-pattern', '{"source":["my.app"]}']);
  assert.equal((await aws('events', ['describe-rule', '--name', 'pattern'])).EventPattern, '{"source":["my.app"]}');
  await aws('events', ['delete-rule', '--name', 'pattern']);
  await assert.rejects(aws('events', ['put-targets', '--rule', 'missing', '--targets', `Id=1,Arn=${fnArn('rule-fn')}`]), /ResourceNotFoundException.*Rule missing does not exist on EventBus default\./);
});
