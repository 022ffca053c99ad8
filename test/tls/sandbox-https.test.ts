import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeZip } from '../helpers/zip.js';
import { deploy, invoke, body } from '../invoke/fixture-functions.js';
import { startTlsHarness, type TlsHarness } from './tls-harness.js';

/**
 * With TLS on, a function reaches Flint over HTTPS from inside its sandbox and its SDK verifies
 * the certificate with Flint's CA, bound read-only into the sandbox: Node.js through
 * NODE_EXTRA_CA_CERTS, botocore through AWS_CA_BUNDLE. Under the bwrap driver (end-to-end TLS
 * through the 127.0.0.1:9002 relay) and the process driver (Flint's address on the host).
 */

const NODE = `
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
export const handler = async () => {
  let identity;
  try { identity = { arn: (await new STSClient({ maxAttempts: 1 }).send(new GetCallerIdentityCommand({}))).Arn }; }
  catch (e) { identity = { error: e.name + ': ' + String(e.message).slice(0, 300) }; }
  return {
    identity,
    endpoint: process.env.AWS_ENDPOINT_URL,
    bundle: process.env.AWS_CA_BUNDLE,
    extra: process.env.NODE_EXTRA_CA_CERTS,
    caReadable: readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8').startsWith('-----BEGIN CERTIFICATE-----'),
  };
};
`;

const PYTHON = `
import os
import boto3
from botocore.config import Config


def handler(event, context):
    try:
        identity = {"arn": boto3.client("sts", config=Config(retries={"max_attempts": 1})).get_caller_identity()["Arn"]}
    except Exception as e:  # noqa: BLE001
        identity = {"error": type(e).__name__ + ": " + str(e)[:300]}
    return {"identity": identity, "endpoint": os.environ.get("AWS_ENDPOINT_URL"), "bundle": os.environ.get("AWS_CA_BUNDLE")}
`;

async function startOrSkip(sandbox: 'bwrap' | 'process'): Promise<TlsHarness | string> {
  try {
    return await startTlsHarness({ sandbox });
  } catch (err) {
    if (sandbox === 'process' || (process.env['CI'] === 'true' && process.getuid?.() === 0)) throw err;
    return `the bwrap driver is not available here: ${(err as Error).message}`;
  }
}

for (const sandbox of ['bwrap', 'process'] as const) {
  let h: TlsHarness | string = 'not started';
  before(async () => { h = await startOrSkip(sandbox); });
  after(async () => { if (typeof h !== 'string') await h.stop(); });

  test(`tls sandbox (${sandbox}): a Node.js function calls STS GetCallerIdentity on Flint over https, trusting Flint's CA`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `tls-node-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'nodejs', zip: await makeZip({ 'index.mjs': NODE }) });
    const r = await invoke(h, name);
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const out = body(r);
    assert.match(out.identity.arn ?? '', new RegExp(`^arn:aws:sts::\\d{12}:assumed-role/[^/]+/${name}$`), JSON.stringify(out));
    assert.match(out.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(out.caReadable, true);
    if (sandbox === 'bwrap') {
      assert.equal(out.endpoint, 'https://127.0.0.1:9002');
      assert.equal(out.extra, '/etc/flint/ca.pem');
      assert.equal(out.bundle, '/etc/flint/ca-bundle.pem');
    } else {
      assert.equal(out.endpoint, h.endpoint);
      assert.equal(out.bundle, h.app.caBundle);
    }
  });

  test(`tls sandbox (${sandbox}): a Python function's boto3 calls STS on Flint over https with AWS_CA_BUNDLE`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `tls-python-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'python', handler: 'app.handler', zip: await makeZip({ 'app.py': PYTHON }) });
    const r = await invoke(h, name);
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const out = body(r);
    assert.match(out.identity.arn ?? '', new RegExp(`^arn:aws:sts::\\d{12}:assumed-role/[^/]+/${name}$`), JSON.stringify(out));
    assert.match(out.endpoint, /^https:/);
  });

  test(`tls sandbox (${sandbox}): on a cold start a function's own AWS_CA_BUNDLE wins over Flint's default, as a function's variables override runtime defaults`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    const name = `tls-own-bundle-${sandbox}`;
    // A memory size no earlier function used: its first start is cold (no pre-initialized runtime
    // waits for it); the next test covers the pre-initialized start.
    await deploy(h, { name, scenario: '', runtime: 'python', handler: 'app.handler', memory: 333, timeout: 30, zip: await makeZip({ 'app.py': PYTHON }), env: { AWS_CA_BUNDLE: '/nonexistent/bundle.pem' } });
    const r = await invoke(h, name);
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const out = body(r);
    assert.equal(out.bundle, '/nonexistent/bundle.pem');
    assert.ok(out.identity.error, 'with a bundle that does not exist, verification cannot succeed');
  });

  test(`tls sandbox (${sandbox}): on a pre-initialized start too, a function's own AWS_CA_BUNDLE wins`, async (t) => {
    if (typeof h === 'string') return t.skip(h);
    if (!h.app.dataPlane.prewarm.enabled) return t.skip('no pre-initialized runtimes on this driver');
    // The cold start above (python, 333 MB) asked the pool for a runtime of that kind: wait for it.
    await h.app.dataPlane.prewarm.settled();
    const name = `tls-own-bundle-warm-${sandbox}`;
    await deploy(h, { name, scenario: '', runtime: 'python', handler: 'app.handler', memory: 333, timeout: 30, zip: await makeZip({ 'app.py': PYTHON }), env: { AWS_CA_BUNDLE: '/nonexistent/other.pem' } });
    const r = await invoke(h, name, {}, { LogType: 'Tail' });
    assert.equal(body(r).bundle, '/nonexistent/other.pem');
  });
}
