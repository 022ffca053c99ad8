import { readFileSync, writeFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Writes a V8 `.cpuprofile` as folded stacks (`root;caller;callee <microseconds>` per line), the
 * input of flamegraph.pl, speedscope and inferno; idle time is left out.
 */
export function writeFoldedStacks(profileFile: string, out: string, srcRoot: string): void {
  const p = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const frame = (id: number) => {
    const cf = byId.get(id)!.callFrame;
    const path = cf.url.replace(/^file:\/\//, '');
    const where = path.startsWith(srcRoot) ? path.slice(srcRoot.length - 4) : path.includes('/node_modules/') ? path.slice(path.lastIndexOf('/node_modules/') + 14) : cf.url;
    return `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`.replace(/;/g, ',');
  };
  const us = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) us.set(p.samples[i]!, (us.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  const lines = new Map<string, number>();
  for (const [id, t] of us) {
    if (byId.get(id)!.callFrame.functionName === '(idle)' || t === 0) continue;
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(frame(at));
    const key = stack.reverse().join(';');
    lines.set(key, (lines.get(key) ?? 0) + t);
  }
  writeFileSync(out, [...lines].map(([k, t]) => `${k} ${t}`).join('\n') + '\n');
}
