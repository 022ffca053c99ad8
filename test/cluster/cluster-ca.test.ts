import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { createClusterCa, issueNodeCertificate, type NodeCertificate } from '../../src/cluster/cluster-ca.js';

/**
 * Node certificates from the cluster CA: what mutual TLS between nodes needs (server and client
 * authentication, the hosts peers dial), checked by a real TLS handshake with Node's own stack.
 */
let root: string;
let clusterDir: string;
let otherDir: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'flint-cluster-ca-'));
  clusterDir = join(root, 'cluster');
  otherDir = join(root, 'other');
  await createClusterCa(clusterDir, Date.now());
  await createClusterCa(otherDir, Date.now());
});

after(() => rmSync(root, { recursive: true, force: true }));

async function handshake(server: NodeCertificate, client: NodeCertificate): Promise<{ ok: true; peerCn: string } | { ok: false; error: string }> {
  const srv: Server = createServer({ key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (s) => s.end('hi'));
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    return await new Promise((done) => {
      const s = connect({ host: '127.0.0.1', port, key: client.key, cert: client.cert, ca: client.ca }, () => {
        const peer = s.getPeerCertificate();
        s.once('data', () => { s.end(); done({ ok: true, peerCn: peer.subject.CN as string }); });
      });
      s.on('error', (e) => done({ ok: false, error: (e as { code?: string }).code ?? e.message }));
      // TLS 1.3: a client learns that the server refused its certificate only after its own
      // handshake finished, as an alert or a close before any data.
      s.on('close', () => done({ ok: false, error: 'closed' }));
    });
  } finally {
    srv.close();
  }
}

test('cluster CA: a node certificate is signed by the cluster CA, names the node and its hosts, and allows server and client auth', async () => {
  const n = await issueNodeCertificate(clusterDir, 'worker-1', ['10.0.0.7', 'worker-1.flint.internal']);
  const cert = new X509Certificate(n.cert);
  const ca = new X509Certificate(n.ca);
  assert.ok(cert.verify(ca.publicKey), 'signed by the cluster CA');
  assert.equal(cert.checkIssued(ca), true);
  assert.match(cert.subject, /CN=worker-1/);
  assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.0.0.7, DNS:worker-1.flint.internal');
  assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);
});

test('cluster CA: two nodes of one cluster complete a mutual TLS handshake; a node of another cluster is refused both ways', async () => {
  const worker = await issueNodeCertificate(clusterDir, 'worker-1', ['127.0.0.1']);
  const api = await issueNodeCertificate(clusterDir, 'api-1', ['127.0.0.1']);
  const stranger = await issueNodeCertificate(otherDir, 'api-x', ['127.0.0.1']);
  assert.deepEqual(await handshake(worker, api), { ok: true, peerCn: 'worker-1' });
  const asClient = await handshake(worker, stranger);
  assert.equal(asClient.ok, false, 'the stranger does not trust the worker (another CA)');
  const asServer = await handshake(stranger, { ...api });
  assert.equal(asServer.ok, false);
  // Trusting the worker's CA is not enough: the worker demands a client certificate of its CA.
  const forged = await handshake(worker, { ...stranger, ca: worker.ca });
  assert.equal(forged.ok, false);
});

test('cluster CA: a folder without a CA is a clear error; a second CA in the same folder is refused', async () => {
  await assert.rejects(issueNodeCertificate(join(root, 'nowhere'), 'n', []), /has no cluster CA: create the folder with `flint cluster init/);
  await assert.rejects(createClusterCa(clusterDir, Date.now()), /already has a cluster CA/);
});
