import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { rootSignedRequest } from './signed-request.js';
import { resolveTarget, type FlintTarget } from './cli-client.js';
import { CliError } from './cli-error.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type FlintConfig } from '../app/config.js';
import { loadMasterKeyring } from '../app/secrets.js';

interface KeysOptions {
  dataDir?: string;
  endpoint?: string;
  profile?: string;
  region?: string;
  wait?: boolean;
}

/** What the server answers on /flint/keys/* (src/store/master-key-rotation.ts RotationStatus). */
interface Status {
  source: string;
  current: number;
  keys: Array<{ id: number; state: string; createdAt: string }>;
  retired: Array<{ id: number; retiredAt: string }>;
  rewrapping?: boolean;
  rewrapped?: number;
  stale?: Array<{ store: string; count: number }>;
  error?: string;
}

/**
 * `flint keys status|rotate`: through the running server (root-signed `/flint/keys/*`), which
 * re-wraps while it serves; with the server stopped, on the data dir's keyring directly — a rotate
 * then only introduces the new key, and the server re-wraps at its next start.
 */
export function keysCommand(): Command {
  const keys = new Command('keys').description("Flint's master keys (they wrap code data keys and KMS key material)");
  const common = (c: Command) =>
    c
      .option('--data-dir <dir>', 'data directory (default FLINT_DATA_DIR, else ./.flint)')
      .addHelpText('after', '\nExamples:\n  flint keys status\n  flint keys rotate --wait');
  common(keys.command('status').description('current master key, keys still in use, stale blobs per store')).action(async (_o: KeysOptions, self: Command) => {
    const opts = self.optsWithGlobals<KeysOptions>();
    const config = loadConfig({ dataDir: opts.dataDir });
    const answer = await call(config, opts, 'GET', '/flint/keys/status');
    process.stdout.write(answer ? render(answer) : render(offline(config), 'the server is not running: stale counts are computed by the server'));
  });
  common(keys.command('rotate').description('introduce a new master key and re-wrap everything under it in the background'))
    .option('--wait', 'wait until the old keys are retired')
    .action(async (_o: KeysOptions, self: Command) => {
      const opts = self.optsWithGlobals<KeysOptions>();
      const config = loadConfig({ dataDir: opts.dataDir });
      let answer = await call(config, opts, 'POST', '/flint/keys/rotate');
      if (!answer) {
        if (!existsSync(config.dataDir) && !config.masterKey && !config.masterKeyFile) throw new CliError(`no data directory at ${config.dataDir}: \`flint server\` creates it on its first start`);
        const ring = loadMasterKeyring(config.dataDir, { masterKey: config.masterKey, masterKeyFile: config.masterKeyFile });
        const id = ring.rotate();
        process.stdout.write(render(ring.status(), `master key ${id} is current; the server re-wraps stale blobs when it starts`));
        return;
      }
      process.stdout.write(`master key ${answer.current} is current; re-wrapping in the background\n`);
      while (opts.wait && (answer.rewrapping || answer.keys.some((k) => k.state === 'retiring'))) {
        if (answer.error) throw new Error(`rotation paused: ${answer.error}`);
        await sleep(250);
        answer = (await call(config, opts, 'GET', '/flint/keys/status'))!;
      }
      process.stdout.write(render(answer));
    });
  return keys;
}

function offline(config: FlintConfig): Status {
  if (!existsSync(config.dataDir) && !config.masterKey && !config.masterKeyFile) throw new CliError(`no data directory at ${config.dataDir}: \`flint server\` creates it on its first start`);
  return loadMasterKeyring(config.dataDir, { masterKey: config.masterKey, masterKeyFile: config.masterKeyFile }).status();
}

function render(s: Status, note?: string): string {
  const lines = [
    `master keys: ${s.source}`,
    `current key: ${s.current}`,
    `keys in use: ${s.keys.map((k) => `${k.id} (${k.state}, created ${k.createdAt})`).join(', ')}`,
    `retired keys: ${s.retired.length ? s.retired.map((r) => `${r.id} (${r.retiredAt})`).join(', ') : 'none'}`,
  ];
  if (s.stale) lines.push(`stale blobs: ${s.stale.map((x) => `${x.store} ${x.count}`).join(', ')}`);
  if (s.rewrapping !== undefined) lines.push(`re-wrapping: ${s.rewrapping ? 'yes' : 'no'} (${s.rewrapped ?? 0} re-wrapped since the server started)`);
  if (s.error) lines.push(`paused: ${s.error}`);
  if (note) lines.push(note);
  return lines.join('\n') + '\n';
}

/** A root-signed request to the server (service `flint`); undefined when no server listens there. */
async function call(config: FlintConfig, opts: KeysOptions, method: string, path: string): Promise<Status | undefined> {
  // No credentials yet means no server has started on this data dir: the offline path.
  let target: FlintTarget;
  try {
    target = resolveTarget({ ...opts, dataDir: opts.dataDir ?? config.dataDir });
  } catch (err) {
    if (err instanceof CliError && !opts.endpoint) return undefined;
    throw err;
  }
  const answer = await rootSignedRequest(target, { method, path, service: 'flint' });
  if (!answer) return undefined;
  const body = JSON.parse(answer.body || '{}') as Status & { message?: string };
  if (answer.status >= 300) throw new CliError(`${target.endpoint}: ${answer.status} ${body.message ?? ''}`);
  return body;
}
