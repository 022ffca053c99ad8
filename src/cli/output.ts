import { styleText } from 'node:util';

export type OutputFormat = 'text' | 'json';
type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan';

/**
 * How a command prints: `--output json` gives one JSON document (for scripts and jq); text gives
 * aligned tables and colours on a terminal, and the same text without colour codes when piped or
 * when NO_COLOR is set (no-color.org), so `grep`/`cut` see plain columns.
 */
export class Output {
  readonly format: OutputFormat;
  readonly #stream: NodeJS.WriteStream;
  readonly #colour: boolean;

  constructor(format: OutputFormat = 'text', stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env) {
    this.format = format;
    this.#stream = stream;
    this.#colour = Boolean(stream.isTTY) && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
  }

  get json(): boolean {
    return this.format === 'json';
  }

  line(text = ''): void {
    this.#stream.write(text + '\n');
  }

  /** The value as pretty JSON (the `--output json` answer). */
  value(v: unknown): void {
    this.#stream.write(JSON.stringify(v, null, 2) + '\n');
  }

  style(kind: Style, text: string): string {
    // The TTY/NO_COLOR decision is made above, for this output's own stream.
    return this.#colour ? styleText(kind, text, { validateStream: false }) : text;
  }

  /** Columns padded to their widest cell; the header bold on a terminal. Numeric columns are right-aligned. */
  table(headers: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): void {
    const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
    const render = (cells: string[]) => cells.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
    this.line(this.style('bold', render(headers)));
    for (const r of rows) this.line(render(r));
  }

  /** `key: value` lines, keys aligned. */
  fields(pairs: Array<[string, string | number | undefined]>): void {
    const present = pairs.filter(([, v]) => v !== undefined && v !== '');
    const width = Math.max(...present.map(([k]) => k.length));
    for (const [k, v] of present) this.line(`${this.style('dim', (k + ':').padEnd(width + 1))} ${v}`);
  }
}
