import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerClient, CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { eventually } from './harness.js';
import { fc, skip, wired, revive, LEASE_MS, MARGIN_MS, sleep } from './fault-suite.js';
import { scheduleFirings, sqsDelivery } from './invariants.js';

/** Fault test: the leader killed (CLUSTER.md S7); the cluster: ./fault-suite.ts. */

test('S7: kill the leader: one new term, no one-time schedule fires twice (nor is missed), no acknowledged SQS message lost', { skip, timeout: 115_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  const arn = await f.deployProbe('s7');
  const leader = async () => (await f.sql<{ holder: string; term: string; address: string }>(`SELECT l.holder, l.term::text AS term, m.address FROM leader_leases l JOIN members m ON m.id = l.holder WHERE l.expires_at > now()`))[0];
  assert.ok(await eventually(async () => (await leader()) !== undefined, 15_000), 'a leader holds the lease');
  const before = (await leader())!;
  const node = f.cluster.nodes.find((n) => before.address.startsWith(`${n.ip}:`))!;
  assert.ok(node, `the leader ${before.holder} is a node of this cluster`);
  const creds = JSON.parse(readFileSync(join(f.cluster.clusterDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const other = f.cluster.nodes.find((n) => n.role === 'api' && n.name !== node.name)!;
  const scheduler = new SchedulerClient({ endpoint: other.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  // Scheduler assumes the target's role: it must trust scheduler.amazonaws.com and allow the invoke.
  const iam = new IAMClient({ endpoint: other.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const role = (await iam.send(new CreateRoleCommand({ RoleName: 's7-scheduler', AssumeRolePolicyDocument: JSON.stringify(trust) }))).Role!.Arn!;
  await iam.send(new PutRolePolicyCommand({ RoleName: 's7-scheduler', PolicyName: 'invoke', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arn }] }) }));
  iam.destroy();
  const t0 = Math.ceil(Date.now() / 1000) * 1000;
  const names = [6, 10, 14, 18, 22, 26].map((s) => `s7-at-${s}`);
  for (const [k, name] of names.entries()) {
    const at = new Date(t0 + (6 + 4 * k) * 1000).toISOString().slice(0, 19);
    await scheduler.send(new CreateScheduleCommand({
      Name: name, ScheduleExpression: `at(${at})`, ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: arn, RoleArn: role, Input: JSON.stringify({ id: name, schedule: name }) },
    }));
  }
  // SQS (docs/cluster.md): the leader serves the queues; sends through the other api node are
  // forwarded to it, and sent on through the kill and the takeover. No retries: a send counts as
  // acknowledged only on its own 200.
  const sqs = new SQSClient({ endpoint: other.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 's7-orders' }))).QueueUrl!;
  let sending = true;
  let sent = 0;
  const senders = [0, 1, 2].map(async () => {
    while (sending) {
      const id = `s7-msg-${sent++}`;
      const op = await f.history.record('sqs-send', id, other.name, async () => {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: id }));
        return { status: 200 };
      });
      if (op.outcome !== 'ok') await sleep(100);
    }
  });
  await sleep(Math.max(0, t0 + 8_000 - Date.now()));
  f.history.fault(`kill -9 leader ${node.name}`);
  const killedAt = Date.now();
  f.cluster.hosts.kill(node.name);
  assert.ok(await eventually(async () => { const l = await leader(); return l !== undefined && l.holder !== before.holder; }, LEASE_MS * 3 + MARGIN_MS), 'a new leader took over');
  const afterKill = (await leader())!;
  assert.equal(Number(afterKill.term), Number(before.term) + 1, 'exactly one new term');
  // Every send the queues acknowledged, before the kill or after, is received from the new leader.
  await eventually(() => sqsDelivery(f.history.ops, new Set(), killedAt).acceptedAfter >= 20, 20_000, 200);
  sending = false;
  await Promise.all(senders);
  const received = new Set<string>();
  const expected = () => sqsDelivery(f.history.ops, received, killedAt);
  await eventually(async () => {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })).catch(() => ({ Messages: [] }));
    for (const m of r.Messages ?? []) received.add(m.Body!);
    if (r.Messages?.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: r.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) })).catch(() => undefined);
    return expected().lost.length === 0;
  }, 30_000, 0);
  const delivery = expected();
  const refused = f.history.ops.filter((o) => o.kind === 'sqs-send' && o.outcome !== 'ok').length;
  t.diagnostic(`SQS: ${delivery.accepted} sends acknowledged (${delivery.acceptedBefore} before the kill, ${delivery.acceptedAfter} after), ${refused} refused or unanswered, ${received.size} distinct received, ${delivery.lost.length} lost`);
  sqs.destroy();
  assert.ok(delivery.acceptedBefore > 0 && delivery.acceptedAfter > 0, `sends acknowledged on both sides of the kill: ${JSON.stringify(delivery)}`);
  assert.deepEqual(delivery.lost, [], `acknowledged SQS messages lost (${delivery.accepted} acknowledged): ${f.history.summary()}`);
  await eventually(() => scheduleFirings(f.history.reports(), names).missing.length === 0, Math.max(0, t0 + 26_000 - Date.now()) + 20_000, 500);
  await sleep(3_000); // a late duplicate would show here
  assert.deepEqual(scheduleFirings(f.history.reports(), names), { missing: [], twice: [] });
  scheduler.destroy();
  await revive(node.name);
});
