import { createHash } from 'node:crypto';
import yazl from 'yazl';
import { zipDirectory } from '../deploy-command.js';
import type { FunctionCode } from './desired-stack.js';

export interface CodePackage {
  zip: Buffer;
  /** Base64 SHA-256 of the archive: Lambda's CodeSha256, compared to decide whether code changed. */
  sha256: string;
}

/**
 * A folder as a deployment archive, built the same way every time (sorted entries, fixed times),
 * so unchanged code has an unchanged CodeSha256 and is not uploaded again.
 */
export async function packageFolder(dir: string): Promise<CodePackage> {
  const zip = await zipDirectory(dir);
  return { zip, sha256: createHash('sha256').update(zip).digest('base64') };
}

/** A function's code: its folder, or inline source written to index.js / index.py (CloudFormation's ZipFile). */
export async function packageCode(code: FunctionCode): Promise<CodePackage> {
  if ('dir' in code) return packageFolder(code.dir);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(code.inline), code.file, { mode: 0o100644, mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  return { zip: buf, sha256: createHash('sha256').update(buf).digest('base64') };
}
