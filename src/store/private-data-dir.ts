import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Trees whose contents isolated sandboxes read through bind mounts as their own unprivileged uid
 * (extracted code at /var/task, the runtime with its SDK at /var/runtime, sandbox scratch such as
 * the generated /etc files): their *containers* are closed to others — a bind mount needs no
 * traversal of the parents, a host user does — but what is inside keeps the modes the sandbox
 * needs to read it.
 */
const SHARED_WITH_SANDBOXES = ['cache/code', 'runtimes', 'sandboxes'];
/** TLS material: public certificates are bound into sandboxes (Flint's CA); keys are not. */
const TLS_DIR = 'tls';

export interface PrivateDataDirReport {
  /** Paths whose mode was narrowed. */
  changed: string[];
}

/**
 * Closes the data directory to every other user of the host, whatever modes it had (a data dir
 * created by an older Flint or by hand is 0755, `flint.db` 0644): directories become 0700 and files
 * lose every group/other bit (so 0644 → 0600, an executable 0755 → 0700). Symbolic links are not
 * followed. Run at start, before anything is opened.
 */
export function makeDataDirPrivate(dataDir: string): PrivateDataDirReport {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const changed: string[] = [];
  const narrow = (path: string, mode: number, wanted: number) => {
    if ((mode & 0o7777) !== wanted) {
      chmodSync(path, wanted);
      changed.push(path);
    }
  };
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        narrow(path, st.mode, (st.mode & 0o700) | 0o700);
        if (SHARED_WITH_SANDBOXES.includes(relPath)) continue;
        walk(path, relPath);
      } else if (st.isFile()) {
        if (rel === TLS_DIR && !isPrivateKey(path)) continue;
        narrow(path, st.mode, st.mode & 0o700);
      } else {
        // Sockets and fifos: no one else connects to them either.
        narrow(path, st.mode, st.mode & 0o700);
      }
    }
  };
  const top = lstatSync(dataDir);
  narrow(dataDir, top.mode, 0o700);
  walk(dataDir, '');
  return { changed };
}

function isPrivateKey(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').includes('PRIVATE KEY');
  } catch {
    return true;
  }
}
