// Collects what dead owners left behind: the QEMU of an attached VM that outlived its isobench
// process (killed), VMs whose creator died before QEMU ran, exited auto-remove VMs, half-created
// VM dirs, and temp dirs of dead builders (in the state root, and kernel builds in the shared
// cache: only those whose owner process is gone), and snapshots made from files that changed since.
// Kept VMs that exited stay for `vm rm`.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cacheLayout, type RootLayout } from '../paths.js';
import { isProcessAlive, type ProcessIdentity } from '../util/process.js';
import { sweepStaleKernelBuilds } from './kernel-build.js';
import { SNAPSHOT_TEMP_PREFIX, sweepStaleSnapshots } from './snapshot-store.js';
import { findUnrecordedQemu, isOwnerAlive, isQemuAlive, refreshVm, waitQemuGone } from './vm-refresh.js';
import { listVmIds, readVmState, type VmState, vmPaths } from './vm-state.js';

/** What one gc pass did. */
export interface VmGcReport {
  /** QEMU pids killed. */
  killedPids: number[];
  removedVms: string[];
  removedTemp: string[];
  /** Snapshots whose kernel, disk or QEMU changed since they were taken (snapshot-store.ts). */
  removedSnapshots: string[];
}

/** A VM dir without state.json younger than this may be under creation. */
const HALF_CREATED_GRACE_MS = 60_000;

/** How long gc waits for a killed QEMU to exit before it settles the VM anyway. */
const KILL_WAIT_MS = 10_000;

/** Temp dirs made by the VM target are named <prefix><pid>-<random>; the pid says who owns them. */
export const VM_TEMP_PREFIXES = ['vm-disk-', 'kernel-tree-', 'kernel-download-', SNAPSHOT_TEMP_PREFIX];

/** The QEMU of an attached VM whose owner is dead, if it still runs (recorded, or found by its argv). */
function orphanedQemu(layout: RootLayout, state: VmState): ProcessIdentity | undefined {
  if (state.mode !== 'attached' || isOwnerAlive(state)) return undefined;
  if (isQemuAlive(state)) return { pid: state.qemuPid!, startTicks: state.qemuStartTicks! };
  return state.status === 'created' ? findUnrecordedQemu(layout, state) : undefined;
}

/** Runs one gc pass over layout.vm and layout.tmp. Safe while other isobench processes run. */
export async function gcVms(layout: RootLayout): Promise<VmGcReport> {
  const report: VmGcReport = { killedPids: [], removedVms: [], removedTemp: [], removedSnapshots: [] };
  for (const id of await listVmIds(layout)) {
    const paths = vmPaths(layout, id);
    let state = await readVmState(layout, id);
    if (!state) {
      const stat = await fs.stat(paths.dir).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > HALF_CREATED_GRACE_MS) {
        await fs.rm(paths.dir, { recursive: true, force: true });
        report.removedVms.push(id);
      }
      continue;
    }
    const orphan = orphanedQemu(layout, state);
    if (orphan) {
      process.kill(orphan.pid, 'SIGKILL');
      report.killedPids.push(orphan.pid);
      // Recorded as the QEMU it ran (its pid may never have been): refreshed below as exited.
      state = { ...state, status: 'running', qemuPid: orphan.pid, qemuStartTicks: orphan.startTicks };
      await waitQemuGone(state, KILL_WAIT_MS);
    }
    const refreshed = await refreshVm(layout, state);
    // A VM that exited without ever running QEMU holds nothing worth keeping.
    const neverRan = refreshed?.status === 'exited' && refreshed.qemuPid === undefined;
    if (neverRan) await fs.rm(paths.dir, { recursive: true, force: true });
    if (!refreshed || neverRan) report.removedVms.push(id);
  }
  const entries = await fs.readdir(layout.tmp).catch(() => [] as string[]);
  for (const entry of entries) {
    const prefix = VM_TEMP_PREFIXES.find((p) => entry.startsWith(p));
    if (!prefix) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isFinite(pid) && isProcessAlive(pid)) continue;
    await fs.rm(path.join(layout.tmp, entry), { recursive: true, force: true });
    report.removedTemp.push(entry);
  }
  for (const id of await sweepStaleSnapshots(layout)) report.removedSnapshots.push(id);
  const cache = cacheLayout();
  for (const entry of await sweepStaleKernelBuilds(cache)) report.removedTemp.push(path.join(cache.tmp, entry));
  return report;
}
