import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Where Python is for the check (the server's runtime uses the same lookup: python3 on PATH). */
const PYTHON = 'python3';
const PARSE_PY = 'import ast,sys\nwith open(sys.argv[1],"rb") as f: ast.parse(f.read(), sys.argv[1])';

/**
 * A quick syntax check of a saved source file, so a broken edit is reported the moment it is
 * saved, in one line, before anything invokes it: `node --check` for JavaScript, Python's own
 * parser (without writing bytecode into the watched folder) for Python. Resolves undefined when
 * the file parses, or is of another kind, or is gone.
 */
export function syntaxError(dir: string, file: string): Promise<string | undefined> {
  const ext = extname(file);
  const path = join(dir, file);
  let cmd: [string, string[]];
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') cmd = [process.execPath, ['--check', path]];
  else if (ext === '.py') cmd = [PYTHON, ['-B', '-c', PARSE_PY, path]];
  else return Promise.resolve(undefined);
  if (!existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(cmd[0], cmd[1], { timeout: 5000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      resolve(describe(file, String(stderr), ext === '.py'));
    });
  });
}

/** `index.js:3: SyntaxError: Unexpected token '}'` from node's or Python's report. */
function describe(file: string, stderr: string, python: boolean): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const message = [...lines].reverse().find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines.at(-1) ?? 'syntax error';
  const line = python ? /line (\d+)/.exec(lines.find((l) => /File ".*", line \d+/.test(l)) ?? '')?.[1] : /:(\d+)$/.exec(lines[0] ?? '')?.[1];
  return `${file}${line ? `:${line}` : ''}: ${message}`;
}
