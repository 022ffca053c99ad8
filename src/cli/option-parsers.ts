import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { LAMBDA_RUNTIMES, flintRuns } from '../app/runtime-offer.js';

/**
 * Commander argument parsers for the options that mirror Lambda settings: a bad value stops the
 * command before anything is packaged or sent, with commander's one-line
 * `error: option '--memory <mb>' argument 'abc' is invalid. <why>` and exit code 2.
 */

/** A whole number in [min, max] (Lambda's ranges: MemorySize 128–10240 MB, Timeout 1–900 s). */
export function integerIn(min: number, max: number, unit: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`Expected a whole number of ${unit} from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`Lambda allows ${min} to ${max} ${unit}.`);
    return n;
  };
}

/** Lambda's environment variable names: `[a-zA-Z]([a-zA-Z0-9_])+` (the API model's pattern). */
const ENV_NAME = /^[a-zA-Z][a-zA-Z0-9_]+$/;

/** `--env KEY=VALUE`, repeatable; the value may be empty or hold `=`. */
export function envPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`Expected KEY=VALUE, e.g. --env STAGE=dev.`);
  const key = value.slice(0, eq);
  if (!ENV_NAME.test(key)) throw new InvalidArgumentError(`'${key}' is not a Lambda environment variable name: a letter, then letters, digits or _ (at least 2 characters).`);
  return { ...previous, [key]: value.slice(eq + 1) };
}

/** `--env-file .env`: dotenv syntax (Node's own parser), each name checked as for --env. */
export function envFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`Cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
  }
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseEnv(text))) {
    if (!ENV_NAME.test(k)) throw new InvalidArgumentError(`${file}: '${k}' is not a Lambda environment variable name.`);
    vars[k] = v ?? '';
  }
  return vars;
}

/** A runtime from Lambda's list that Flint runs. */
export function runtimeName(value: string): string {
  if (!LAMBDA_RUNTIMES.includes(value)) {
    const ours = LAMBDA_RUNTIMES.filter(flintRuns).sort();
    throw new InvalidArgumentError(`Not a Lambda runtime. Flint runs: ${ours.join(', ')}.`);
  }
  if (!flintRuns(value)) throw new InvalidArgumentError(`Flint cannot run ${value}: it runs nodejs*.x on the host's Node.js, python3.* on its python3, and provided.al2/provided.al2023 (your own bootstrap).`);
  return value;
}

/** Repeatable string option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A TCP port (0: any free port). */
export function portNumber(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) throw new InvalidArgumentError('Expected a port number from 0 to 65535.');
  return Number(value);
}
