// Classic BPF for seccomp: the few instructions a filter needs, and an assembler that emits the
// program from its last instruction to its first. Emitting backwards, every jump target already
// exists, so each offset is known when the jump is emitted; a target further than a conditional
// jump's 8-bit offset reach gets an unconditional `ja` (32-bit offset) placed right after the jump.

/** One sock_filter (linux/filter.h): 8 bytes, little-endian. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Opcodes used here (linux/bpf_common.h). */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  RET_K: 0x06,
} as const;

/** The kernel refuses longer programs (BPF_MAXINSNS). */
export const BPF_MAX_INSNS = 4096;

/** Where an instruction is, counted from the end of the program (0 = the last one). */
export type Label = number;

/** seccomp_data (linux/seccomp.h) offsets: nr, arch, then six 64-bit args. */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  argLow: (index: number) => 16 + 8 * index,
  argHigh: (index: number) => 20 + 8 * index,
} as const;

const JUMP_REACH = 255;

/** Builds a program backwards; `finish()` returns it first instruction first. */
export class ReverseAssembler {
  private readonly reversed: BpfInsn[] = [];

  /** Instructions emitted so far. */
  get length(): number {
    return this.reversed.length;
  }

  private push(insn: BpfInsn): Label {
    this.reversed.push(insn);
    return this.reversed.length - 1;
  }

  /** Offset from the instruction about to be emitted to `target` (the number of instructions skipped). */
  private distance(target: Label): number {
    return this.reversed.length - target - 1;
  }

  /** `ret k`. */
  ret(k: number): Label {
    return this.push({ code: BPF.RET_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** `ld [offset]` (a 32-bit word of seccomp_data), then continue at the next instruction. */
  load(offset: number): Label {
    return this.push({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: offset });
  }

  /** `and #k`. */
  and(k: number): Label {
    return this.push({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  /** `ja target`. */
  jumpTo(target: Label): Label {
    return this.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: this.distance(target) });
  }

  /**
   * A conditional jump (`code` is JEQ/JGT/JGE with K): to `ifTrue` when it holds, else `ifFalse`.
   * Precondition: both labels were emitted already (they come later in the program).
   */
  branch(code: number, k: number, ifTrue: Label, ifFalse: Label): Label {
    let t = ifTrue;
    let f = ifFalse;
    // A trampoline for one target moves the other one further: check until both are in reach.
    while (this.distance(t) > JUMP_REACH || this.distance(f) > JUMP_REACH) {
      if (this.distance(t) > JUMP_REACH) t = this.jumpTo(t);
      else f = this.jumpTo(f);
    }
    return this.push({ code, jt: this.distance(t), jf: this.distance(f), k: k >>> 0 });
  }

  /** The program in execution order. */
  finish(): BpfInsn[] {
    return [...this.reversed].reverse();
  }
}

/** The program as the kernel takes it (struct sock_filter[], little-endian). */
export function encodeProgram(program: readonly BpfInsn[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  program.forEach((insn, i) => {
    if (insn.jt > 255 || insn.jf > 255) throw new RangeError(`instruction ${i}: jump offset over 255`);
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k >>> 0, true);
  });
  return out;
}
