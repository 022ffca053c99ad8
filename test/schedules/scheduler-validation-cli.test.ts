import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, aws, clock, fnArn, skip } from './schedule-cli-fixture.js';

/**
 * Scheduler and EventBridge scheduled rules end to end with Debian's AWS CLI v2 against a real
 * Flint whose clock the test moves (a fixed start plus an offset; each pass is run with
 * `schedules.runDue()`). Functions append each event they receive to a marks file.
 */
test('aws scheduler: invalid expressions, zones, windows and names are refused with ValidationException; groups', { skip }, async () => {
  const target = JSON.stringify({ Arn: fnArn('sched-fn'), RoleArn: `arn:aws:iam::${ACCOUNT}:role/scheduler-role` });
  const create = (name: string, expr: string, extra: string[] = []) => aws('scheduler', ['create-schedule', '--name', name, '--schedule-expression', expr, '--flexible-time-window', 'Mode=OFF', '--target', target, ...extra]);
  for (const expr of ['cron(* * * * * *)', 'cron(0 12 * * ?)', 'rate(1 minutes)', 'rate(0 hours)', 'at(2026-02-30T00:00:00)', 'every 5 minutes']) {
    await assert.rejects(create('bad', expr), (e: Error) => e.message.includes('ValidationException') && e.message.includes(`Invalid Schedule Expression ${expr}.`), expr);
  }
  await assert.rejects(create('bad', 'rate(5 minutes)', ['--schedule-expression-timezone', 'Mars/Olympus']), /ValidationException.*Invalid ScheduleExpressionTimezone Mars\/Olympus\./);
  await assert.rejects(aws('scheduler', ['create-schedule', '--name', 'bad', '--schedule-expression', 'rate(5 minutes)', '--flexible-time-window', 'Mode=FLEXIBLE', '--target', target]), /ValidationException/);
  await assert.rejects(create('bad name', 'rate(5 minutes)'), /ValidationException/);
  await assert.rejects(create('bad', 'rate(5 minutes)', ['--group-name', 'nogroup']), /ResourceNotFoundException.*Schedule group nogroup does not exist\./);
  await create('dupe', 'cron(0 12 ? * MON-FRI *)', ['--schedule-expression-timezone', 'Europe/Paris']);
  await assert.rejects(create('dupe', 'rate(5 minutes)'), /ConflictException.*Schedule dupe already exists\./);

  const g = await aws('scheduler', ['create-schedule-group', '--name', 'team', '--tags', 'Key=owner,Value=ops']);
  assert.equal(g.ScheduleGroupArn, `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule-group/team`);
  await create('in-team', 'rate(5 minutes)', ['--group-name', 'team']);
  assert.equal((await aws('scheduler', ['get-schedule', '--name', 'in-team', '--group-name', 'team'])).GroupName, 'team');
  await assert.rejects(aws('scheduler', ['get-schedule', '--name', 'in-team']), /ResourceNotFoundException/);
  assert.deepEqual((await aws('scheduler', ['list-schedules', '--group-name', 'team'])).Schedules.map((s: any) => s.Name), ['in-team']);
  assert.deepEqual((await aws('scheduler', ['list-schedule-groups'])).ScheduleGroups.map((x: any) => [x.Name, x.State]), [['default', 'ACTIVE'], ['team', 'ACTIVE']]);
  assert.deepEqual((await aws('scheduler', ['list-tags-for-resource', '--resource-arn', g.ScheduleGroupArn])).Tags, [{ Key: 'owner', Value: 'ops' }]);
  await aws('scheduler', ['delete-schedule-group', '--name', 'team']);
  await assert.rejects(aws('scheduler', ['get-schedule-group', '--name', 'team']), /ResourceNotFoundException/);
  assert.deepEqual((await aws('scheduler', ['list-schedules'])).Schedules.map((s: any) => s.Name), ['dupe'], 'the group took its schedules with it');
  // Pagination.
  for (const n of ['p1', 'p2', 'p3']) await create(n, 'rate(5 minutes)');
  const page = await aws('scheduler', ['list-schedules', '--name-prefix', 'p', '--max-results', '2', '--no-paginate']);
  assert.equal(page.Schedules.length, 2);
  const rest = await aws('scheduler', ['list-schedules', '--name-prefix', 'p', '--max-results', '2', '--no-paginate', '--next-token', page.NextToken]);
  assert.deepEqual([...page.Schedules, ...rest.Schedules].map((s: any) => s.Name), ['p1', 'p2', 'p3']);
  assert.equal(rest.NextToken, undefined);
  for (const n of ['p1', 'p2', 'p3', 'dupe']) await aws('scheduler', ['delete-schedule', '--name', n]);
});
