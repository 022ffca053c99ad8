import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostFreezer } from './host-freezer.js';

const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : existsSync('/sbin/ip') ? '/sbin/ip' : 'ip';
/** Where each live set of hosts records its owner pid and subnet (leftover cleanup reads it). */
const STATE_DIR = '/run/flint-hosts';
/** The private range the bridges use: 10.213.N.0/24, N picked free at creation. */
const RANGE = '10.213';

export interface NetnsHost {
  /** Short name given by the caller (`pg`, `api1`, `w2`). */
  readonly name: string;
  /** The network namespace (`ip netns exec <netns> …`). */
  readonly netns: string;
  /** Its address on the bridge, reachable from the root namespace and every other host. */
  readonly ip: string;
}

/** Why network-namespace hosts cannot be made here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network-namespace hosts need root (ip netns, bridges, veths)';
  try {
    execFileSync(IP, ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the `ip` command is missing (Debian package iproute2)';
  }
  return undefined;
}

function ip(args: string[], opts: { ignoreErrors?: boolean } = {}): string {
  try {
    return execFileSync(IP, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    if (opts.ignoreErrors) return '';
    const e = err as { stderr?: Buffer };
    throw new Error(`ip ${args.join(' ')}: ${e.stderr?.toString().trim() ?? String(err)}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Simulated hosts on one machine (the local cluster of `flint cluster up` and the fault tests):
 * a Linux bridge `<prefix>-br` with a private /24, and per host a network namespace
 * `<prefix>-<name>` joined to it by a veth pair, loopback up, one address. Processes run inside a
 * host with `spawn`; faults act on whole hosts: `kill` (SIGKILL of every process, sandboxes
 * included, through the host's cgroup), `partition`/`heal` (link down, or blackhole routes between
 * two hosts only), `pause`/`resume` (cgroup freezer). Only names with this prefix and addresses in
 * the bridge's subnet are ever touched; `teardown` is idempotent, and `create` first removes what a
 * crashed earlier owner of the same prefix left behind.
 */
export class NetnsHosts {
  readonly prefix: string;
  readonly bridge: string;
  /** `10.213.N` */
  readonly #net: string;
  readonly #hosts = new Map<string, NetnsHost>();
  readonly #freezers = new Map<string, HostFreezer | undefined>();
  readonly #blackholes = new Set<string>();
  #torn = false;

  private constructor(prefix: string, net: string) {
    this.prefix = prefix;
    this.bridge = `${prefix}-br`;
    this.#net = net;
  }

  /** `prefix`: 2–6 of [a-z0-9], so that every interface name stays within Linux's 15 characters. */
  static create(prefix: string): NetnsHosts {
    if (!/^[a-z][a-z0-9]{1,5}$/.test(prefix)) throw new Error(`host prefix must be 2-6 lowercase letters/digits starting with a letter, got '${prefix}'`);
    const reason = netnsSkipReason();
    if (reason) throw new Error(reason);
    const owner = NetnsHosts.ownerOf(prefix);
    if (owner !== undefined && alive(owner)) throw new Error(`hosts with prefix '${prefix}' belong to the running process ${owner} (\`flint cluster down\` removes them)`);
    NetnsHosts.cleanupLeftovers(prefix, { includeLive: false });
    const net = NetnsHosts.#freeSubnet();
    const hosts = new NetnsHosts(prefix, net);
    mkdirSync(STATE_DIR, { recursive: true });
    writeFileSync(join(STATE_DIR, `${prefix}.json`), JSON.stringify({ pid: process.pid, net }));
    try {
      ip(['link', 'add', hosts.bridge, 'type', 'bridge']);
      ip(['addr', 'add', `${net}.1/24`, 'dev', hosts.bridge]);
      ip(['link', 'set', hosts.bridge, 'up']);
    } catch (err) {
      hosts.teardown();
      throw err;
    }
    return hosts;
  }

