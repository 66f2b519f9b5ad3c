// What a container's processes may do beyond their uid: the capability set and no_new_privs.
// `run` resolves it once and keeps it in the container's dir, so every `exec` into the container
// gets the same, as in Docker.
import { readFileSync, writeFileSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { ALL_CAPS, type CapabilityName, DOCKER_DEFAULT_CAPS, resolveCapabilities } from './capabilities.js';

/** The process-level security of a container. */
export interface ProcessSecurity {
  /** Bounding set; also permitted and effective when the process runs as uid 0. */
  capabilities: CapabilityName[];
  /**
   * prctl(PR_SET_NO_NEW_PRIVS): setuid binaries and file capabilities gain nothing. isobench's
   * default is on (Docker's is off): `--security-opt no-new-privileges=false` turns it off.
   */
  noNewPrivileges: boolean;
}

/** What run gives when nothing is asked: Docker's default caps, with no_new_privs on. */
export const DEFAULT_PROCESS_SECURITY: ProcessSecurity = {
  capabilities: resolveCapabilities(),
  noNewPrivileges: true,
};

/** Writes the container's security for later `exec`s (the dir is the container's, made by run). */
export function writeProcessSecurity(file: string, security: ProcessSecurity): void {
  writeFileSync(file, `${JSON.stringify(security)}\n`, { mode: 0o600 });
}

/**
 * Reads what writeProcessSecurity wrote. A container started before the file existed ran with
 * the defaults, so an absent file reads as them.
 */
export function readProcessSecurity(file: string): ProcessSecurity {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { capabilities: [...DOCKER_DEFAULT_CAPS], noNewPrivileges: true };
    }
    throw error;
  }
  const stored = JSON.parse(text) as Partial<Record<keyof ProcessSecurity, unknown>>;
  const caps = stored.capabilities;
  if (
    typeof stored.noNewPrivileges !== 'boolean' ||
    !Array.isArray(caps) ||
    !caps.every((c) => (ALL_CAPS as readonly unknown[]).includes(c))
  ) {
    throw new EnvironmentError(`the container's security settings ${file} are damaged`, {
      hint: 'remove the container and run it again',
    });
  }
  return { capabilities: caps as CapabilityName[], noNewPrivileges: stored.noNewPrivileges };
}
