import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { LogStorage } from '../ports/log-storage.js';

/**
 * Flint before the CloudWatch Logs API kept function logs as `<data>/logs/<function>/<stream>` files
 * of `{"t","m"}` lines (the stream name `2026/11/28/[$LATEST]<hex>` as nested directories). They
 * are imported once into `/aws/lambda/<function>` groups and the directory is renamed
 * `logs.imported`, so an upgrade loses no log and `aws logs tail` shows the old lines too.
 */
export function importLegacyLogs(oldRoot: string, storage: LogStorage): { streams: number; events: number } {
  let streams = 0;
  let events = 0;
  for (const fn of readdirSync(oldRoot, { withFileTypes: true })) {
    if (!fn.isDirectory()) continue;
    const group = `/aws/lambda/${fn.name}`;
    const base = join(oldRoot, fn.name);
    for (const file of walk(base)) {
      const stream = relative(base, file).split(sep).join('/');
      const parsed: { timestamp: number; message: string }[] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        try {
          const e = JSON.parse(line) as { t: number; m: string };
          if (typeof e.t === 'number' && typeof e.m === 'string') parsed.push({ timestamp: e.t, message: e.m });
        } catch {
          // empty or torn line
        }
      }
      storage.createGroup(group, {});
      if (storage.createStream(group, stream) !== 'created') continue;
      if (parsed.length) storage.put(group, stream, parsed);
      streams++;
      events += parsed.length;
    }
  }
  renameSync(oldRoot, `${oldRoot}.imported`);
  return { streams, events };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}
