// Detached VMs: start one in the background (serial console to a file), list them with a fresh
// status, stop them through QMP (SIGKILL as the fallback), and remove them.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ConflictError, NotFoundError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { readProcessStartTicks } from '../util/process.js';
import { spawnDetachedQemu } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import { prepareVm, type VmLaunchOptions } from './prepare.js';
import { buildPreparedQemuArgs, newVmState } from './prepared-launch.js';
import { connectQmp } from './qmp.js';
import { isQemuAlive, refreshVm, settleExited, waitQemuGone } from './vm-refresh.js';
import { assertVmNameFree, createVmRecord } from './vm-reserve.js';
import { findVm, listVmIds, newVmId, readVmState, type VmState, vmPaths, writeVmState } from './vm-state.js';

/** Options of {@link startVm}. */
export interface StartVmOptions extends VmLaunchOptions {
  /** Remove the VM dir once QEMU has exited (noticed by listVms/gcVms). */
  autoRemove?: boolean;
}

/** Boots a VM in the background and returns its state (status running). @throws ConflictError when the name is taken. */
export async function startVm(layout: RootLayout, options: StartVmOptions): Promise<VmState> {
  // Early and cheap, before the kernel and disk are prepared; createVmRecord decides under the lock.
  if (options.name !== undefined) await assertVmNameFree(layout, options.name);
  const prepared = await prepareVm(layout, options);
  const id = newVmId();
  const paths = vmPaths(layout, id);
  const nonce = randomBytes(8).toString('hex');
  const state: VmState = {
    ...newVmState(prepared, id, options.name, 'detached', options.autoRemove === true),
    nonce,
    ownerPid: process.pid,
    ownerStartTicks: readProcessStartTicks(process.pid),
  };
  await createVmRecord(layout, state);
  try {
    await createOverlayDisk(prepared.baseDiskPath, paths.overlay);
    const args = buildPreparedQemuArgs(prepared, paths, {
      nonce,
      hostname: state.name,
      serial: { kind: 'file', path: paths.serialLog },
    });
    state.qemuPid = await spawnDetachedQemu(args, paths.qemuLog);
    state.qemuStartTicks = readProcessStartTicks(state.qemuPid);
    state.status = 'running';
    await writeVmState(layout, state);
    return state;
  } catch (error) {
    if (state.qemuPid !== undefined) process.kill(state.qemuPid, 'SIGKILL');
    await fs.rm(paths.dir, { recursive: true, force: true });
    throw error;
  }
}

/** Finds a VM by id, id prefix or name, with its status refreshed. @throws NotFoundError */
async function findLiveVm(layout: RootLayout, idOrName: string): Promise<VmState> {
  const state = await refreshVm(layout, await findVm(layout, idOrName));
  if (!state) throw new NotFoundError(`no VM '${idOrName}' (it exited and removed itself)`);
  return state;
}

/** Every VM with its status refreshed (see refreshVm); VMs that removed themselves are left out. */
export async function listVms(layout: RootLayout): Promise<VmState[]> {
  const states: VmState[] = [];
  for (const id of await listVmIds(layout)) {
    const state = await readVmState(layout, id);
    const refreshed = state && (await refreshVm(layout, state));
    if (refreshed) states.push(refreshed);
  }
  return states;
}

/** Stops a VM: QMP quit, then SIGKILL if QEMU is still there after `graceMs`. */
export async function stopVm(layout: RootLayout, idOrName: string, graceMs = 3_000): Promise<VmState | undefined> {
  const state = await findLiveVm(layout, idOrName);
  if (isQemuAlive(state)) {
    try {
      const qmp = await connectQmp(vmPaths(layout, state.id).qmpSocket, 1_000);
      await qmp.quit();
    } catch {
      // No QMP (socket gone, QEMU wedged): the signal below does it.
    }
    if (!(await waitQemuGone(state, graceMs))) {
      process.kill(state.qemuPid!, 'SIGKILL');
      await waitQemuGone(state, graceMs);
    }
  }
  return state.status === 'exited' ? state : settleExited(layout, state);
}

/** Removes a VM's dir; a running VM needs `force` (it is stopped first). */
export async function removeVm(layout: RootLayout, idOrName: string, force = false): Promise<void> {
  const state = await findLiveVm(layout, idOrName);
  if (isQemuAlive(state)) {
    if (!force)
      throw new ConflictError(`VM ${state.name} is running`, {
        hint: `stop it first, or use \`isobench vm rm -f ${state.name}\``,
      });
    await stopVm(layout, state.id);
  }
  await fs.rm(vmPaths(layout, state.id).dir, { recursive: true, force: true });
}
