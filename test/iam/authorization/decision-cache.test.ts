import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionCache } from '../../../src/iam/authorization/decision-cache.js';
import { ArnTemplate } from '../../../src/iam/authorization/arn-template.js';

test('decision cache: a hit needs the same identity and resource-policy revisions', () => {
  const c = new DecisionCache<string>();
  c.set('k', 1, 'r1', 'Allow');
  assert.equal(c.get('k', 1, 'r1'), 'Allow');
  assert.equal(c.get('k', 2, 'r1'), undefined, 'identity revision changed');
  assert.equal(c.get('k', 1, 'r2'), undefined, 'resource policy revision changed');
  assert.equal(c.get('k', 1, undefined), undefined, 'resource policy removed');
});

test('decision cache: a newer decision replaces the entry for its key', () => {
  const c = new DecisionCache<string>();
  c.set('k', 1, undefined, 'Allow');
  c.set('k', 2, undefined, 'ImplicitDeny');
  assert.equal(c.get('k', 2, undefined), 'ImplicitDeny');
  assert.equal(c.size, 1);
});

test('decision cache: bounded — past capacity the oldest entry goes', () => {
  const c = new DecisionCache<string>(2);
  c.set('a', 1, undefined, 'A');
  c.set('b', 1, undefined, 'B');
  c.set('c', 1, undefined, 'C');
  assert.equal(c.size, 2);
  assert.equal(c.get('a', 1, undefined), undefined);
  assert.equal(c.get('c', 1, undefined), 'C');
});

test('arn template: fills variables in order and reports an unfillable one', () => {
  const t = new ArnTemplate('arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}');
  assert.deepEqual(t.variables, ['Partition', 'Region', 'Account', 'FunctionName']);
  const vars: Record<string, string> = { Partition: 'aws', Region: 'us-east-1', Account: '1', FunctionName: 'f' };
  assert.equal(t.fill((v) => vars[v]), 'arn:aws:lambda:us-east-1:1:function:f');
  assert.equal(t.fill((v) => (v === 'FunctionName' ? undefined : vars[v])), undefined);
  assert.equal(new ArnTemplate('*').fill(() => undefined), '*');
});
