import { SANDBOX_GID, SANDBOX_UID } from './scratch-space.js';
import { SANDBOX_API_SOCKET, withSandboxInit } from './sandbox-init-script.js';
import { dirname } from 'node:path';

/** Where things appear inside a bwrap sandbox (Lambda's layout). */
export const SANDBOX_PATHS = { taskRoot: '/var/task', opt: '/opt', runtimeDir: '/var/runtime', tmp: '/tmp' } as const;

/**
 * Host /etc entries a runtime may need (TLS roots, the dynamic linker cache, name service and
 * time zone configuration). Everything else of the host's /etc stays invisible.
 */
export const HOST_ETC_ENTRIES = [
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d',
  'nsswitch.conf', 'host.conf', 'gai.conf', 'localtime', 'mime.types', 'protocols', 'services', 'os-release',
] as const;

/** How each top-level system directory exists on the host: merged-/usr hosts make them symlinks. */
export type RootEntry = { name: string; symlink?: string };

export interface BwrapPlan {
  /** Host /bin, /lib, ... (symlink targets or real directories). */
  rootEntries: readonly RootEntry[];
  /** Host directory with generated passwd, group, hosts, resolv.conf.{default,isolated}. */
  etcDir: string;
  /** The sandbox's private host directory holding the Runtime API socket. */
  apiDir: string;
  network: 'default' | 'isolated';
  tmpBytes: number;
  /** File descriptor numbers in the bwrap process (stdio indexes). */
  fds: { info: number; block: number; seccomp: number; task: number; runtime: number; opt?: number; extra: { fd: number; path: string }[] };
  command: readonly string[];
}

/** The bwrap command line for a plan (pure: unit-tested without running anything). */
export function bwrapArgs(p: BwrapPlan): string[] {
  const a: string[] = [];
  a.push(
    // Unprivileged: bwrap itself runs as the sandbox's host uid; the user namespace maps that uid
    // to Lambda's 993 and nothing else, and forbids nested user namespaces.
    '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID), '--disable-userns',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--unshare-cgroup-try',
    '--hostname', 'localhost',
    '--die-with-parent', '--new-session',
    '--info-fd', String(p.fds.info), '--block-fd', String(p.fds.block), '--seccomp', String(p.fds.seccomp),
    '--ro-bind', '/usr', '/usr',
  );
  for (const e of p.rootEntries) {
    if (e.symlink !== undefined) a.push('--symlink', e.symlink, `/${e.name}`);
    else a.push('--ro-bind', `/${e.name}`, `/${e.name}`);
  }
  a.push('--dir', '/etc');
  for (const name of HOST_ETC_ENTRIES) a.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  for (const name of ['passwd', 'group', 'hosts']) a.push('--ro-bind', `${p.etcDir}/${name}`, `/etc/${name}`);
  a.push('--ro-bind', `${p.etcDir}/resolv.conf.${p.network}`, '/etc/resolv.conf');
  a.push('--proc', '/proc', '--dev', '/dev', '--remount-ro', '/dev');
  a.push('--size', String(p.tmpBytes), '--tmpfs', SANDBOX_PATHS.tmp);
  a.push('--ro-bind-fd', String(p.fds.task), SANDBOX_PATHS.taskRoot);
  a.push('--ro-bind-fd', String(p.fds.runtime), SANDBOX_PATHS.runtimeDir);
  if (p.fds.opt !== undefined) a.push('--ro-bind-fd', String(p.fds.opt), SANDBOX_PATHS.opt);
  else a.push('--dir', SANDBOX_PATHS.opt);
  for (const x of p.fds.extra) a.push('--ro-bind-fd', String(x.fd), x.path);
  a.push('--ro-bind', p.apiDir, dirname(SANDBOX_API_SOCKET));
  a.push('--chdir', SANDBOX_PATHS.taskRoot);
  // Everything mounted above is read-only already; this makes the root itself (the tmpfs bwrap
  // builds it on) read-only too, so /tmp is the only writable place.
  a.push('--remount-ro', '/');
  a.push('--', ...withSandboxInit(p.command));
  return a;
}
