import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One profile's settings from ~/.aws/credentials and ~/.aws/config (credentials file wins, as in the AWS CLI). */
export type ProfileSettings = Record<string, string>;

/**
 * Reads a named profile the way the AWS CLI and SDKs do: `[name]` in the credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), `[profile name]` (or `[default]`) in
 * the config file (AWS_CONFIG_FILE, default ~/.aws/config). Undefined when neither has it.
 */
export function readProfile(name: string, env: NodeJS.ProcessEnv = process.env): ProfileSettings | undefined {
  const home = env['HOME'] || homedir();
  const credentials = parseIni(env['AWS_SHARED_CREDENTIALS_FILE'] ?? join(home, '.aws', 'credentials'));
  const config = parseIni(env['AWS_CONFIG_FILE'] ?? join(home, '.aws', 'config'));
  const fromConfig = config.get(name === 'default' ? 'default' : `profile ${name}`) ?? (name === 'default' ? undefined : undefined);
  const fromCredentials = credentials.get(name);
  if (!fromConfig && !fromCredentials) return undefined;
  return { ...(fromConfig ?? {}), ...(fromCredentials ?? {}) };
}

/** INI as the AWS files write it: `[section]`, `key = value`, `#`/`;` comments; indented sub-settings are skipped. */
function parseIni(file: string): Map<string, ProfileSettings> {
  const sections = new Map<string, ProfileSettings>();
  if (!existsSync(file)) return sections;
  let current: ProfileSettings | undefined;
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue;
    const section = /^\s*\[\s*([^\]]+?)\s*\]/.exec(raw);
    if (section) {
      current = sections.get(section[1]!) ?? {};
      sections.set(section[1]!, current);
      continue;
    }
    if (/^\s/.test(raw)) continue;
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(raw);
    if (kv && current) current[kv[1]!.trim().toLowerCase()] = kv[2]!.trim();
  }
  return sections;
}
