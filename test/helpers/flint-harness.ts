import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig, type FlintConfig } from '../../src/app/config.js';
import { startFlint, type FlintApp } from '../../src/app/flint-app.js';
import type { MessageQueues } from '../../src/ports/message-queues.js';
import type { Clock } from '../../src/ports/clock.js';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIATESTFLINT0000001', secretAccessKey: 'test-secret-key-for-flint-tests-only-000' };
export const TEST_ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export interface Harness {
  app: FlintApp;
  client: LambdaClient;
  endpoint: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** A real Flint server on a free 127.0.0.1 port with a fresh data dir, and an SDK v3 client for it. */
/**
 * `opts.log` collects the server's log lines (default: dropped); `opts.dataDir` starts on an existing
 * data dir (a restart), which `stop()` then leaves in place.
 */
export async function startHarness(overrides: Partial<FlintConfig> = {}, opts: { clock?: Clock; log?: (line: string) => void; dataDir?: string; queues?: MessageQueues } = {}): Promise<Harness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flint-test-'));
  // Behaviour tests run on the process driver (fast, deterministic on a loaded 2-core machine);
  // the sandbox suites and the escape suite pin the isolated driver themselves.
  // FLINT_TEST_SANDBOX=auto runs everything isolated. Placement is Lambda's (a new environment per
  // concurrent request): on this shared machine the CPUs are often saturated, and host-aware
  // placement would then make environment counts depend on the load (it has unit tests of its own).
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, dataDir, sandbox: process.env['FLINT_TEST_SANDBOX'] ?? 'process', accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: TEST_CREDENTIALS.secretAccessKey, quiet: true, placement: 'lambda', ...overrides },
    {},
  );
  const app = await startFlint(config, { log: opts.log ?? (() => {}), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.queues ? { queues: opts.queues } : {}) });
  const client = new LambdaClient({
    endpoint: app.endpoint,
    region: config.region,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  return {
    app,
    client,
    endpoint: app.endpoint,
    dataDir,
    async stop() {
      client.destroy();
      await app.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
