import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Output } from '../../src/cli/output.js';
import { reportError } from '../../src/cli/error-report.js';
import { CliError } from '../../src/cli/cli-error.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { s: { isTTY, write: (c: string) => chunks.push(c) } as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

test('output: a table is plain aligned text when piped, with a bold header on a terminal unless NO_COLOR', () => {
  const piped = stream(false);
  new Output('text', piped.s, {}).table(['NAME', 'MEMORY'], [['a', '128 MB'], ['longer', '10240 MB']], new Set([1]));
  assert.equal(piped.text(), 'NAME      MEMORY\na         128 MB\nlonger  10240 MB\n');
  const tty = stream(true);
  new Output('text', tty.s, {}).table(['NAME'], [['a']]);
  assert.equal(tty.text(), '\u001b[1mNAME\u001b[22m\na\n');
  const noColor = stream(true);
  new Output('text', noColor.s, { NO_COLOR: '1' }).table(['NAME'], [['a']]);
  assert.equal(noColor.text(), 'NAME\na\n');
});

test('errors: one line without a stack, exit code from the error; --debug adds the stack; a TypeError asks for a report', () => {
  let text = '';
  const write = (t: string) => (text += t);
  assert.equal(reportError(new CliError('bad thing', 2), false, write), 2);
  assert.equal(text, 'error: bad thing\n');
  text = '';
  assert.equal(reportError(new Error('plain'), true, write), 1);
  assert.match(text, /^error: plain\nError: plain\n    at /);
  text = '';
  assert.equal(reportError(new TypeError('x is undefined'), false, write), 1);
  assert.equal(text, 'error: x is undefined\n(this looks like a bug in flint: run again with --debug and report the trace)\n');
  text = '';
  const sdk = Object.assign(new Error('Throttled'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
  assert.equal(reportError(sdk, false, write), 1);
  assert.equal(text, 'error: TooManyRequestsException: Throttled\n');
});
