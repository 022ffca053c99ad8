import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

const NSENTER = '/usr/bin/nsenter';
const SOCAT = '/usr/bin/socat';

/**
 * A connection from the host to 127.0.0.1:`port` inside the network namespace of process `pid` (a
 * sandbox's): socat joins only that namespace (nsenter --net; it keeps the host's filesystem and
 * users) and relays its stdio to the port. The way in for a debugger to the runtime's inspector,
 * which listens on the sandbox's own loopback: nothing is forwarded into a sandbox otherwise, and
 * the host side of this stays on the host's loopback (src/invoke/dev/inspector-forwarder.ts).
 */
export function connectInNetns(pid: number, port: number): Duplex {
  const child = spawn(NSENTER, [`--net=/proc/${pid}/ns/net`, '--', SOCAT, '-', `TCP:127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'ignore'], env: {} });
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const end = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.on('error', (err) => duplex.destroy(err));
  child.on('exit', () => duplex.destroy());
  duplex.on('close', end);
  return duplex;
}
