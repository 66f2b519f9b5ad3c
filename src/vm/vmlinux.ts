// Turns a Debian bzImage (vmlinuz, XZ payload) into the uncompressed ELF vmlinux that microvm
// boots directly through the PVH entry point (CONFIG_PVH=y).
import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { IntegrityError } from '../errors.js';
import { missingTool } from './tools.js';

/** Start of an XZ stream: FD 37 7A 58 5A 00. */
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Byte offset of the first XZ stream in `image`, or -1. Pure. */
export function findXzOffset(image: Uint8Array): number {
  return Buffer.from(image.buffer, image.byteOffset, image.byteLength).indexOf(XZ_MAGIC);
}

/** True when `data` starts with the ELF magic. Pure. */
export function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && Buffer.from(data.subarray(0, 4)).equals(ELF_MAGIC);
}

/**
 * Decompresses the XZ payload of `vmlinuzPath` into `outPath` (overwritten) and checks it is an ELF.
 * Trailing bytes after the stream (the bzImage tail) are ignored via --single-stream.
 */
export async function extractVmlinux(vmlinuzPath: string, outPath: string): Promise<void> {
  const image = await fs.readFile(vmlinuzPath);
  const offset = findXzOffset(image);
  if (offset < 0) {
    throw new IntegrityError(`${vmlinuzPath} holds no XZ stream: not a Debian XZ-compressed bzImage`);
  }
  try {
    await execa('xz', ['-dc', '--single-stream'], { input: image.subarray(offset), stdout: { file: outPath } });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool('xz');
    throw new IntegrityError(`decompressing the kernel in ${vmlinuzPath} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const head = Buffer.alloc(4);
  const check = await fs.open(outPath, 'r');
  try {
    await check.read(head, 0, 4, 0);
  } finally {
    await check.close();
  }
  if (!isElf(head)) throw new IntegrityError(`the XZ payload of ${vmlinuzPath} is not an ELF vmlinux`);
}
