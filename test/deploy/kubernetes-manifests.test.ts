import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { crossReferenceProblems, loadManifests, schemaProblems, type K8sObject } from './manifest-checks.js';

const DIR = resolve('deploy/kubernetes');
const objects = loadManifests(DIR);
const clone = (): K8sObject[] => structuredClone(objects);
type Pod = { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { args: string[]; env?: { name: string }[]; volumeMounts?: { name: string; mountPath: string }[]; securityContext?: { privileged?: boolean; capabilities?: { add?: string[] } } }[]; volumes?: { name: string; secret?: { secretName: string } }[] } } } };
const workload = (list: K8sObject[], name: string) => list.find((o) => o.metadata.name === name && (o.kind === 'Deployment' || o.kind === 'DaemonSet')) as unknown as K8sObject & Pod;

test('kubernetes manifests: every object validates against Kubernetes\' schema (kubernetes-models, offline)', () => {
  assert.ok(objects.length >= 8, `found ${objects.length} objects`);
  assert.deepEqual(objects.flatMap(schemaProblems), []);
});

test('kubernetes manifests: the schema check fails on a wrong type and a missing required field', () => {
  const bad = clone();
  const api = workload(bad, 'flint-api') as unknown as { spec: Record<string, unknown> };
  api.spec['replicas'] = 'two';
  delete api.spec['selector'];
  const problems = bad.flatMap(schemaProblems);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /replicas must be integer/);
  assert.match(problems[0]!, /required property 'selector'|must have required property selector/);
});

test('kubernetes manifests: cross-references hold (selectors, Secrets and keys, ConfigMaps, volumes, ports, namespace)', () => {
  assert.deepEqual(crossReferenceProblems(objects), []);
});

test('kubernetes manifests: the cross-reference check catches each kind of broken reference', () => {
  const bad = clone();
  const api = workload(bad, 'flint-api');
  api.spec.template.metadata.labels['app.kubernetes.io/component'] = 'frontend';
  const worker = workload(bad, 'flint-worker');
  worker.spec.template.spec.volumes!.find((v) => v.secret)!.secret!.secretName = 'flint-clutser';
  worker.spec.template.spec.containers[0]!.volumeMounts!.push({ name: 'nope', mountPath: '/x' });
  const dbUrl = workload(bad, 'flint-poller').spec.template.spec.containers[0]!.env!.find((e) => e.name === 'FLINT_DATABASE_URL') as unknown as { valueFrom: { secretKeyRef: { key: string } } };
  dbUrl.valueFrom.secretKeyRef.key = 'uri';
  const problems = crossReferenceProblems(bad).join('\n');
  assert.match(problems, /Deployment\/flint-api: selector does not match/);
  assert.match(problems, /Service\/flint-api: its selector matches no pod template/);
  assert.match(problems, /Secret flint-clutser, which does not exist/);
  assert.match(problems, /mounts volume nope/);
  assert.match(problems, /key uri, which flint-database does not have/);
});

test('kubernetes manifests: one workload per role; every Flint container gets the database URL and the cluster folder', () => {
  const roles = new Map<string, string>();
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'flint-config') as unknown as { data: Record<string, string> };
  for (const w of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet') as unknown as (K8sObject & Pod)[]) {
    const c = w.spec.template.spec.containers[0]!;
    const role = c.args[c.args.indexOf('--role') + 1]!;
    roles.set(role, `${w.kind}/${w.metadata.name}`);
    assert.deepEqual(c.args.slice(0, 1), ['server']);
    assert.ok(c.env?.some((e) => e.name === 'FLINT_DATABASE_URL'), `${w.metadata.name}: FLINT_DATABASE_URL (PostgreSQL is external)`);
    const mount = c.volumeMounts?.find((m) => m.mountPath === config.data['FLINT_CLUSTER_DIR']);
    assert.ok(mount, `${w.metadata.name} mounts the cluster folder at FLINT_CLUSTER_DIR`);
    const volume = w.spec.template.spec.volumes!.find((v) => v.name === mount.name)!;
    assert.equal(volume.secret?.secretName, 'flint-cluster');
  }
  assert.deepEqual(Object.fromEntries(roles), { api: 'Deployment/flint-api', worker: 'DaemonSet/flint-worker', poller: 'Deployment/flint-poller' });
  // The cluster Secret carries the files `flint cluster init` writes and every node reads.
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'flint-cluster') as unknown as { stringData: Record<string, string> };
  assert.deepEqual(Object.keys(secret.stringData).sort(), ['ca-key.pem', 'ca.pem', 'credentials.json', 'master-keys.json']);
});

test('kubernetes manifests: only the worker is privileged (bubblewrap needs namespaces, mounts and writable cgroups); api and poller drop every capability', () => {
  for (const name of ['flint-api', 'flint-poller']) {
    const sc = workload(objects, name).spec.template.spec.containers[0]!.securityContext as { privileged?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
    assert.notEqual(sc.privileged, true);
    assert.equal(sc.runAsNonRoot, true);
    assert.deepEqual(sc.capabilities?.drop, ['ALL']);
  }
  const worker = workload(objects, 'flint-worker');
  assert.equal(worker.kind, 'DaemonSet');
  const sc = worker.spec.template.spec.containers[0]!.securityContext!;
  assert.equal(sc.privileged, true);
  assert.ok(sc.capabilities?.add?.includes('SYS_ADMIN') && sc.capabilities.add.includes('NET_ADMIN'));
});
