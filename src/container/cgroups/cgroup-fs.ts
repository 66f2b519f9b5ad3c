// The seam between the cgroup logic and the kernel: every cgroupfs access goes through CgroupFs,
// so unit tests can stand in a fake kernel over a temp dir (youki's Syscall trait, in small).

import { access, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { EnvironmentError, IsobenchError } from '../../errors.js';

export interface CgroupFs {
  /** Creates one dir (not recursive); rejects with the errno code (EEXIST, ENOENT) like fs.mkdir. */
  mkdir(dir: string): Promise<void>;
  /** Removes one cgroup dir; cgroupfs rejects with EBUSY while it holds tasks or child cgroups. */
  rmdir(dir: string): Promise<void>;
  readFile(file: string): Promise<string>;
  /** Writes a control file in one write(2); the kernel applies the value or rejects it (EINVAL...). */
  writeFile(file: string, text: string): Promise<void>;
  exists(file: string): Promise<boolean>;
  /** Names of the subdirectories of dir (child cgroups). */
  listDirs(dir: string): Promise<string[]>;
  /** kill(2); rejects ESRCH when the process is gone. */
  kill(pid: number, signal: NodeJS.Signals): void;
}

/** The real thing: node:fs on the mounted cgroupfs. */
export const nodeCgroupFs: CgroupFs = {
  mkdir: async (dir) => {
    await mkdir(dir);
  },
  rmdir: (dir) => rmdir(dir),
  readFile: (file) => readFile(file, 'utf8'),
  writeFile: (file, text) => writeFile(file, text),
  exists: async (file) => {
    try {
      await access(file);
      return true;
    } catch {
      return false;
    }
  },
  listDirs: async (dir) =>
    (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name),
  kill: (pid, signal) => process.kill(pid, signal),
};

/** The errno code of a Node fs error (or of the cause of our wrapped error), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof IsobenchError) return errnoCode(error.cause);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Writes a control file, turning a kernel refusal into an EnvironmentError naming file, value and errno. */
export async function writeControlFile(fs: CgroupFs, file: string, value: string): Promise<void> {
  try {
    await fs.writeFile(file, value);
  } catch (error) {
    const code = errnoCode(error) ?? String(error);
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? 'cgroups need root: run isobench as root'
        : code === 'ENOENT'
          ? 'the controller file is missing: check that the controller is enabled for this cgroup'
          : 'the kernel refused the value: check it is within the controller range';
    throw new EnvironmentError(`cannot write '${value}' to ${file}: ${code}`, { hint, cause: error });
  }
}

/** Reads a control file, or undefined when it does not exist (old kernel, controller not there, cgroup gone). */
export async function readOptionalFile(fs: CgroupFs, file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENODEV') return undefined;
    throw error;
  }
}
