import { createHash } from 'node:crypto';
import yazl from 'yazl';
import { packageFolder as packageWithRules } from '../packaging/index.js';
import type { FunctionCode } from './desired-stack.js';

export interface CodePackage {
  zip: Buffer;
  /** Base64 SHA-256 of the archive: Lambda's CodeSha256, compared to decide whether code changed. */
  sha256: string;
  /** Runtime / handler guessed from the folder when the template gives none. */
  runtime?: string;
  handler?: string;
  /** The packaging's lines for the user (the guess and what it came from, the ignore file used). */
  notes: string[];
}

/**
 * A folder as a deployment archive under Flint's packaging rules (src/cli/packaging: .flintignore
 * over the defaults, no data directory or key, symlinks inside the folder followed), built the same
 * way every time, so unchanged code has an unchanged CodeSha256 and is not uploaded again.
 */
export async function packageFolder(dir: string, given: { runtime?: string; handler?: string } = {}, infer = false): Promise<CodePackage> {
  const p = await packageWithRules(dir, { ...given, infer });
  return { zip: p.zip, sha256: p.sha256, ...(p.runtime ? { runtime: p.runtime } : {}), ...(p.handler ? { handler: p.handler } : {}), notes: infer ? p.notes : [] };
}

/**
 * A function's code: its folder (with the runtime and handler guessed when the template leaves them
 * out), or inline source written to index.js / index.py (CloudFormation's ZipFile).
 */
export async function packageCode(code: FunctionCode, given: { runtime?: string; handler?: string } = {}): Promise<CodePackage> {
  if ('dir' in code) return packageFolder(code.dir, given, given.runtime === undefined || given.handler === undefined);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(code.inline), code.file, { mode: 0o100644, mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  return { zip: buf, sha256: createHash('sha256').update(buf).digest('base64'), notes: [] };
}
