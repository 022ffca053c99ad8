import { StringDecoder } from 'node:string_decoder';

/** CloudWatch Logs' largest event (256 KB): a longer line is cut into events of this size. */
const MAX_EVENT_CHARS = 256 * 1024;

/**
 * Turns a process's output stream into log lines: UTF-8 decoded across chunk boundaries, split at
 * newlines, with a trailing partial line kept until more arrives or `flush()` is called.
 */
export class OutputLines {
  #decoder = new StringDecoder('utf8');
  #partial = '';
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    const parts = (this.#partial + this.#decoder.write(chunk)).split('\n');
    this.#partial = parts.pop()!;
    for (const p of parts) this.#onLine(p);
    while (this.#partial.length > MAX_EVENT_CHARS) {
      this.#onLine(this.#partial.slice(0, MAX_EVENT_CHARS));
      this.#partial = this.#partial.slice(MAX_EVENT_CHARS);
    }
  }

  /** Emits what is left of an unterminated line (before END, or when the process exits). */
  flush(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#decoder = new StringDecoder('utf8');
    this.#partial = '';
    if (rest) this.#onLine(rest);
  }
}
