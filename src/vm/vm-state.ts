// The on-disk record of one VM (layout.vm/vms/<id>/state.json): what runs, which QEMU process,
// who owns it. gcVms and the detached verbs read it; it is always written atomically.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { Accel } from '../vocabulary.js';
import type { VmMachine } from './definition.js';

/** Lifecycle: created (overlay made, QEMU not yet started) -> running -> exited. */
export type VmStatus = 'created' | 'running' | 'exited';

export interface VmState {
  id: string;
  name: string;
  /** The image reference as given, and its manifest digest. */
  image: string;
  digest: string;
  accel: Accel;
  machine: VmMachine;
  /** attached: dies with its owner; detached: runs until stopped. */
  mode: 'attached' | 'detached';
  status: VmStatus;
  createdAt: string;
  qemuPid?: number;
  /** /proc/<pid>/stat start time of QEMU, in clock ticks since boot. */
  qemuStartTicks?: number;
  /**
   * The isobench process that created the VM, and its start time: an attached VM lives only as long
   * as it does; a detached one needs it only until QEMU runs (status `created`).
   */
  ownerPid?: number;
  ownerStartTicks?: number;
  exitCode?: number;
  /** Why an exited VM has no exit code (its owner died), set when a refresh settles it. */
  statusDetail?: string;
  /** Remove the VM dir when it exits. */
  autoRemove: boolean;
  /** The run's marker nonce (detached VMs: to read the exit code from serial.log). */
  nonce?: string;
}

/** The files of one VM. */
export interface VmPaths {
  dir: string;
  state: string;
  overlay: string;
  qmpSocket: string;
  serialLog: string;
  qemuLog: string;
}

/** Directory holding one dir per VM. */
export function vmsDir(layout: RootLayout): string {
  return path.join(layout.vm, 'vms');
}

/** Paths of VM `id` (12 hex; short so the QMP socket path stays under the 108-byte limit). */
export function vmPaths(layout: RootLayout, id: string): VmPaths {
  if (!/^[0-9a-f]{12}$/.test(id)) throw new InputError(`expected a VM id of 12 hex digits, got '${id}'`);
  const dir = path.join(vmsDir(layout), id);
  return {
    dir,
    state: path.join(dir, 'state.json'),
    overlay: path.join(dir, 'disk.qcow2'),
    qmpSocket: path.join(dir, 'qmp.sock'),
    serialLog: path.join(dir, 'serial.log'),
    qemuLog: path.join(dir, 'qemu.log'),
  };
}

/** A fresh random VM id. */
export function newVmId(): string {
  return randomBytes(6).toString('hex');
}

/** Writes state.json atomically; `durable: false` as writeFileAtomic's (for an update a power cut voids). */
export async function writeVmState(
  layout: RootLayout,
  state: VmState,
  options: { durable?: boolean } = {},
): Promise<void> {
  await writeJsonAtomic(vmPaths(layout, state.id).state, state, options);
}

/** Reads one VM's state, or undefined when its dir has no complete state.json. */
export async function readVmState(layout: RootLayout, id: string): Promise<VmState | undefined> {
  try {
    return JSON.parse(await fs.readFile(vmPaths(layout, id).state, 'utf8')) as VmState;
  } catch {
    return undefined;
  }
}

/** Ids of every VM dir (complete or not). */
export async function listVmIds(layout: RootLayout): Promise<string[]> {
  const entries = await fs.readdir(vmsDir(layout)).catch(() => [] as string[]);
  return entries.filter((entry) => /^[0-9a-f]{12}$/.test(entry)).sort();
}

/** Finds a VM by id, unique id prefix or name. */
export async function findVm(layout: RootLayout, idOrName: string): Promise<VmState> {
  const states = (await Promise.all((await listVmIds(layout)).map((id) => readVmState(layout, id)))).filter(
    (s): s is VmState => s !== undefined,
  );
  const byName = states.find((s) => s.name === idOrName);
  if (byName) return byName;
  const byId = idOrName.length >= 4 ? states.filter((s) => s.id.startsWith(idOrName)) : [];
  if (byId.length === 1) return byId[0]!;
  if (byId.length > 1) throw new ConflictError(`VM id prefix '${idOrName}' is ambiguous`, { hint: 'give more digits' });
  throw new NotFoundError(`no VM '${idOrName}'`, { hint: 'list VMs with `isobench vm ps -a`' });
}
