import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A kernel-generated file (cgroup counters, /proc/<pid>/status) read again and again from one open
 * descriptor: a read at offset 0 regenerates its content, so each reading is one pread instead of
 * open + fstat + read + close. Every warm invocation reads its sandbox's peak memory for the REPORT
 * line; those four syscalls were a tenth of the server's CPU per invocation.
 */
export class KeptFile {
  readonly #path: string;
  #fd: number | undefined;
  #buf: Buffer | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /** The file's first 4 KiB as text, or undefined when it cannot be read (gone, process ended). */
  read(): string | undefined {
    try {
      this.#fd ??= openSync(this.#path, 'r');
      this.#buf ??= Buffer.allocUnsafe(4096);
      const n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
      return this.#buf.toString('latin1', 0, n);
    } catch {
      this.close();
      return undefined;
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      /* already gone */
    }
    this.#fd = undefined;
  }
}
