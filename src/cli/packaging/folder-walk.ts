import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { IgnoreRules } from './ignore-rules.js';
import { PackagingError } from './packaging-error.js';

/** One file going into the archive. */
export interface PackagedFile {
  /** Path inside the archive, `/`-separated. */
  name: string;
  /** Where its bytes are read from (a symlink's target, resolved). */
  source: string;
  executable: boolean;
  size: number;
}

/** Names that only a Flint data directory holds: the master key(s) and the metadata database. */
const DATA_DIR_MARKERS = new Set(['master.key', 'master-keys.json', 'flint.db']);

/**
 * The files of a function folder, sorted, after the ignore rules. Symlinks are followed when they
 * resolve inside the folder (pnpm's node_modules layout is links into node_modules/.pnpm) and
 * refused when they leave it: Lambda's archive is all the function gets, so a link to the outside
 * would deploy and then fail at invoke. A Flint data directory or master key is refused outright.
 */
export async function walkFolder(dir: string, rules: IgnoreRules): Promise<PackagedFile[]> {
  const root = await realpath(dir).catch(() => {
    throw new PackagingError(`${dir}: no such folder`);
  });
  if (!(await stat(root)).isDirectory()) throw new PackagingError(`${dir} is not a folder: deploy a folder holding the function's code`);
  const files: PackagedFile[] = [];
  const inside = (p: string) => p === root || p.startsWith(root + sep);

  async function walk(real: string, prefix: string, ancestors: Set<string>): Promise<void> {
    const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const name = prefix + entry.name;
      let source = join(real, entry.name);
      let st = await lstat(source);
      if (st.isSymbolicLink()) {
        const target = await realpath(source).catch(() => undefined);
        if (target === undefined) throw new PackagingError(`refusing to package ${name}: it is a broken symlink; remove it or add it to .flintignore`);
        if (!inside(target)) throw new PackagingError(`refusing to package ${name}: it links to ${target}, outside ${dir}; copy it into the folder or add it to .flintignore`);
        source = target;
        st = await stat(target);
      }
      if (st.isDirectory()) {
        if (rules.ignores(name + '/')) continue;
        // A link back to a folder being walked would never end.
        if (ancestors.has(source)) throw new PackagingError(`refusing to package ${name}: it links back to ${relative(root, source) || '.'}, a loop`);
        await walk(source, name + '/', new Set([...ancestors, source]));
      } else if (st.isFile()) {
        if (rules.ignores(name)) continue;
        if (DATA_DIR_MARKERS.has(basename(name)) || (entry.name === 'credentials.json' && [...DATA_DIR_MARKERS].some((m) => names.has(m)))) {
          const where = prefix ? prefix.slice(0, -1) : dir;
          throw new PackagingError(`refusing to package ${name}: ${where} is a Flint data directory (master key, credentials); move it out of the function folder or add it to .flintignore`);
        }
        files.push({ name, source, executable: (st.mode & 0o111) !== 0, size: st.size });
      }
      // Sockets, FIFOs and devices are not code.
    }
  }
  await walk(root, '', new Set([root]));
  return files;
}
