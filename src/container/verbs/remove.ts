// `rm`: remove a stopped container (or, with force, kill a running one first): its cgroup, its
// dirs and its state. Refuses to delete a dir something is still mounted under.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ConflictError, InternalError, requireRoot } from '../../errors.js';
import { isSameProcessAlive } from '../../util/process.js';
import type { RuntimeContext } from '../context.js';
import { releaseContainerAddress } from '../network/attach.js';
import { type ContainerRecord, containerPaths } from '../state.js';
import { findContainer } from './list.js';

export interface RemoveOptions {
  /** Kill a running container (SIGKILL) instead of refusing. */
  force?: boolean;
}

/** Decodes the octal escapes mountinfo uses for spaces and the like in paths (proc(5)). */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Mount points at or below `dir` in our mount namespace (field 5 of /proc/self/mountinfo). */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const target = unescapeMountPath(field);
    if (target === dir || target.startsWith(`${dir}/`)) found.push(target);
  }
  return found;
}

/**
 * Deletes a container dir recursively. The rootfs is mounted only inside the container's own
 * mount namespace; should a mount show up here anyway, deleting through it would write
 * whiteouts into (or, for a bind, delete from) what it exposes, so we refuse.
 * @throws InternalError naming the mounts.
 */
export async function deleteContainerDir(dir: string): Promise<void> {
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) {
    throw new InternalError(`refusing to delete ${dir}: ${mounts.join(', ')} still mounted`, {
      hint: `unmount with \`umount -R ${mounts[0]}\` and run \`isobench gc\``,
    });
  }
  // Retries: an attached run's creator may be writing its final record into the dir right now.
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
}

/** Kills what is left in the container's cgroup, removes it and the container dir. */
export async function destroyContainer(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  await ctx.cgroups.open(record.id).destroy();
  await deleteContainerDir(containerPaths(ctx.layout.containers, record.id).dir);
  // Its veth went with its net namespace when the last process died; its address goes now.
  await releaseContainerAddress(ctx.layout, record);
}

/**
 * Removes a container. Running (or still being created) ones are refused unless `force`,
 * which SIGKILLs the workload and waits for it to be gone first.
 * @throws NotFoundError, ConflictError (running without force).
 */
export async function removeContainer(
  ctx: RuntimeContext,
  nameOrId: string,
  options: RemoveOptions = {},
): Promise<void> {
  requireRoot('removing a container');
  const record = await findContainer(ctx, nameOrId);
  if (record.status !== 'stopped') {
    if (!options.force) {
      throw new ConflictError(`container ${record.name} is ${record.status}`, {
        hint: `stop it first with \`isobench stop ${record.name}\`, or remove it anyway with \`isobench rm -f ${record.name}\``,
      });
    }
    if (record.status === 'creating') {
      throw new ConflictError(`container ${record.name} is still being created by process ${record.creatorPid}`, {
        hint: 'wait until it has started, then remove it',
      });
    }
    if (isSameProcessAlive(record.pid, record.pidStartTime)) {
      try {
        process.kill(record.pid!, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  }
  // destroy() SIGKILLs everything left in the cgroup (workload, exec'd processes, monitor) first.
  await destroyContainer(ctx, record);
}
