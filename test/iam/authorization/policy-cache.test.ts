import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyCache } from '../../../src/iam/authorization/policy-cache.js';

const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] });

test('policy cache: one text is parsed once per kind', () => {
  const c = new PolicyCache();
  const a = c.parse(text, 'identity');
  assert.equal(c.parse(text, 'identity'), a);
  assert.equal(c.size, 1);
});

test('policy cache: the same text read as another kind is parsed under that kind\'s rules', () => {
  const c = new PolicyCache();
  c.parse(text, 'identity');
  assert.throws(() => c.parse(text, 'trust'), /Principal/); // a trust policy must name a Principal
  assert.equal(c.size, 1);
});

test('policy cache: bounded — when full it starts over', () => {
  const c = new PolicyCache(2);
  for (const a of ['lambda:GetFunction', 'lambda:ListFunctions', 'lambda:InvokeFunction']) {
    c.parse(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: a, Resource: '*' }] }), 'identity');
  }
  assert.equal(c.size, 1);
});