  /** The pid that created hosts with exactly this prefix, when its state is recorded. */
  static ownerOf(prefix: string): number | undefined {
    try {
      return (JSON.parse(readFileSync(join(STATE_DIR, `${prefix}.json`), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }

  /**
   * Removes the namespaces, links, cgroups and state of exactly `prefix` when its owner process is
   * gone — or even when it lives, with includeLive (`flint cluster down`). Names are
   * `<prefix>-…`, so another prefix that merely starts the same is never touched.
   */
  static cleanupLeftovers(prefix: string, opts: { includeLive: boolean }): string[] {
    const owner = NetnsHosts.ownerOf(prefix);
    if (!opts.includeLive && owner !== undefined && alive(owner)) return [];
    const mine = (name: string) => name.startsWith(`${prefix}-`);
    const removed: string[] = [];
    for (const ns of ip(['netns', 'list'], { ignoreErrors: true }).split('\n').map((l) => l.split(' ')[0]!).filter(mine)) {
      for (const pid of ip(['netns', 'pids', ns], { ignoreErrors: true }).split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      ip(['netns', 'del', ns], { ignoreErrors: true });
      removed.push(ns);
    }
    HostFreezer.removeLeftovers(`${prefix}-`);
    for (const link of ip(['-o', 'link', 'show'], { ignoreErrors: true }).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((n): n is string => !!n && mine(n))) {
      ip(['link', 'del', link], { ignoreErrors: true });
      removed.push(link);
    }
    rmSync(join(STATE_DIR, `${prefix}.json`), { force: true });
    return removed;
  }

  static #freeSubnet(): string {
    const used = new Set<number>();
    for (const line of ip(['-4', 'route', 'show', 'table', 'all'], { ignoreErrors: true }).split('\n').concat(ip(['-4', '-o', 'addr'], { ignoreErrors: true }).split('\n'))) {
      for (const m of line.matchAll(new RegExp(`\\b${RANGE.replace('.', '\\.')}\\.(\\d+)\\.`, 'g'))) used.add(Number(m[1]));
    }
    if (existsSync(STATE_DIR)) {
      for (const f of readdirSync(STATE_DIR)) {
        try { used.add(Number((JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as { net: string }).net.split('.')[2])); } catch { /* unreadable: ignore */ }
      }
    }
    // Start at a pid-derived offset so that two runs starting at once rarely pick the same one.
    for (let i = 0; i < 256; i++) {
      const n = (process.pid + i) % 254 + 1;
      if (!used.has(n)) return `${RANGE}.${n}`;
    }
    throw new Error(`no free /24 left in ${RANGE}.0.0/16`);
  }

  /** The bridge's own address (the root namespace's side: the test runner, the CLI). */
  get gateway(): string {
    return `${this.#net}.1`;
  }

  get subnet(): string {
    return `${this.#net}.0/24`;
  }

  host(name: string): NetnsHost {
    const h = this.#hosts.get(name);
    if (!h) throw new Error(`no host '${name}'`);
    return h;
  }

  hosts(): NetnsHost[] {
    return [...this.#hosts.values()];
  }

  /** Makes host `name` (1–5 of [a-z0-9]): namespace, veth on the bridge, address .10+i, loopback up. */
  addHost(name: string): NetnsHost {
    if (!/^[a-z0-9]{1,5}$/.test(name)) throw new Error(`host name must be 1-5 lowercase letters/digits, got '${name}'`);
    if (this.#hosts.has(name) || name === 'br') throw new Error(`host '${name}' exists (or is the bridge's name)`);
    const index = this.#hosts.size + 10;
    if (index > 250) throw new Error('too many hosts');
    const h: NetnsHost = { name, netns: `${this.prefix}-${name}`, ip: `${this.#net}.${index}` };
    const outer = `${this.prefix}-${name}`;
    const inner = `${this.prefix}-${name}i`;
    ip(['netns', 'add', h.netns]);
    this.#hosts.set(name, h);
    ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    ip(['link', 'set', inner, 'netns', h.netns]);
    ip(['link', 'set', outer, 'master', this.bridge]);
    ip(['link', 'set', outer, 'up']);
    const inNs = (args: string[]) => ip(['-n', h.netns, ...args]);
    inNs(['link', 'set', 'lo', 'up']);
    inNs(['link', 'set', inner, 'name', 'eth0']);
    inNs(['addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
    inNs(['link', 'set', 'eth0', 'up']);
    this.#freezers.set(name, HostFreezer.open(`${this.prefix}-${name}`));
    return h;
  }

  /** The command line that runs `argv` inside the host (for callers that spawn themselves). */
  wrap(name: string, argv: string[]): string[] {
    const h = this.host(name);
    const freezer = this.#freezers.get(name);
    const netns = [IP, 'netns', 'exec', h.netns, ...argv];
    // The shell joins the host's cgroup before it execs, so every descendant belongs to the host.
    return freezer ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', freezer.procsFile, ...netns] : netns;
  }

  /** Starts a process inside host `name`; its pid is the process itself (the wrappers exec). */
  spawn(name: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const cmd = this.wrap(name, argv);
    return spawn(cmd[0]!, cmd.slice(1), opts);
  }

  /** Runs a short command inside the host and returns its output. */
  exec(name: string, argv: string[]): string {
    const cmd = this.wrap(name, argv);
    return execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  }

  /** Every pid of the host: its cgroup's and, for processes entered otherwise, its namespace's. */
  pids(name: string): number[] {
    const set = new Set(this.#freezers.get(name)?.pids() ?? []);
    for (const p of ip(['netns', 'pids', this.host(name).netns], { ignoreErrors: true }).split('\n').filter(Boolean)) set.add(Number(p));
    return [...set];
  }

  /** kill -9 the whole host (a machine that lost power): every process in it, at once. */
  kill(name: string): void {
    this.#freezers.get(name)?.killAll();
    for (const pid of this.pids(name)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }

  /**
   * Cuts host `name` off. Without `from`: its link goes down (no one reaches it, it reaches no
   * one, the root namespace included). With `from`: only those hosts, both directions, by
   * blackhole routes in each namespace (a cut between a worker and the database while the api
   * still reaches the worker).
   */
  partition(name: string, from?: string[]): void {
    const h = this.host(name);
    if (!from) {
      ip(['link', 'set', `${this.prefix}-${name}`, 'down']);
      return;
    }
    for (const peer of from.map((p) => this.host(p))) {
      for (const [a, b] of [[h, peer], [peer, h]] as const) {
        const key = `${a.name}>${b.name}`;
        if (this.#blackholes.has(key)) continue;
        ip(['-n', a.netns, 'route', 'add', 'blackhole', `${b.ip}/32`]);
        this.#blackholes.add(key);
      }
    }
  }

  /** Undoes every partition of host `name`. */
  heal(name: string): void {
    this.host(name);
    ip(['link', 'set', `${this.prefix}-${name}`, 'up']);
    for (const key of [...this.#blackholes]) {
      const [a, b] = key.split('>') as [string, string];
      if (a !== name && b !== name) continue;
      ip(['-n', this.host(a).netns, 'route', 'del', 'blackhole', `${this.host(b).ip}/32`], { ignoreErrors: true });
      this.#blackholes.delete(key);
    }
  }

  /** Stops every process of the host where it stands (cgroup freezer; SIGSTOP without one). */
  pause(name: string): void {
    const f = this.#freezers.get(name);
    if (f) f.freeze();
    else for (const pid of this.pids(name)) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
  }

  resume(name: string): void {
    const f = this.#freezers.get(name);
    if (f) f.thaw();
    else for (const pid of this.pids(name)) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
  }

  /** Kills every host's processes and removes namespaces, links, cgroups and state. Idempotent. */
  teardown(): void {
    if (this.#torn) return;
    this.#torn = true;
    for (const name of this.#hosts.keys()) {
      try { this.resume(name); } catch { /* not paused */ }
      this.kill(name);
    }
    for (const [name, h] of this.#hosts) {
      this.#freezers.get(name)?.remove();
      ip(['netns', 'del', h.netns], { ignoreErrors: true });
      ip(['link', 'del', `${this.prefix}-${name}`], { ignoreErrors: true });
    }
    ip(['link', 'del', this.bridge], { ignoreErrors: true });
    rmSync(join(STATE_DIR, `${this.prefix}.json`), { force: true });
    this.#hosts.clear();
  }
}
