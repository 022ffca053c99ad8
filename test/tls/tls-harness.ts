import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import type { FlintConfig } from '../../src/app/config.js';

export interface TlsHarness extends Harness {
  /** Flint's CA certificate (PEM) that verifies the server. */
  ca: string;
  /** An SDK v3 request handler that trusts only that CA. */
  handler(): NodeHttpHandler;
}

/** A Flint harness serving HTTPS (`--tls` unless overridden), with its Lambda client trusting the generated CA. */
export async function startTlsHarness(overrides: Partial<FlintConfig> = {}): Promise<TlsHarness> {
  const h = await startHarness({ tls: true, ...overrides });
  const caFile = h.app.caBundle ?? overrides.tlsCa;
  const ca = caFile ? readFileSync(caFile, 'utf8') : '';
  const handler = () => new NodeHttpHandler({ httpsAgent: new Agent({ ca, keepAlive: true }) });
  h.client.destroy();
  const client = new LambdaClient({ endpoint: h.endpoint, region: h.app.config.region, credentials: TEST_CREDENTIALS, maxAttempts: 1, requestHandler: handler() });
  return {
    ...h,
    client,
    ca,
    handler,
    async stop() {
      client.destroy();
      await h.stop();
    },
  };
}
