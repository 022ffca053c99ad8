import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C source, reached through src/ from both src/sandbox and dist/sandbox (like the runtimes). */
export const NATIVE_INIT_SOURCE = fileURLToPath(new URL('../../src/sandbox/init/flint-sandbox-init.c', import.meta.url));

export type NativeInit = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Builds flint-sandbox-init once per source version into `dir` (`flint-sandbox-init-<hash>`),
 * statically linked so its exec inside the sandbox needs no dynamic loader. Returns why not when
 * there is no C compiler (the driver then uses the shell init).
 */
export function ensureNativeInit(dir: string, compiler = 'cc'): NativeInit {
  return ensureNativeHelper(NATIVE_INIT_SOURCE, 'flint-sandbox-init', dir, compiler);
}

/**
 * Compiles one of the driver's C helpers (`src/sandbox/init/<name>.c`) once per source version
 * and architecture into `dir/<name>-<hash>`, statically linked where the host has a static libc.
 */
export function ensureNativeHelper(sourcePath: string, name: string, dir: string, compiler = 'cc'): NativeInit {
  let source: Buffer;
  try {
    source = readFileSync(sourcePath);
  } catch (err) {
    return { ok: false, reason: `${name} source missing: ${(err as Error).message}` };
  }
  const hash = createHash('sha256').update(source).update(process.arch).digest('hex').slice(0, 16);
  const path = join(dir, `${name}-${hash}`);
  if (existsSync(path)) return { ok: true, path };
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    for (const flags of [['-static'], []]) {
      try {
        execFileSync(compiler, ['-O2', '-s', ...flags, '-o', tmp, sourcePath], { stdio: 'pipe', timeout: 60_000 });
        renameSync(tmp, path);
        return { ok: true, path };
      } catch (err) {
        if (flags.length === 0) throw err;
        // No static libc on this host: a dynamic binary works as well, a little slower to start.
      }
    }
    return { ok: false, reason: 'unreachable' };
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { code?: string; stderr?: Buffer; message: string };
    const why = e.code === 'ENOENT' ? `no C compiler (${compiler})` : (e.stderr?.toString().trim() || e.message).split('\n')[0];
    return { ok: false, reason: `cannot build ${name}: ${why}` };
  }
}
