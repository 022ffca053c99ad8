import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentStateMachine, IllegalTransitionError } from '../../src/invoke/environment-state.js';

test('environment-state: the normal life is Starting → Ready ⇄ Invoking → Stopping → Stopped', () => {
  const seen: string[] = [];
  const m = new EnvironmentStateMachine('env-1', (from, to) => seen.push(`${from}>${to}`));
  for (const s of ['Ready', 'Invoking', 'Ready', 'Invoking', 'Stopping', 'Stopped'] as const) m.to(s);
  assert.deepEqual(seen, ['Starting>Ready', 'Ready>Invoking', 'Invoking>Ready', 'Ready>Invoking', 'Invoking>Stopping', 'Stopping>Stopped']);
});

test('environment-state: illegal transitions throw and change nothing', () => {
  const m = new EnvironmentStateMachine('env-2');
  assert.throws(() => m.to('Invoking'), (err: unknown) => err instanceof IllegalTransitionError && /Starting → Invoking/.test((err as Error).message));
  assert.equal(m.state, 'Starting');
  m.to('Failed');
  assert.throws(() => m.to('Ready'), IllegalTransitionError);
  assert.ok(m.ending);
  m.to('Stopping');
  m.to('Stopped');
  assert.throws(() => m.to('Stopping'), IllegalTransitionError);
  assert.equal(m.can('Ready'), false);
});
