// Collects what dead owners left behind: attached VMs whose isobench process is gone (QEMU is
// killed if it somehow survived, the dir with its overlay and socket removed), exited
// auto-remove VMs, half-created VM dirs, and temp dirs of dead builders (in the state root, and
// kernel builds in the shared cache: only those whose owner process is gone).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cacheLayout, type RootLayout } from '../paths.js';
import { isProcessAlive, isSameProcessAlive } from '../util/process.js';
import { isQemuAlive, listVms } from './detached.js';
import { sweepStaleKernelBuilds } from './kernel-build.js';
import { listVmIds, readVmState, vmPaths } from './vm-state.js';

/** What one gc pass did. */
export interface VmGcReport {
  /** QEMU pids killed. */
  killedPids: number[];
  removedVms: string[];
  removedTemp: string[];
}

/** A VM dir without state.json younger than this may be under creation. */
const HALF_CREATED_GRACE_MS = 60_000;

/** Temp dirs made by the VM target are named <prefix><pid>-<random>; the pid says who owns them. */
export const VM_TEMP_PREFIXES = ['vm-disk-', 'kernel-tree-', 'kernel-download-'];

/** Runs one gc pass over layout.vm and layout.tmp. Safe while other isobench processes run. */
export async function gcVms(layout: RootLayout): Promise<VmGcReport> {
  const report: VmGcReport = { killedPids: [], removedVms: [], removedTemp: [] };
  for (const id of await listVmIds(layout)) {
    const paths = vmPaths(layout, id);
    const state = await readVmState(layout, id);
    if (!state) {
      const stat = await fs.stat(paths.dir).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > HALF_CREATED_GRACE_MS) {
        await fs.rm(paths.dir, { recursive: true, force: true });
        report.removedVms.push(id);
      }
      continue;
    }
    if (state.mode !== 'attached' || state.ownerPid === undefined) continue;
    const ownerAlive =
      state.ownerStartTicks === undefined
        ? isProcessAlive(state.ownerPid)
        : isSameProcessAlive(state.ownerPid, state.ownerStartTicks);
    if (ownerAlive) continue;
    if (await isQemuAlive(state)) {
      process.kill(state.qemuPid!, 'SIGKILL');
      report.killedPids.push(state.qemuPid!);
    }
    await fs.rm(paths.dir, { recursive: true, force: true });
    report.removedVms.push(id);
  }
  // Detached VMs that exited with autoRemove are removed by the status refresh.
  const before = new Set(await listVmIds(layout));
  await listVms(layout);
  for (const id of before)
    if (!(await fs.stat(vmPaths(layout, id).dir).catch(() => undefined))) report.removedVms.push(id);
  const entries = await fs.readdir(layout.tmp).catch(() => [] as string[]);
  for (const entry of entries) {
    const prefix = VM_TEMP_PREFIXES.find((p) => entry.startsWith(p));
    if (!prefix) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isFinite(pid) && isProcessAlive(pid)) continue;
    await fs.rm(path.join(layout.tmp, entry), { recursive: true, force: true });
    report.removedTemp.push(entry);
  }
  const cache = cacheLayout();
  for (const entry of await sweepStaleKernelBuilds(cache)) report.removedTemp.push(path.join(cache.tmp, entry));
  return report;
}
