// Detached VMs: start one in the background (serial console to a file), list them with a fresh
// status, stop them through QMP (SIGKILL as the fallback), and remove them.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ConflictError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { isSameProcessAlive, readProcessStartTicks } from '../util/process.js';
import { spawnDetachedQemu } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import { prepareVm, type VmLaunchOptions } from './prepare.js';
import { buildPreparedQemuArgs, newVmState } from './prepared-launch.js';
import { connectQmp } from './qmp.js';
import { SerialParser } from './serial-parser.js';
import {
  assertNameFree,
  findVm,
  listVmIds,
  newVmId,
  readVmState,
  type VmState,
  vmPaths,
  writeVmState,
} from './vm-state.js';

/** Options of {@link startVm}. */
export interface StartVmOptions extends VmLaunchOptions {
  /** Remove the VM dir once QEMU has exited (noticed by listVms/gcVms). */
  autoRemove?: boolean;
}

/** Boots a VM in the background and returns its state (status running). */
export async function startVm(layout: RootLayout, options: StartVmOptions): Promise<VmState> {
  if (options.name !== undefined) await assertNameFree(layout, options.name);
  const prepared = await prepareVm(layout, options);
  const id = newVmId();
  const paths = vmPaths(layout, id);
  const nonce = randomBytes(8).toString('hex');
  await fs.mkdir(paths.dir, { recursive: true });
  const state: VmState = { ...newVmState(prepared, id, options.name, 'detached', options.autoRemove === true), nonce };
  try {
    await writeVmState(layout, state);
    await createOverlayDisk(prepared.baseDiskPath, paths.overlay);
    const args = await buildPreparedQemuArgs(prepared, paths, {
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

/** True while the VM's QEMU process (pid + start time) exists. */
export async function isQemuAlive(state: VmState): Promise<boolean> {
  return isSameProcessAlive(state.qemuPid, state.qemuStartTicks);
}

/** The workload exit code from a detached VM's serial log, if the guest reported one. */
export async function readDetachedExitCode(layout: RootLayout, state: VmState): Promise<number | undefined> {
  if (state.nonce === undefined) return undefined;
  const log = await fs.readFile(vmPaths(layout, state.id).serialLog, 'utf8').catch(() => '');
  let exitCode: number | undefined;
  const parser = new SerialParser(state.nonce, { onExit: (code) => (exitCode = code) });
  parser.feed(log);
  parser.end();
  return exitCode;
}

/** Marks a VM whose QEMU is gone as exited (and removes it when autoRemove). Returns the new state. */
async function settleExited(layout: RootLayout, state: VmState): Promise<VmState | undefined> {
  const settled: VmState = {
    ...state,
    status: 'exited',
    exitCode: state.exitCode ?? (await readDetachedExitCode(layout, state)),
  };
  if (settled.autoRemove) {
    await fs.rm(vmPaths(layout, state.id).dir, { recursive: true, force: true });
    return undefined;
  }
  await writeVmState(layout, settled);
  return settled;
}

/** Every VM with its status refreshed (a running VM whose QEMU died becomes exited). */
export async function listVms(layout: RootLayout): Promise<VmState[]> {
  const states: VmState[] = [];
  for (const id of await listVmIds(layout)) {
    const state = await readVmState(layout, id);
    if (!state) continue;
    if (state.status === 'running' && state.mode === 'detached' && !(await isQemuAlive(state))) {
      const settled = await settleExited(layout, state);
      if (settled) states.push(settled);
      continue;
    }
    states.push(state);
  }
  return states;
}

async function waitGone(state: VmState, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isQemuAlive(state))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !(await isQemuAlive(state));
}

/** Stops a VM: QMP quit, then SIGKILL if QEMU is still there after `graceMs`. */
export async function stopVm(layout: RootLayout, idOrName: string, graceMs = 3_000): Promise<VmState | undefined> {
  const state = await findVm(layout, idOrName);
  if (await isQemuAlive(state)) {
    try {
      const qmp = await connectQmp(vmPaths(layout, state.id).qmpSocket, 1_000);
      await qmp.quit();
    } catch {
      // No QMP (socket gone, QEMU wedged): the signal below does it.
    }
    if (!(await waitGone(state, graceMs))) {
      process.kill(state.qemuPid!, 'SIGKILL');
      await waitGone(state, graceMs);
    }
  }
  return settleExited(layout, state);
}

/** Removes a VM's dir; a running VM needs `force` (it is stopped first). */
export async function removeVm(layout: RootLayout, idOrName: string, force = false): Promise<void> {
  const state = await findVm(layout, idOrName);
  if (await isQemuAlive(state)) {
    if (!force)
      throw new ConflictError(`VM ${state.name} is running`, {
        hint: `stop it first, or use \`isobench vm rm -f ${state.name}\``,
      });
    await stopVm(layout, state.id);
  }
  await fs.rm(vmPaths(layout, state.id).dir, { recursive: true, force: true });
}
