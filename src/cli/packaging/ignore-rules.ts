import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * What a deployment archive leaves out unless `.flintignore` says otherwise (`!pattern` re-includes).
 * Version control, Flint's own data directory, secrets in dotenv files, editor and OS litter, and
 * SAM's build folder: none of it is code the function runs, and some of it must never leave the
 * machine (AWS SAM and the Serverless Framework exclude the same families by default).
 */
export const DEFAULT_IGNORES: readonly string[] = [
  '.git/', '.hg/', '.svn/',
  '.flint/', '.flintignore',
  '.env', '.env.*', '.envrc',
  '.DS_Store', 'Thumbs.db', '*.swp', '*.swo', '*~', '.idea/', '.vscode/',
  '.aws-sam/', '.serverless/',
  'npm-debug.log*', 'yarn-error.log*',
];

/** Test folders and files, left out when asked (`--exclude-tests`). */
export const TEST_IGNORES: readonly string[] = ['test/', 'tests/', '__tests__/', '*.test.*', '*.spec.*', 'coverage/'];

/** gitignore semantics (the `ignore` package) over the defaults, then the folder's `.flintignore`, then extra patterns. */
export class IgnoreRules {
  readonly #rules: Ignore;
  /** Whether the folder has a `.flintignore` (said in the deploy notes). */
  readonly fromFile: boolean;

  constructor(dir: string, opts: { excludeTests?: boolean; extra?: readonly string[] } = {}) {
    this.#rules = ignore().add([...DEFAULT_IGNORES]);
    if (opts.excludeTests) this.#rules.add([...TEST_IGNORES]);
    const file = join(dir, '.flintignore');
    this.fromFile = existsSync(file);
    if (this.fromFile) this.#rules.add(readFileSync(file, 'utf8'));
    if (opts.extra) this.#rules.add([...opts.extra]);
  }

  /** `path` relative to the folder, with `/` separators; directories end with `/`. */
  ignores(path: string): boolean {
    return this.#rules.ignores(path);
  }
}
