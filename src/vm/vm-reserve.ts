// VM names are unique: a VM's dir and first state.json are created under the `vms` lock, after
// checking every other VM's name, so two parallel `vm run --name X` cannot both take X (the
// container path reserves its names the same way, under its `containers` lock).
import { promises as fs } from 'node:fs';
import { ConflictError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { withLock } from '../util/lock.js';
import { refreshVm } from './vm-refresh.js';
import { listVmIds, readVmState, type VmState, vmPaths, writeVmState } from './vm-state.js';

/**
 * Throws ConflictError when another VM holds `name`. A holder that has exited and removes itself
 * is refreshed away first, so its name is free again.
 */
export async function assertVmNameFree(layout: RootLayout, name: string): Promise<void> {
  for (const id of await listVmIds(layout)) {
    const state = await readVmState(layout, id);
    if (state?.name !== name) continue;
    const holder = await refreshVm(layout, state);
    if (!holder) continue;
    throw new ConflictError(`the VM name '${name}' is already used by VM ${id} (${holder.status})`, {
      hint: `remove it with \`isobench vm rm ${holder.status === 'exited' ? '' : '-f '}${name}\`, or choose another --name`,
    });
  }
}

/**
 * Creates the dir of VM `state.id` and writes its first state.json, holding the `vms` lock from the
 * name check to the write. Nothing is created when the name is taken.
 * @throws ConflictError naming the VM that holds the name.
 */
export async function createVmRecord(layout: RootLayout, state: VmState): Promise<void> {
  await withLock(layout.locks, 'vms', async () => {
    await assertVmNameFree(layout, state.name);
    await fs.mkdir(vmPaths(layout, state.id).dir, { recursive: true });
    await writeVmState(layout, state);
  });
}
