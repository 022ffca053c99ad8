import { accessSync, constants, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxCapability, SandboxFeatures } from '../ports/sandbox-driver.js';
import type { RootEntry } from './bwrap-args.js';
import { MountInto } from './mount-into.js';
import { detectCgroupLayout } from './cgroups/cgroup-layout.js';
import { CgroupTree } from './cgroups/cgroup-tree.js';
import type { OwnerTag } from './owner-tag.js';
import { compileSandboxSeccomp } from './seccomp/sandbox-seccomp-profile.js';
import { ensureNativeInit } from './native-init.js';
import { NetnsPool } from './netns-pool.js';

/** What the probe found and prepared, which every sandbox of the driver starts from. */
export interface BwrapSetup {
  tree: CgroupTree;
  seccomp: Buffer;
  rootEntries: RootEntry[];
  localtime: string | undefined;
  /** Outbound networking through slirp4netns works. */
  egress: boolean;
  init: { kind: 'native'; path: string } | { kind: 'shell' };
  netns: NetnsPool | undefined;
  /** Set where pre-initialized runtimes work (flint-mount-into builds and runs). */
  mountInto: MountInto | undefined;
}

export interface BwrapProbeInput {
  scratchRoot: string;
  init: 'auto' | 'native' | 'shell';
  netnsPool: number;
  preInitialized: boolean;
  tools: { bwrap: string; socat: string; slirp4netns: string };
  mountIntoPath: string | undefined;
  tag: OwnerTag;
  /** Starts a trial sandbox with the setup found so far; returns what went wrong, if anything. */
  trial(setup: BwrapSetup, network: 'default' | 'isolated'): Promise<string | undefined>;
}

const UNAVAILABLE: SandboxFeatures = { preInitialized: false, networkModes: [], outbound: false };

/**
 * The bwrap driver's probe: checks the host (Linux, root, bubblewrap, seccomp, cgroups, tools),
 * prepares what sandboxes share (cgroup tree, seccomp program, init, namespace pool), starts real
 * trial sandboxes, and answers with the capability — its features as a value — and the setup.
 */
export async function probeBwrap(input: BwrapProbeInput): Promise<{ capability: SandboxCapability; setup?: BwrapSetup }> {
  const no = (reason: string) => ({ capability: { available: false, isolated: true, reason, features: UNAVAILABLE } });
  const { tools } = input;
  if (process.platform !== 'linux') return no('bwrap needs Linux');
  if (process.getuid?.() !== 0) return no('bwrap driver needs root (it manages cgroups and runs each sandbox under its own uid)');
  try { accessSync(tools.bwrap, constants.X_OK); } catch { return no(`bubblewrap not found at ${tools.bwrap} (apt-get install bubblewrap)`); }
  let seccomp: Buffer;
  try { seccomp = compileSandboxSeccomp(); } catch (err) { return no((err as Error).message); }
  const cg = detectCgroupLayout();
  if (!cg.ok) return no(cg.reason);
  const setup: BwrapSetup = {
    tree: new CgroupTree(cg.layout, input.tag),
    // Compiled once per server; each sandbox reads the same bytes from a pipe.
    seccomp,
    rootEntries: rootEntries(),
    localtime: localtimeLink(),
    egress: false,
    init: { kind: 'shell' },
    netns: undefined,
    mountInto: undefined,
  };
  const notes: string[] = [`cgroup v${cg.layout.version}`];
  try {
    accessSync(tools.slirp4netns, constants.X_OK);
    setup.egress = true;
  } catch {
    notes.push(`slirp4netns not found at ${tools.slirp4netns}: network mode 'default' gets no outbound access (apt-get install slirp4netns)`);
  }
  if (input.init !== 'shell') {
    const built = ensureNativeInit(join(input.scratchRoot, 'bin'));
    if (built.ok) setup.init = { kind: 'native', path: built.path };
    else if (input.init === 'native') return no(built.reason);
    else notes.push(`${built.reason}: using the slower shell init (setpriv + sh + socat)`);
  }
  if (setup.init.kind === 'shell') {
    // These run inside the sandbox, so they must be under the bound /usr.
    if (tools.socat !== '/usr/bin/socat') return no('socat must be /usr/bin/socat (it runs inside the sandbox)');
    for (const [tool, path] of [['socat', '/usr/bin/socat'], ['util-linux (setpriv)', '/usr/bin/setpriv']] as const) {
      try { accessSync(path, constants.X_OK); } catch { return no(`${tool} not found at ${path}, needed without a C compiler (apt-get install ${tool.split(' ')[0]})`); }
    }
  }
  notes.push(`${setup.init.kind} init`);
  const init = setup.init;
  if (init.kind === 'native') {
    setup.netns = new NetnsPool({ initPath: init.path, target: input.netnsPool, ...(setup.egress ? { slirp4netns: tools.slirp4netns } : {}) });
  }
  // The honest test: start a real sandbox end to end (with egress, when there is a helper for it).
  if (setup.egress) {
    const why = await input.trial(setup, 'default');
    if (why) {
      setup.egress = false;
      setup.netns = init.kind === 'native' ? new NetnsPool({ initPath: init.path, target: input.netnsPool }) : undefined;
      notes.push(`outbound networking does not work here (${why}): network mode 'default' gets no outbound access`);
    }
  }
  const why = await input.trial(setup, 'isolated');
  if (why) return no(why);
  if (input.preInitialized) {
    const helper = await MountInto.prepare(join(input.scratchRoot, 'bin'), input.mountIntoPath);
    if (helper.ok) {
      setup.mountInto = helper.helper;
      notes.push('pre-initialized runtimes');
    } else {
      notes.push(`no pre-initialized runtimes (${helper.reason}): every Node.js and Python start is a cold start`);
    }
  }
  const features: SandboxFeatures = {
    preInitialized: setup.mountInto !== undefined,
    networkModes: ['default', 'isolated'],
    outbound: setup.egress,
    cgroupVersion: cg.layout.version,
  };
  return { capability: { available: true, isolated: true, features, notes }, setup };
}

/** The host's top-level system directories other than /usr, as symlinks (merged /usr) or directories. */
function rootEntries(): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${name}`;
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push({ name, symlink: readlinkSync(p) });
      else if (st.isDirectory()) out.push({ name });
    } catch { /* absent on this host */ }
  }
  return out;
}

/** The host's /etc/localtime link target when it is a symlink to a zone file under /usr. */
function localtimeLink(): string | undefined {
  try {
    if (!lstatSync('/etc/localtime').isSymbolicLink()) return undefined;
    return realpathSync('/etc/localtime').startsWith('/usr/share/zoneinfo/') ? readlinkSync('/etc/localtime') : undefined;
  } catch {
    return undefined;
  }
}
