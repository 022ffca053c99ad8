import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import yazl from 'yazl';
import { LAMBDA_RUNTIMES } from '../../app/runtime-offer.js';
import { walkFolder, type PackagedFile } from './folder-walk.js';
import { IgnoreRules } from './ignore-rules.js';
import { inferRuntime } from './runtime-inference.js';

export interface PackageOptions {
  /** Given on the command line / in a template: wins over the guess. */
  runtime?: string;
  handler?: string;
  /** Guess runtime/handler when not given (default true); false leaves them as given. */
  infer?: boolean;
  /** Leave out test folders and files (test/, tests/, __tests__/, *.test.*, *.spec.*). */
  excludeTests?: boolean;
  /** More gitignore-style patterns, after the defaults and `.flintignore`. */
  ignore?: readonly string[];
  /** Called as bytes are read into the archive (for a progress line); `total` is the unzipped size. */
  onProgress?: (done: number, total: number) => void;
}

export interface PackagedFunction {
  zip: Buffer;
  /** Base64 SHA-256 of the archive, as Lambda's CodeSha256: equal means the same code, skip the upload. */
  sha256: string;
  runtime?: string;
  handler?: string;
  /** Lines for the user: the guess and what it came from, handler warnings, the ignore file used. */
  notes: string[];
  files: PackagedFile[];
  /** Unzipped size in bytes. */
  size: number;
}

/**
 * A function folder as a Lambda deployment archive. The archive is the same bytes for the same
 * content (sorted entries, fixed times, modes 0644/0755 only), so its SHA-256 equals the deployed
 * CodeSha256 exactly when nothing changed — which is how `flint deploy` and the SAM deploy skip
 * unchanged code, as `sam deploy` does with its content hashes.
 */
export async function packageFolder(dir: string, opts: PackageOptions = {}): Promise<PackagedFunction> {
  const rules = new IgnoreRules(dir, { excludeTests: opts.excludeTests, extra: opts.ignore });
  const files = await walkFolder(dir, rules);
  const notes: string[] = [];
  let runtime = opts.runtime;
  let handler = opts.handler;
  if (opts.infer !== false) {
    const guess = inferRuntime(dir, files, { runtime, handler }, LAMBDA_RUNTIMES);
    runtime = guess.runtime;
    handler = guess.handler;
    if (guess.from) {
      const what = [opts.runtime ? undefined : `runtime ${runtime}`, opts.handler ? undefined : `handler ${handler}`].filter(Boolean).join(' and ');
      notes.push(`using ${what} (from ${guess.from}); pass ${[opts.runtime ? undefined : '--runtime', opts.handler ? undefined : '--handler'].filter(Boolean).join('/')} to choose`);
    }
    if (guess.warning) notes.push(`warning: ${guess.warning}`);
  }
  if (rules.fromFile) notes.push('ignore rules: defaults + .flintignore');
  const size = files.reduce((n, f) => n + f.size, 0);
  const zip = await zipFiles(files, size, opts.onProgress);
  return { zip, sha256: createHash('sha256').update(zip).digest('base64'), runtime, handler, notes, files, size };
}

async function zipFiles(files: readonly PackagedFile[], total: number, onProgress?: (done: number, total: number) => void): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
  })();
  let done = 0;
  for (const f of files) {
    zip.addBuffer(await readFile(f.source), f.name, { mode: f.executable ? 0o100755 : 0o100644, mtime: new Date(0) });
    done += f.size;
    onProgress?.(done, total);
  }
  zip.end();
  await collected;
  return Buffer.concat(chunks);
}
