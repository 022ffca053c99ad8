import { Command } from 'commander';
import { resolveTarget, type FlintTarget, type TargetOptions } from './cli-client.js';
import { rootSignedRequest } from './signed-request.js';
import { CliError } from './cli-error.js';

type HistoryOptions = TargetOptions;

interface WireItem {
  configurationItemCaptureTime: number;
  configurationItemStatus: string;
  configuration?: string;
  relatedEvents?: string[];
}

/**
 * `flint history <fn>`: the function's AWS Config history (GetResourceConfigHistory, signed with
 * the root credentials) as a diff over time, oldest first.
 */
export function historyCommand(): Command {
  return new Command('history')
    .description("a function's configuration history: what changed, when (AWS Config items)")
    .argument('<name>', 'function name')
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .addHelpText('after', '\nExamples:\n  flint history hello')
    .action(async (name: string, _o: HistoryOptions, self: Command) => {
      const target = resolveTarget(self.optsWithGlobals<HistoryOptions>());
      const items: WireItem[] = [];
      let nextToken: string | undefined;
      do {
        const body = JSON.stringify({ resourceType: 'AWS::Lambda::Function', resourceId: name, chronologicalOrder: 'Forward', limit: 100, ...(nextToken ? { nextToken } : {}) });
        const answer = (await signedCall(target, { method: 'POST', path: '/', service: 'config', body, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'StarlingDoveService.GetResourceConfigHistory' } })) as { configurationItems: WireItem[]; nextToken?: string };
        items.push(...answer.configurationItems);
        nextToken = answer.nextToken;
      } while (nextToken);
      process.stdout.write(renderHistory(items));
    });
}

/** Items (oldest first) as text: capture time, status, then each changed field as `path: from → to`. */
export function renderHistory(items: WireItem[]): string {
  const lines: string[] = [];
  let previous: Map<string, string> | undefined;
  for (const item of items) {
    const when = new Date(item.configurationItemCaptureTime * 1000).toISOString();
    lines.push(`${when}  ${item.configurationItemStatus}${item.relatedEvents?.length ? `  (request ${item.relatedEvents.join(', ')})` : ''}`);
    const current = item.configuration ? flatten(JSON.parse(item.configuration) as unknown) : undefined;
    if (!current) {
      lines.push('  function deleted');
    } else if (!previous) {
      for (const [path, value] of current) lines.push(`  ${path}: ${value}`);
    } else {
      const paths = new Set([...previous.keys(), ...current.keys()]);
      for (const path of [...paths].sort()) {
        const from = previous.get(path);
        const to = current.get(path);
        if (from !== to) lines.push(`  ${path}: ${from ?? '(none)'} → ${to ?? '(none)'}`);
      }
    }
    previous = current;
  }
  if (items.length === 0) lines.push('no configuration items');
  return lines.join('\n') + '\n';
}

/** Leaves of a JSON value as dotted paths (`configuration.Environment.Variables.X`, `aliases.0.Name`). */
function flatten(v: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) {
    for (const [k, child] of Object.entries(v)) flatten(child, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/**
 * A root-signed call to the running Flint; rejects with the server's error type and message.
 * Used by `flint history` and `flint usage`.
 */
export async function signedCall(
  target: FlintTarget,
  p: { method: string; path: string; service: string; body?: string; headers?: Record<string, string> },
): Promise<unknown> {
  const answer = await rootSignedRequest(target, p);
  if (!answer) throw new CliError(`cannot reach Flint at ${target.endpoint} (ECONNREFUSED): start it with \`flint server\`, or point --endpoint / AWS_ENDPOINT_URL at a running one`);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(answer.body || '{}') as Record<string, unknown>;
  } catch {
    parsed = { message: answer.body };
  }
  if (answer.status >= 300) {
    const type = String(parsed['__type'] ?? answer.status).split('#').pop();
    throw Object.assign(new Error(String(parsed['message'] ?? parsed['Message'] ?? '')), { name: type, $metadata: { httpStatusCode: answer.status } });
  }
  return parsed;
}
