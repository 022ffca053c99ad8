import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';

/** One Kubernetes object of a manifest file. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
  file: string;
}

/** The kinds deploy/kubernetes uses, each with its model (schema validation by kubernetes-models). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
};

export function loadManifests(dir: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj) out.push({ ...obj, file });
    }
  }
  return out;
}

/** Kubernetes' OpenAPI schema problems of one object (empty when valid). */
export function schemaProblems(obj: K8sObject): string[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return [`${obj.file}: ${obj.apiVersion} ${obj.kind} is not a kind these manifests are checked for`];
  const { file: _file, ...data } = obj;
  try {
    new Model(data as never).validate();
    return [];
  } catch (err) {
    return [`${obj.file} ${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`];
  }
}

interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { port: string | number } };
  livenessProbe?: { httpGet?: { port: string | number } };
  securityContext?: { privileged?: boolean; capabilities?: { add?: string[] } };
}
interface PodSpec { containers: Container[]; volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[] }
interface Workload extends K8sObject { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } }

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/**
 * What a schema cannot see: references between the objects. Selectors match their pod labels,
 * every Secret/ConfigMap named (env, envFrom, volumes) exists in the namespace with the key used,
 * volume mounts name pod volumes, probe and Service target ports name container ports, and every
 * namespace used is declared.
 */
export function crossReferenceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const ns = (o: K8sObject) => o.metadata.namespace ?? 'default';
  const find = (kind: string, name: string, namespace: string) => objects.find((o) => o.kind === kind && o.metadata.name === name && ns(o) === namespace);
  const keysOf = (o: K8sObject) => Object.keys({ ...(o['data'] as object | undefined), ...(o['stringData'] as object | undefined) });
  const workloads = objects.filter((o): o is Workload => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  const namespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  for (const o of objects) {
    if (o.kind !== 'Namespace' && !namespaces.has(ns(o))) problems.push(`${o.kind}/${o.metadata.name}: namespace ${ns(o)} is not declared`);
  }
  for (const w of workloads) {
    const id = `${w.kind}/${w.metadata.name}`;
    const pod = w.spec.template.spec;
    if (!matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels)) problems.push(`${id}: selector does not match its pod template's labels`);
    const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
    for (const v of pod.volumes ?? []) {
      if (v.secret && !find('Secret', v.secret.secretName, ns(w))) problems.push(`${id}: volume ${v.name} names Secret ${v.secret.secretName}, which does not exist`);
      if (v.configMap && !find('ConfigMap', v.configMap.name, ns(w))) problems.push(`${id}: volume ${v.name} names ConfigMap ${v.configMap.name}, which does not exist`);
    }
    for (const c of pod.containers) {
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${id}: container ${c.name} mounts volume ${m.name}, which the pod does not have`);
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !find('ConfigMap', e.configMapRef.name, ns(w))) problems.push(`${id}: envFrom ConfigMap ${e.configMapRef.name} does not exist`);
        if (e.secretRef && !find('Secret', e.secretRef.name, ns(w))) problems.push(`${id}: envFrom Secret ${e.secretRef.name} does not exist`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (!ref) continue;
        const target = find(e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name, ns(w));
        if (!target) problems.push(`${id}: env ${e.name} refers to ${ref.name}, which does not exist`);
        else if (!keysOf(target).includes(ref.key)) problems.push(`${id}: env ${e.name} refers to key ${ref.key}, which ${ref.name} does not have`);
      }
      const portNames = new Set((c.ports ?? []).map((p) => p.name));
      const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const port = probe?.httpGet?.port;
        if (port !== undefined && !(typeof port === 'string' ? portNames.has(port) : portNumbers.has(port))) problems.push(`${id}: probe port ${port} is not a container port`);
      }
    }
  }
  for (const s of objects.filter((o) => o.kind === 'Service')) {
    const spec = s['spec'] as { selector: Record<string, string>; ports: { port: number; targetPort?: string | number }[] };
    const backends = workloads.filter((w) => ns(w) === ns(s) && matches(spec.selector, w.spec.template.metadata.labels));
    if (backends.length === 0) { problems.push(`Service/${s.metadata.name}: its selector matches no pod template`); continue; }
    for (const p of spec.ports) {
      const target = p.targetPort ?? p.port;
      const served = backends.every((w) => w.spec.template.spec.containers.some((c) => (c.ports ?? []).some((cp) => (typeof target === 'string' ? cp.name === target : cp.containerPort === target))));
      if (!served) problems.push(`Service/${s.metadata.name}: target port ${target} is not a port of every selected pod`);
    }
  }
  return problems;
}
