// Refreshes a VM's recorded status from /proc, for `vm ps`, `vm stop|rm`, name checks and gc: a
// VM whose QEMU is gone has exited; so has an attached VM whose owning isobench process died (its
// QEMU dies with it, --pdeathsig), and a VM whose creator died before QEMU ran. A settled VM that
// removes itself (autoRemove) is removed here.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RootLayout } from '../paths.js';
import { findProcessesByArgv, isProcessAlive, isSameProcessAlive, type ProcessIdentity } from '../util/process.js';
import { QEMU_BINARY } from './qemu-args.js';
import { SerialParser } from './serial-parser.js';
import { type VmState, vmPaths, writeVmState } from './vm-state.js';

/** statusDetail of an attached VM whose owner died before it could record the exit. */
export const OWNER_DIED_DETAIL = 'the attached isobench process died before recording the exit';
/** statusDetail of a VM whose creator died before QEMU ran. */
export const NEVER_STARTED_DETAIL = 'its isobench process died before QEMU started';

/** True while the VM's QEMU process (pid + start time) exists. */
export function isQemuAlive(state: VmState): boolean {
  return isSameProcessAlive(state.qemuPid, state.qemuStartTicks);
}

/** True while the isobench process that created the VM runs. */
export function isOwnerAlive(state: VmState): boolean {
  if (state.ownerPid === undefined) return false;
  // Records written before start times were kept: the pid alone (it may have been reused).
  if (state.ownerStartTicks === undefined) return isProcessAlive(state.ownerPid);
  return isSameProcessAlive(state.ownerPid, state.ownerStartTicks);
}

/**
 * A QEMU of this VM whose pid was never recorded: its creator was killed between spawning it and
 * writing the pid. Its argv names the VM's own dir (QMP socket, overlay), which no other process has.
 */
export function findUnrecordedQemu(layout: RootLayout, state: VmState): ProcessIdentity | undefined {
  const dir = `${vmPaths(layout, state.id).dir}/`;
  const [found] = findProcessesByArgv(
    (argv) => argv.some((arg) => path.basename(arg) === QEMU_BINARY) && argv.some((arg) => arg.includes(dir)),
  );
  return found;
}

/** Resolves once QEMU has exited (or `timeoutMs` passed); true if it is gone. */
export async function waitQemuGone(state: VmState, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isQemuAlive(state)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isQemuAlive(state);
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

/**
 * Records a VM whose QEMU is gone as exited (exit code from the serial log when there is one), or
 * removes it when it removes itself. Returns the new state, undefined once removed (also when
 * someone else removed it meanwhile).
 */
export async function settleExited(layout: RootLayout, state: VmState, detail?: string): Promise<VmState | undefined> {
  const exitCode = state.exitCode ?? (await readDetachedExitCode(layout, state));
  const settled: VmState = {
    ...state,
    status: 'exited',
    ...(exitCode === undefined ? {} : { exitCode }),
    ...(detail === undefined || exitCode !== undefined ? {} : { statusDetail: detail }),
  };
  if (settled.autoRemove) {
    await fs.rm(vmPaths(layout, state.id).dir, { recursive: true, force: true });
    return undefined;
  }
  try {
    await writeVmState(layout, settled);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // `vm rm` was faster
    throw error;
  }
  return settled;
}

/**
 * `state` with its real status, persisted when it changed; undefined when the VM removed itself.
 * NOTE: never kills anything: an attached QEMU that outlived its owner is left to gcVms.
 */
export async function refreshVm(layout: RootLayout, state: VmState): Promise<VmState | undefined> {
  if (state.status === 'exited') return state;
  if (state.status === 'running') {
    if (isQemuAlive(state)) return state;
    if (state.mode === 'detached') return settleExited(layout, state);
    // Attached: the owner records the exit itself, unless it is gone.
    return isOwnerAlive(state) ? state : settleExited(layout, state, OWNER_DIED_DETAIL);
  }
  // created: QEMU not started yet, or started by a creator that died before recording its pid.
  if (isOwnerAlive(state)) return state;
  const qemu = findUnrecordedQemu(layout, state);
  if (!qemu) return settleExited(layout, state, NEVER_STARTED_DETAIL);
  if (state.mode === 'attached') return state;
  // A detached VM that did start: adopt its QEMU, so stop, rm and gc can reach it.
  const adopted: VmState = { ...state, status: 'running', qemuPid: qemu.pid, qemuStartTicks: qemu.startTicks };
  try {
    await writeVmState(layout, adopted);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return adopted;
}
