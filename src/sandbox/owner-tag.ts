import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/**
 * Names what one server instance creates on the host (cgroup directories, scratch directories,
 * mounts) so that a later server can tell its own leftovers from a live server's: the tag holds
 * the owning process's pid and its kernel start time (pid reuse cannot fake both), plus a nonce
 * because several Flint instances may share one process (tests).
 */
export class OwnerTag {
  readonly pid: number;
  readonly startTime: string;
  readonly nonce: string;

  constructor(pid: number, startTime: string, nonce: string) {
    this.pid = pid;
    this.startTime = startTime;
    this.nonce = nonce;
  }

  static forThisProcess(): OwnerTag {
    return new OwnerTag(process.pid, processStartTime(process.pid) ?? '0', randomBytes(4).toString('hex'));
  }

  /** `flint-<pid>-<start>-<nonce>`: the directory name for this instance's resources. */
  get name(): string {
    return `flint-${this.pid}-${this.startTime}-${this.nonce}`;
  }

  static parse(name: string): OwnerTag | undefined {
    const m = /^flint-(\d+)-(\d+)-([0-9a-f]+)$/.exec(name);
    return m ? new OwnerTag(Number(m[1]), m[2]!, m[3]!) : undefined;
  }

  /** True while the owning process still runs (same pid and same start time). */
  ownerAlive(): boolean {
    return processStartTime(this.pid) === this.startTime;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined if gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}
