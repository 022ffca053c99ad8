import yauzl from 'yauzl';
import { mkdir, open, symlink, chmod } from 'node:fs/promises';
import { dirname, join, normalize, isAbsolute, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterValueException, RequestEntityTooLargeException } from '../domain/errors.js';
import { CODE_LIMITS } from '../domain/code-limits.js';

const UNZIP_FAILED = 'Could not unzip uploaded file. Please check your file, then try to upload again.';
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * Extracts a deployment package into `dest`, rejecting what Lambda rejects: archives that do not
 * unzip, entries with absolute or `..` paths, symlinks pointing outside the tree, and more than
 * 250 MB unzipped. Declared sizes are checked before inflating, and actual sizes are checked while
 * inflating (yauzl's validateEntrySizes), so a zip bomb that lies in its headers is caught too.
 * Returns the unzipped size.
 */
export async function extractZip(zip: Buffer, dest: string, limit = CODE_LIMITS.unzippedBytes): Promise<number> {
  if (zip.length > CODE_LIMITS.zippedBytes) {
    throw new RequestEntityTooLargeException(`Zipped size must be smaller than ${CODE_LIMITS.zippedBytes} bytes`);
  }
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, strictFileNames: false }, (err, z) => (err ? reject(err) : resolve(z!))),
    );
  } catch {
    throw new InvalidParameterValueException(UNZIP_FAILED);
  }
  let total = 0;
  const entries: yauzl.Entry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zipfile.on('entry', (e: yauzl.Entry) => { entries.push(e); zipfile.readEntry(); });
      zipfile.on('end', resolve);
      zipfile.on('error', reject);
      zipfile.readEntry();
    });
  } catch {
    throw new InvalidParameterValueException(UNZIP_FAILED);
  }
  for (const e of entries) total += e.uncompressedSize;
  if (total > limit) throw new InvalidParameterValueException(`Unzipped size must be smaller than ${limit} bytes`);

  let actual = 0;
  await mkdir(dest, { recursive: true });
  for (const e of entries) {
    const name = e.fileName.replace(/\\/g, '/');
    const rel = normalize(name);
    if (isAbsolute(name) || rel === '..' || rel.startsWith('..' + sep) || /^[a-zA-Z]:/.test(name)) {
      throw new InvalidParameterValueException(`${UNZIP_FAILED} Entry '${name}' points outside the archive.`);
    }
    const target = join(dest, rel);
    const mode = (e.externalFileAttributes >>> 16) & 0xffff;
    if (name.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    if ((mode & S_IFMT) === S_IFLNK) {
      const linkTarget = (await readEntry(zipfile, e, 4096)).toString('utf8');
      const resolved = normalize(join(dirname(rel), linkTarget));
      if (isAbsolute(linkTarget) || resolved === '..' || resolved.startsWith('..' + sep)) {
        throw new InvalidParameterValueException(`${UNZIP_FAILED} Symbolic link '${name}' points outside the archive.`);
      }
      await symlink(linkTarget, target);
      continue;
    }
    const fh = await open(target, 'w', 0o644);
    try {
      // Open the entry only once its sink exists: yauzl starts inflating at once, and a bomb's
      // size check fires before any consumer would otherwise be listening.
      const stream = await openEntry(zipfile, e);
      stream.on('data', (c: Buffer) => {
        actual += c.length;
        if (actual > limit) stream.destroy(new InvalidParameterValueException(`Unzipped size must be smaller than ${limit} bytes`));
      });
      await pipeline(stream, fh.createWriteStream());
    } catch (err) {
      if (err instanceof InvalidParameterValueException) throw err;
      throw new InvalidParameterValueException(UNZIP_FAILED);
    } finally {
      await fh.close().catch(() => {});
    }
    // Keep the owner-execute bit (a custom runtime's `bootstrap`), make everything readable.
    if (mode & 0o111) await chmod(target, 0o755);
  }
  zipfile.close();
  return total;
}

type EntryStream = NodeJS.ReadableStream & { destroy(err?: Error): void; on(ev: string, fn: (...a: any[]) => void): any };

/** Opens an entry's stream with an error listener attached before anything can flow. */
function openEntry(zipfile: yauzl.ZipFile, e: yauzl.Entry): Promise<EntryStream> {
  return new Promise((resolve, reject) =>
    zipfile.openReadStream(e, (err, s) => {
      if (err || !s) return reject(new InvalidParameterValueException(UNZIP_FAILED));
      s.on('error', () => {}); // surfaced through pipeline / readEntry; never an unhandled 'error'
      resolve(s as unknown as EntryStream);
    }),
  );
}

/** Reads a small entry (a symlink's target) whole, refusing more than `max` bytes. */
async function readEntry(zipfile: yauzl.ZipFile, e: yauzl.Entry, max: number): Promise<Buffer> {
  if (e.uncompressedSize > max) throw new InvalidParameterValueException(UNZIP_FAILED);
  const stream = await openEntry(zipfile, e);
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  } catch {
    throw new InvalidParameterValueException(UNZIP_FAILED);
  }
  return Buffer.concat(chunks);
}
