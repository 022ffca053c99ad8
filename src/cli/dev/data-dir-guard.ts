import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DATA_DIR_MARKERS, findDataDirMarker } from '../../api/data-dir-scan.js';

/** How long after a directory appears it is looked through again (files written right after its creation may come before its watch). */
const RESCAN_MS = 150;

/**
 * Raises the alarm once a Flint data directory shows up in a watched folder: a marker file named by
 * an event, or one inside a directory an event names (a `.flint/` created whole, or moved in),
 * looked through when it appears and once more shortly after.
 */
export class DataDirGuard {
  readonly #dir: string;
  readonly #alarm: (file: string) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  #raised = false;

  constructor(dir: string, alarm: (file: string) => void) {
    this.#dir = dir;
    this.#alarm = alarm;
  }

  /** `file`: a path relative to the folder, as a watch event names it. */
  check(file: string): void {
    if (this.#raised) return;
    if (DATA_DIR_MARKERS.has(file.slice(file.lastIndexOf('/') + 1))) return this.#raise(file);
    const path = join(this.#dir, file);
    if (!isDirectory(path)) return;
    this.#scan(path);
    const t = setTimeout(() => { this.#timers.delete(t); this.#scan(path); }, RESCAN_MS);
    this.#timers.add(t);
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #scan(path: string): void {
    const marker = findDataDirMarker(path);
    if (marker) this.#raise(relative(this.#dir, marker));
  }

  #raise(file: string): void {
    if (this.#raised) return;
    this.#raised = true;
    this.close();
    this.#alarm(file);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
