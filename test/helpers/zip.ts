import yazl from 'yazl';

/** Builds a zip in memory from `{ path: content }` (content string or { data, mode }). */
export async function makeZip(files: Record<string, string | Buffer | { data: string | Buffer; mode?: number }>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, v] of Object.entries(files)) {
    const entry = typeof v === 'string' || Buffer.isBuffer(v) ? { data: v } : v;
    zip.addBuffer(Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data), path, { mode: entry.mode ?? 0o100644 });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
