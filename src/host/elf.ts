// Tells a statically linked ELF from a dynamic one (busybox-static must run inside an empty rootfs).

import { open } from 'node:fs/promises';

const PT_INTERP = 3;

/**
 * True when the file is a 64-bit little-endian ELF without a PT_INTERP program header (no dynamic
 * loader needed), false for a dynamic or non-ELF file (elf(5)).
 */
export async function isStaticElf(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    // ELF magic, ELFCLASS64, ELFDATA2LSB.
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    if (phentsize < 4 || phnum === 0 || phnum > 4096) return false;
    const table = Buffer.alloc(phentsize * phnum);
    const { bytesRead } = await handle.read(table, 0, table.length, phoff);
    for (let offset = 0; offset + 4 <= bytesRead; offset += phentsize) {
      if (table.readUInt32LE(offset) === PT_INTERP) return false;
    }
    return bytesRead === table.length;
  } finally {
    await handle.close();
  }
}
