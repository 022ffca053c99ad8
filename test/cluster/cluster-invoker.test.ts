import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterInvoker } from '../../src/cluster/cluster-invoker.js';
import type { InvokeRequest, InvokeResult } from '../../src/ports/invoker.js';

test('cluster invoker: the version the api resolved (an alias\'s weighted draw) goes with the request, drawn once', async () => {
  const sent: InvokeRequest[] = [];
  let draws = 0;
  const invoker = new ClusterInvoker({
    remote: { invoke: async (req) => { sent.push(req); return { statusCode: 200 } as InvokeResult; } },
    targetOf: (functionName, qualifier) => {
      draws++;
      assert.deepEqual([functionName, qualifier], ['canary', 'live']);
      return { functionName, version: '2', timeoutMs: 3000 };
    },
    accountLimit: 1000,
    committed: () => 0,
  });
  await invoker.invoke({ functionName: 'canary', qualifier: 'live', payload: Buffer.from('{}') });
  assert.equal(draws, 1);
  assert.deepEqual(sent.map((r) => [r.functionName, r.qualifier, r.version]), [['canary', 'live', '2']]);
});
