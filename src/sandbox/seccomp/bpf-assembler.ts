/**
 * A tiny classic-BPF assembler for seccomp filters. Each instruction is the kernel's
 * `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }` in host byte order; jumps name labels
 * and are resolved to the 8-bit forward offsets classic BPF allows.
 *
 * Why generate BPF ourselves: the filter is built once per server in TypeScript and handed to
 * bubblewrap through `--seccomp FD`, so no C compiler or libseccomp call is needed at install or
 * at sandbox start (compiling with libseccomp per start costs ~20 ms on these hosts).
 */

// Opcodes (linux/bpf_common.h).
const BPF_LD_W_ABS = 0x20;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_JGE_K = 0x35;
const BPF_JMP_JSET_K = 0x45;
const BPF_JMP_JA = 0x05;
const BPF_RET_K = 0x06;

type Target = string | 0;
type Instruction =
  | { op: 'ld'; offset: number }
  | { op: 'jeq' | 'jge' | 'jset'; k: number; jt: Target; jf: Target }
  | { op: 'ja'; to: string }
  | { op: 'ret'; k: number }
  | { op: 'label'; name: string };

export class BpfAssembler {
  #code: Instruction[] = [];

  /** A = 32-bit word at `offset` of struct seccomp_data. */
  load(offset: number): this { this.#code.push({ op: 'ld', offset }); return this; }
  /** if (A == k) goto jt else goto jf; 0 means "next instruction". */
  jeq(k: number, jt: Target, jf: Target = 0): this { this.#code.push({ op: 'jeq', k, jt, jf }); return this; }
  jge(k: number, jt: Target, jf: Target = 0): this { this.#code.push({ op: 'jge', k, jt, jf }); return this; }
  /** if (A & k) goto jt else goto jf. */
  jset(k: number, jt: Target, jf: Target = 0): this { this.#code.push({ op: 'jset', k, jt, jf }); return this; }
  jump(to: string): this { this.#code.push({ op: 'ja', to }); return this; }
  ret(k: number): this { this.#code.push({ op: 'ret', k }); return this; }
  label(name: string): this { this.#code.push({ op: 'label', name }); return this; }

  /** The program as bytes, ready for SECCOMP_SET_MODE_FILTER (or bwrap --seccomp). */
  assemble(): Buffer {
    const labels = new Map<string, number>();
    let pc = 0;
    for (const ins of this.#code) {
      if (ins.op === 'label') {
        if (labels.has(ins.name)) throw new Error(`bpf: duplicate label ${ins.name}`);
        labels.set(ins.name, pc);
      } else pc++;
    }
    if (pc === 0 || pc > 4096) throw new Error(`bpf: program length ${pc} out of range`);
    const out = Buffer.alloc(pc * 8);
    const rel = (target: Target, at: number, max: number): number => {
      if (target === 0) return 0;
      const dest = labels.get(target);
      if (dest === undefined) throw new Error(`bpf: unknown label ${target}`);
      const off = dest - at - 1;
      if (off < 0 || off > max) throw new Error(`bpf: jump to ${target} out of range (${off})`);
      return off;
    };
    pc = 0;
    for (const ins of this.#code) {
      if (ins.op === 'label') continue;
      let code: number, jt = 0, jf = 0, k: number;
      switch (ins.op) {
        case 'ld': code = BPF_LD_W_ABS; k = ins.offset; break;
        case 'jeq': case 'jge': case 'jset':
          code = ins.op === 'jeq' ? BPF_JMP_JEQ_K : ins.op === 'jge' ? BPF_JMP_JGE_K : BPF_JMP_JSET_K;
          jt = rel(ins.jt, pc, 255); jf = rel(ins.jf, pc, 255); k = ins.k; break;
        case 'ja': code = BPF_JMP_JA; k = rel(ins.to, pc, 0xffffffff); break;
        case 'ret': code = BPF_RET_K; k = ins.k; break;
      }
      const o = pc * 8;
      if (HOST_LITTLE_ENDIAN) { out.writeUInt16LE(code, o); out.writeUInt32LE(k >>> 0, o + 4); }
      else { out.writeUInt16BE(code, o); out.writeUInt32BE(k >>> 0, o + 4); }
      out.writeUInt8(jt, o + 2);
      out.writeUInt8(jf, o + 3);
      pc++;
    }
    return out;
  }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Offsets in struct seccomp_data (linux/seccomp.h). */
export const SeccompData = {
  nr: 0,
  arch: 4,
  /** Low 32 bits of argument i (little-endian hosts; high half at +4). */
  argLow: (i: number) => 16 + 8 * i + (HOST_LITTLE_ENDIAN ? 0 : 4),
  argHigh: (i: number) => 16 + 8 * i + (HOST_LITTLE_ENDIAN ? 4 : 0),
} as const;

export const SeccompRet = {
  killProcess: 0x80000000,
  allow: 0x7fff0000,
  errno: (e: number) => 0x00050000 | (e & 0xffff),
} as const;
