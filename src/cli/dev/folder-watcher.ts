import { watch, type FSWatcher } from 'node:fs';
import { sep } from 'node:path';

/** Paths whose changes never reach a function: version control, Flint's data, editors' scratch files. */
const IGNORED = [/(^|\/)\.git(\/|$)/, /(^|\/)\.flint(\/|$)/, /(^|\/)node_modules\/\.cache(\/|$)/, /~$/, /\.sw[px]$/, /(^|\/)4913$/, /(^|\/)\.#/, /\.tmp$/];

/**
 * Watches a folder tree (inotify through fs.watch, recursive) and reports saved changes in batches:
 * an editor's save is several events (write, rename of a backup, chmod) within a few milliseconds,
 * so changes are collected until the folder has been quiet for `quietMs`, then reported once.
 */
export class FolderWatcher {
  readonly #watcher: FSWatcher;
  readonly #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  /** `ignore`: the deploy's ignore rules (src/cli/packaging): what a deploy leaves out does not reload either. */
  /** `sees`: every path an event names, before any filtering (ignored paths included). */
  constructor(dir: string, opts: { quietMs: number; ignore?: { ignores(path: string): boolean }; sees?(file: string): void; onChange(files: string[]): void; onError(err: Error): void }) {
    this.#watcher = watch(dir, { recursive: true }, (_event, name) => {
      const file = name === null ? '.' : String(name).split(sep).join('/');
      opts.sees?.(file);
      if (IGNORED.some((re) => re.test(file))) return;
      if (file !== '.' && opts.ignore?.ignores(file)) return;
      this.#pending.add(file);
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        const files = [...this.#pending].sort();
        this.#pending.clear();
        opts.onChange(files);
      }, opts.quietMs);
    });
    this.#watcher.on('error', opts.onError);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher.close();
  }
}
