import { lstatSync, mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** statfs f_type of an in-memory file system. */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/**
 * Where sandboxes' scratch directories go (their passwd and group files, Runtime API sockets,
 * layer views): `preferred` (/run/flint) when it lives in memory, as /run does on most hosts;
 * otherwise /dev/shm/flint. Every sandbox start creates and every end removes a directory, files
 * and sockets there, synchronously on the server's event loop: on a disk file system (some
 * hosts keep /run on the root disk) each is a journaled metadata change, measured at about a sixth
 * of the server's CPU per new environment, and it can stall behind another process's fsync.
 * /dev/shm is used only for a directory this process owns alone (root, mode 0700): anyone may
 * create names there first.
 */
export function scratchRootFor(preferred: string, fallback = '/dev/shm/flint'): string {
  if (inMemory(dirname(preferred)) || !inMemory(dirname(fallback))) return preferred;
  try {
    mkdirSync(fallback, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return preferred;
  }
  try {
    const st = lstatSync(fallback);
    const mine = st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o077) === 0;
    return mine ? fallback : preferred;
  } catch {
    return preferred;
  }
}

function inMemory(path: string): boolean {
  try {
    const type = Number(statfsSync(path).type);
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}
