import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { deploy, invoke } from '../invoke/fixture-functions.js';

let h: Harness;
before(async () => { h = await startHarness({ prewarmPerRuntime: 0 }); });
after(async () => { await h.stop(); });

async function scrape(): Promise<string> {
  const res = await fetch(`${h.endpoint}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

test('metrics: /metrics counts invocations by start type, errors, throttles and billed time', async () => {
  await deploy(h, { name: 'm-echo', scenario: 'echo', runtime: 'nodejs' });
  await invoke(h, 'm-echo', { a: 1 });
  await invoke(h, 'm-echo', { a: 2 });
  await deploy(h, { name: 'm-err', scenario: 'error', runtime: 'nodejs' });
  await invoke(h, 'm-err', {});
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'm-echo', ReservedConcurrentExecutions: 0 }));
  await assert.rejects(invoke(h, 'm-echo', {}), /Rate Exceeded/);

  const text = await scrape();
  const count = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  assert.equal(count(/^flint_invocations_total\{function_name="m-echo",version="\$LATEST",start_type="cold",outcome="success",async="false"\} (\d+)$/m), 1);
  assert.equal(count(/^flint_invocations_total\{function_name="m-echo",version="\$LATEST",start_type="warm",outcome="success",async="false"\} (\d+)$/m), 1);
  assert.equal(count(/^flint_errors_total\{function_name="m-err",version="\$LATEST",outcome="function-error"\} (\d+)$/m), 1);
  assert.equal(count(/^flint_throttles_total\{function_name="m-echo",reason="ReservedFunctionConcurrentInvocationLimitExceeded"\} (\d+)$/m), 1);
  assert.ok(count(/^flint_billed_duration_milliseconds_total\{function_name="m-echo",version="\$LATEST"\} (\d+)$/m) >= 2);
  assert.match(text, /^flint_init_duration_milliseconds_count\{function_name="m-echo",version="\$LATEST",start_type="cold"\} 1$/m);
  assert.match(text, /^flint_async_events\{state="[a-zA-Z]+"\} \d+$/m);
});
