/**
 * A resource ARN template of the Service Authorization Reference
 * (`arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}`), split once at start into
 * literal text and variable names so that filling it per request is a loop of concatenations, with
 * no regular expression.
 */
export class ArnTemplate {
  readonly text: string;
  /** Alternating literal, variable, literal, … (even indexes literal, odd indexes variable names). */
  readonly #parts: string[];

  constructor(text: string) {
    this.text = text;
    this.#parts = [];
    let at = 0;
    for (;;) {
      const open = text.indexOf('${', at);
      const close = open < 0 ? -1 : text.indexOf('}', open);
      if (close < 0) { this.#parts.push(text.slice(at)); break; }
      this.#parts.push(text.slice(at, open), text.slice(open + 2, close));
      at = close + 1;
    }
  }

  /** The variables the template needs, in order (`Partition`, `Region`, `Account`, …). */
  get variables(): string[] {
    return this.#parts.filter((_, i) => i % 2 === 1);
  }

  /** The filled ARN, or undefined when a variable has no value (the resource is then unknown). */
  fill(vars: (name: string) => string | undefined): string | undefined {
    const parts = this.#parts;
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const v = vars(parts[i]!);
      if (v === undefined || v === '') return undefined;
      out += v + parts[i + 1]!;
    }
    return out;
  }
}
