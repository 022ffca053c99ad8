import type { Clock } from '../ports/clock.js';
import type { LogStreamWriter } from '../ports/log-storage.js';
import { OutputLines } from './output-lines.js';
import { PlatformLogLines } from './platform-log-lines.js';
import type { FunctionConfiguration } from '../domain/records.js';
import { extensionLine } from './extensions/extension-launcher.js';

/** Characters of an invocation's log kept for LogType Tail (its last 4 KB fit in this many). */
const TAIL_KEEP_CHARS = 4096;

/**
 * An environment's log stream as its invocations write it: the platform's lines in the function's
 * log format (Text or JSON) and level filters, the function's stdout/stderr split into lines, and
 * the end of the current invocation's log (enough for LogType Tail, never the whole log).
 */
export class InvocationLog {
  readonly platform: PlatformLogLines;
  readonly #stream: LogStreamWriter;
  readonly #clock: Clock;
  readonly #stdout: OutputLines;
  readonly #stderr: OutputLines;
  #current: { lines: string[]; chars: number } | undefined;
  #chunks = 0;
  /** A tap on the function's own lines (the Telemetry API's `function` stream). */
  onFunctionLine: ((text: string) => void) | undefined;
  /** The tag external extensions' lines carry (extension-launcher.ts), and the tap on them (the `extension` stream). */
  extensionTag: string | undefined;
  onExtensionLine: ((text: string) => void) | undefined;

  constructor(stream: LogStreamWriter, loggingConfig: FunctionConfiguration['LoggingConfig'], clock: Clock) {
    this.#stream = stream;
    this.#clock = clock;
    this.platform = new PlatformLogLines(loggingConfig);
    this.#stdout = new OutputLines((l) => this.#app(l));
    this.#stderr = new OutputLines((l) => this.#app(l));
  }

  /** Output chunks received so far (tells whether a loop turn brought more). */
  get chunks(): number {
    return this.#chunks;
  }

  /** A chunk the runtime's process tree wrote. */
  output(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    this.#chunks++;
    (stream === 'stdout' ? this.#stdout : this.#stderr).push(chunk);
  }

  /** From now on lines also go to the invocation's tail. */
  begin(): void {
    this.#current = { lines: [], chars: 0 };
  }

  /** Ends the invocation's tail and returns its lines. */
  end(): string[] {
    const lines = this.#current?.lines ?? [];
    this.#current = undefined;
    return lines;
  }

  /** A platform line, unless the function's SystemLogLevel leaves it out. */
  sys(text: string | undefined): void {
    if (text !== undefined) this.line(text);
  }

  line(text: string): void {
    this.#stream.append(this.#clock.now(), text);
    const cur = this.#current;
    if (cur) {
      cur.lines.push(text);
      cur.chars += text.length + 1;
      // Tail returns 4 KB; keep a little more than that (in characters, which bound the bytes from below).
      while (cur.chars - (cur.lines[0]!.length + 1) > TAIL_KEEP_CHARS) cur.chars -= cur.lines.shift()!.length + 1;
    }
  }

  /** Flint's own note in the stream (never part of an invocation's tail). */
  note(text: string): void {
    this.#stream.append(this.#clock.now(), text);
  }

  /** Emits partial lines still buffered. */
  flush(): void {
    this.#stdout.flush();
    this.#stderr.flush();
  }

  /** Writes what was appended: the lines survive a kill -9 of the server from here on. */
  commit(): void {
    this.#stream.commit();
  }

  async close(): Promise<void> {
    this.flush();
    await this.#stream.close();
  }

  /** A line of the function's own output, unless its ApplicationLogLevel leaves it out (JSON format). */
  #app(text: string): void {
    if (this.extensionTag !== undefined && text.charCodeAt(0) === 0x1e) {
      const ext = extensionLine(text, this.extensionTag);
      if (ext) {
        // An extension's line goes to the stream as it wrote it (Lambda's log stream holds both).
        this.line(ext.text);
        this.onExtensionLine?.(ext.text);
        return;
      }
    }
    if (!this.platform.keeps(text)) return;
    this.line(text);
    this.onFunctionLine?.(text);
  }
}
