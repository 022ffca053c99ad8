import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runShutdownSteps } from '../../src/app/shutdown-steps.js';

test('shutdown: a step that fails (a database that is down) is logged, the later steps still run, and the failures are thrown together', async () => {
  const ran: string[] = [];
  const logged: string[] = [];
  const down = new Error('PostgreSQL is not answering');
  await assert.rejects(
    runShutdownSteps([
      ['api listener', () => { ran.push('api'); }],
      ['audit trail', () => { ran.push('audit'); throw down; }],
      ['execution environments', async () => { ran.push('environments'); }],
      ['stores', async () => { ran.push('stores'); throw new Error('close failed'); }],
    ], (l) => logged.push(l)),
    (err: unknown) => err instanceof AggregateError && err.errors.length === 2 && err.errors[0] === down,
  );
  assert.deepEqual(ran, ['api', 'audit', 'environments', 'stores']);
  assert.deepEqual(logged, ['flint: stopping: audit trail failed: PostgreSQL is not answering', 'flint: stopping: stores failed: close failed']);
  await runShutdownSteps([['only', () => undefined]], () => assert.fail('nothing to log'));
});
