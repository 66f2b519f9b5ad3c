// A minimal writer for the cpio "newc" format the kernel unpacks as an initramfs: regular files,
// directories and symlinks, with fixed owners and mtimes so equal inputs give equal bytes.

/** One archive member; `path` is relative, without a leading slash. */
export type CpioEntry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Uint8Array }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function member(ino: number, mode: number, name: string, body: Uint8Array, rdev = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [ino, mode, 0, 0, 1, 0, body.length, 0, 0, rdev[0]!, rdev[1]!, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return [header, nameBytes, pad4(header.length + nameBytes.length), Buffer.from(body), pad4(body.length)];
}

/** Serialises `entries` (parents before children) as one newc archive with its TRAILER. Pure. */
export function writeCpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const name = entry.path.replace(/^\/+/, '');
    if (entry.kind === 'dir') parts.push(...member(i + 1, S_IFDIR | (entry.mode & 0o7777), name, new Uint8Array()));
    else if (entry.kind === 'file') parts.push(...member(i + 1, S_IFREG | (entry.mode & 0o7777), name, entry.data));
    else if (entry.kind === 'symlink') parts.push(...member(i + 1, S_IFLNK | 0o777, name, Buffer.from(entry.target)));
    else {
      const mode = S_IFCHR | (entry.mode & 0o7777);
      parts.push(...member(i + 1, mode, name, new Uint8Array(), [entry.major, entry.minor]));
    }
  });
  parts.push(...member(0, 0, 'TRAILER!!!', new Uint8Array()));
  return Buffer.concat(parts);
}
