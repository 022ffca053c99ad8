import { Command } from 'commander';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadConfig, type FlintConfig } from '../app/config.js';
import { loadRootCredentials } from '../app/secrets.js';

interface HistoryOptions {
  dataDir?: string;
  endpoint?: string;
}

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
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .option('--endpoint <url>', 'Flint endpoint (default from FLINT_ENDPOINT or the configured host:port)')
    .action(async (name: string, opts: HistoryOptions) => {
      const config = loadConfig({ dataDir: opts.dataDir });
      const items: WireItem[] = [];
      let nextToken: string | undefined;
      do {
        const body = JSON.stringify({ resourceType: 'AWS::Lambda::Function', resourceId: name, chronologicalOrder: 'Forward', limit: 100, ...(nextToken ? { nextToken } : {}) });
        const answer = (await signedCall(config, opts.endpoint, { method: 'POST', path: '/', service: 'config', body, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'StarlingDoveService.GetResourceConfigHistory' } })) as { configurationItems: WireItem[]; nextToken?: string };
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
 * A SigV4-signed call to the running Flint with the root credentials; rejects with the server's
 * error type and message. Used by `flint history` and `flint usage`.
 */
export async function signedCall(
  config: FlintConfig,
  endpoint: string | undefined,
  p: { method: string; path: string; service: string; body?: string; headers?: Record<string, string> },
): Promise<unknown> {
  const creds = loadRootCredentials(config.dataDir, { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey });
  const url = new URL(p.path, endpoint ?? process.env['FLINT_ENDPOINT'] ?? `http://${config.host}:${config.port}`);
  const body = p.body ?? '';
  const headers = sign({ method: p.method, url, region: config.region, service: p.service, body, headers: p.headers ?? {}, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
  const ca = process.env['AWS_CA_BUNDLE'] ? readFileSync(process.env['AWS_CA_BUNDLE']) : undefined;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: p.method, headers, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text || '{}') as Record<string, unknown>;
        } catch {
          parsed = { message: text };
        }
        if ((res.statusCode ?? 500) >= 300) {
          const type = String(parsed['__type'] ?? res.statusCode).split('#').pop();
          reject(new Error(`${type}: ${String(parsed['message'] ?? parsed['Message'] ?? '')}`));
        } else {
          resolve(parsed);
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNREFUSED' ? new Error(`no Flint server at ${url.origin} (start it with \`flint server\`)`) : err));
    req.end(body);
  });
}

function sign(p: { method: string; url: URL; region: string; service: string; body: string; headers: Record<string, string>; accessKeyId: string; secretAccessKey: string }): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const payload = createHash('sha256').update(p.body).digest('hex');
  const headers: Record<string, string> = { ...p.headers, host: p.url.host, 'x-amz-content-sha256': payload, 'x-amz-date': amzDate };
  const names = Object.keys(headers).sort();
  const query = [...p.url.searchParams].map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = [p.method, p.url.pathname, query, ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), payload].join('\n');
  const scope = `${date}/${p.region}/${p.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${p.secretAccessKey}`, date), p.region), p.service), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(toSign).digest('hex');
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${p.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}
