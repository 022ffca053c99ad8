import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Addresses slirp4netns gives the namespace (its defaults). */
export const SLIRP_DNS = '10.0.2.3';

/** slirp4netns for the network namespace of `netnsPid`: ready on fd 3, exits when fd 4 closes. */
export function slirpArgs(netnsPid: number): string[] {
  return ['--configure', '--mtu=65520', '--disable-host-loopback', '--enable-seccomp', '--ready-fd=3', '--exit-fd=4', '--netns-type=path', `/proc/${netnsPid}/ns/net`, 'tap0'];
}

/** Its stdio: stderr (why it failed), the ready fd, the exit fd. */
export const SLIRP_STDIO: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'];

/**
 * Outbound networking for a sandbox's network namespace through slirp4netns: a user-mode TCP/IP
 * stack that turns the sandbox's packets into ordinary sockets of the slirp4netns process on the
 * host. Nothing can connect in (no port is forwarded) and `--disable-host-loopback` keeps the
 * host's 127.0.0.1 out of reach, so the sandbox sees the network the way a Lambda function does:
 * outbound only. It needs no host routing, NAT rules or forwarding sysctls.
 */
export class SlirpEgress {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(binary: string, netnsPid: number, timeoutMs = 5000): Promise<SlirpEgress> {
    const child = spawn(binary, slirpArgs(netnsPid), { stdio: SLIRP_STDIO, env: {} });
    const egress = new SlirpEgress(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 4096) stderr += c.toString(); });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('slirp4netns did not become ready in time')), timeoutMs);
        const fail = (why: string) => { clearTimeout(timer); reject(new Error(`slirp4netns failed: ${why}${stderr ? `: ${stderr.trim()}` : ''}`)); };
        (child.stdio[3] as Readable).once('data', () => { clearTimeout(timer); resolve(); });
        child.once('error', (err) => fail(err.message));
        child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
      });
    } catch (err) {
      egress.stop();
      throw err;
    }
    child.removeAllListeners('exit');
    child.on('error', () => {});
    return egress;
  }

  /** Lets the server exit while it waits in a pool (its exit fd still ties it to the server). */
  detach(): void {
    this.#child.unref();
    for (const s of this.#child.stdio as ({ unref?: () => void } | null)[]) s?.unref?.();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Closing the exit fd makes slirp4netns exit; SIGKILL makes sure. */
  stop(): void {
    (this.#child.stdio[4] as Writable | null)?.destroy();
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
