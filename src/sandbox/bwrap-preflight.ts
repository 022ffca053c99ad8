import { existsSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { SandboxSpec } from '../ports/sandbox-driver.js';
import { SANDBOX_PATHS } from './bwrap-args.js';

/*
 * Checks and readings around one bwrap launch: the command exists and runs before any sandbox is
 * built (preflightCommand), an interpreter outside /usr gets its prefix bound (extraHostDirs), and
 * bwrap's info fd names the sandbox's first process (readInfo).
 */

/** What #start needs: a spec whose task root may be missing (an unbound sandbox: code comes at bind). */
export type StartSpec = Omit<SandboxSpec, 'taskRoot'> & { taskRoot: string | undefined };

/** Reads bwrap's --info-fd JSON and returns the pid of the sandbox's first process. */
export function readInfo(stream: Readable, child: { once(ev: 'exit', fn: (code: number | null) => void): unknown }): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onExit = (code: number | null) => reject(new Error(`bwrap exited (${code}) before the sandbox started`));
    child.once('exit', onExit);
    stream.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) {
        stream.removeAllListeners('data');
        stream.resume(); // drain to EOF, or the child's 'close' never comes
        (child as unknown as NodeJS.EventEmitter).off('exit', onExit);
        resolve(Number(m[1]));
      }
    });
  });
}

/**
 * An interpreter installed outside /usr (e.g. a Node.js under /opt/node or a version manager's
 * directory) is bound read-only at its own path: its install prefix (the directory above bin/),
 * nothing else of where it lives.
 */
export function extraHostDirs(command: string | undefined): string[] {
  if (!command || !command.startsWith('/')) return [];
  for (const p of Object.values(SANDBOX_PATHS)) if (command.startsWith(p + '/')) return [];
  if (!existsSync(command) || /^\/(usr|bin|sbin|lib|lib64)\//.test(realpathSync(command))) return [];
  const prefix = join(command, '..', '..');
  return prefix === '/' || prefix === '/usr' ? [] : [prefix];
}

/**
 * Fails like spawn() would for a command that is missing or not executable (ENOENT / EACCES), so
 * callers get the same errors as from the process driver, before any sandbox is built.
 */
export function preflightCommand(spec: StartSpec): void {
  const cmd = spec.argv[0];
  if (!cmd) throw new Error('sandbox: empty argv');
  const inside: [string, string | undefined][] = [
    [SANDBOX_PATHS.taskRoot, spec.taskRoot ?? ''],
    [SANDBOX_PATHS.runtimeDir, spec.runtimeDir],
    [SANDBOX_PATHS.opt, spec.layers.length > 0 ? undefined : ''],
  ];
  let host = cmd;
  for (const [prefix, hostDir] of inside) {
    if (!cmd.startsWith(prefix + '/')) continue;
    if (hostDir === undefined) {
      // /opt of several layers: the last layer holding the file wins, as in the merged view.
      const rel = cmd.slice(prefix.length);
      host = [...spec.layers].reverse().map((l) => l + rel).find((p) => existsSync(p)) ?? spec.layers[0]! + rel;
    } else host = hostDir === '' ? '/nonexistent' + cmd : hostDir + cmd.slice(prefix.length);
  }
  const fail = (code: 'ENOENT' | 'EACCES') => Object.assign(new Error(`spawn ${cmd} ${code}`), { code, errno: code === 'ENOENT' ? -2 : -13, syscall: `spawn ${cmd}`, path: cmd });
  let st;
  try { st = statSync(host); } catch { throw fail('ENOENT'); }
  if (!st.isFile() || (st.mode & 0o001) === 0) throw fail('EACCES');
}
