// `gc`: clean what crashed runs left behind: half-created containers, attached runs whose CLI
// died, workloads whose monitor was killed, cgroups without a container, and stale temp dirs.
// Named volumes are kept (only `volume rm` removes them); a volume created or removed halfway
// is a temp dir (volume-<pid>-..., volume-rm-<pid>-...) that the tmp sweep below removes, and
// "in use" is derived from the container records this cleans, so it needs nothing more here.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../errors.js';
import { isProcessAlive, isSameProcessAlive } from '../../util/process.js';
import type { RuntimeContext } from '../context.js';
import { collectNetworks } from '../network/networks.js';
import { refreshContainer } from '../refresh.js';
import { type ContainerRecord, containerPaths, readRecord, writeRecord } from '../state.js';
import { listContainerIds } from './list.js';
import { deleteContainerDir, destroyContainer, mountsUnder } from './remove.js';
import { signalWorkload } from './stop.js';

/** What gc did; every entry names a container (id and name), a cgroup id or a path. */
export interface GcReport {
  /** Containers removed: half-created, or --rm ones that stopped without removing themselves. */
  removedContainers: string[];
  /** Containers found running on paper but dead, now recorded as stopped (exit unknown). */
  markedStopped: string[];
  /** Workloads still running without their monitor (or attached creator), killed and marked stopped. */
  killedOrphans: string[];
  /** Container dirs gc could not read (corrupt state.json), removed. */
  removedCorrupt: string[];
  /** Cgroup ids without a container dir, removed. */
  removedCgroups: string[];
  /** Stale dirs/files in the state root's tmp dir, removed. */
  removedTmpEntries: string[];
  /** Bridges of this root without a network record (a crashed create or rm), deleted. */
  removedBridges: string[];
  /** Address leases of containers that are gone or stopped, released. */
  removedLeases: string[];
  /** Things gc left alone and why. */
  skipped: string[];
}

/** Temp entries younger than this are never touched (their owner may just be starting). */
export const TMP_MIN_AGE_MS = 60_000;

/** The owner pid encoded in a temp entry's name ("<label>-<pid>-<random>" or "<label>.<pid>.<random>"). */
export function ownerPidOfTmpName(name: string): number | undefined {
  const match = /[-.](\d{1,10})[-.]/.exec(name);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return pid > 0 ? pid : undefined;
}

const label = (r: ContainerRecord) => `${r.id.slice(0, 12)} (${r.name})`;

/** True when the workload runs but nobody will record its exit: its monitor (detached) or creator (attached) died. */
function isOrphan(record: ContainerRecord): boolean {
  if (record.status !== 'running' || !isSameProcessAlive(record.pid, record.pidStartTime)) return false;
  if (record.detached) return !isSameProcessAlive(record.monitorPid, record.monitorStartTime);
  return (
    !isSameProcessAlive(record.creatorPid, record.creatorStartTime) ||
    !isSameProcessAlive(record.monitorPid, record.monitorStartTime)
  );
}

async function collectContainer(ctx: RuntimeContext, id: string, report: GcReport): Promise<void> {
  const paths = containerPaths(ctx.layout.containers, id);
  let record: ContainerRecord | undefined;
  try {
    record = readRecord(paths);
  } catch {
    record = undefined;
  }
  if (!record) {
    // No (readable) state: a dir whose creator died between mkdir and its first write, or corrupt.
    const ageMs = Date.now() - statSync(paths.dir).mtimeMs;
    if (ageMs < TMP_MIN_AGE_MS) {
      report.skipped.push(`${id.slice(0, 12)}: no state.json yet (created ${Math.round(ageMs / 1000)} s ago)`);
      return;
    }
    await ctx.cgroups.open(id).destroy();
    await deleteContainerDir(paths.dir);
    report.removedCorrupt.push(id);
    return;
  }
  if (record.status === 'creating' && !isSameProcessAlive(record.creatorPid, record.creatorStartTime)) {
    await destroyContainer(ctx, record);
    report.removedContainers.push(`${label(record)}: its creator died while creating it`);
    return;
  }
  if (isOrphan(record)) {
    signalWorkload(record, 'SIGKILL');
    const stopped: ContainerRecord = {
      ...record,
      status: 'stopped',
      finishedAt: new Date().toISOString(),
      statusDetail: record.detached
        ? 'killed by gc: its monitor had died'
        : 'killed by gc: the attached isobench process had died',
    };
    if (record.remove) {
      await destroyContainer(ctx, stopped);
      report.removedContainers.push(`${label(record)}: orphaned --rm container, killed`);
      return;
    }
    // Kill the rest of it (exec'd processes) but keep the cgroup's accounting for inspect.
    for (const pid of await ctx.cgroups.open(id).readPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    writeRecord(paths, stopped);
    report.killedOrphans.push(label(record));
    return;
  }
  const before = record.status;
  const current = await refreshContainer(ctx, record);
  if (current.status !== 'stopped') return;
  if (record.remove) {
    await destroyContainer(ctx, current);
    report.removedContainers.push(`${label(record)}: stopped --rm container`);
  } else if (before !== 'stopped' && current.exit === undefined) {
    report.markedStopped.push(`${label(record)}: ${current.statusDetail}`);
  }
}

/** Removes entries of `tmpDir` older than a minute whose owner pid (in the name) is dead and that hold no mount. */
function collectTmp(tmpDir: string, report: GcReport): void {
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch {
    return;
  }
  for (const name of names) {
    const entry = path.join(tmpDir, name);
    const pid = ownerPidOfTmpName(name);
    if (pid === undefined || isProcessAlive(pid)) continue;
    let ageMs: number;
    try {
      ageMs = Date.now() - statSync(entry).mtimeMs;
    } catch {
      continue;
    }
    if (ageMs < TMP_MIN_AGE_MS) continue;
    const mounts = mountsUnder(entry);
    if (mounts.length > 0) {
      report.skipped.push(`${entry}: still mounted (${mounts.join(', ')}); unmount it and run gc again`);
      continue;
    }
    rmSync(entry, { recursive: true, force: true });
    report.removedTmpEntries.push(entry);
  }
}

/**
 * Cleans leftovers of crashed or killed runs (see GcReport). Safe to run while other runs are
 * in progress: a container being created by a live process is left alone.
 */
export async function collectGarbage(ctx: RuntimeContext): Promise<GcReport> {
  requireRoot('gc');
  const report: GcReport = {
    removedContainers: [],
    markedStopped: [],
    killedOrphans: [],
    removedCorrupt: [],
    removedCgroups: [],
    removedTmpEntries: [],
    removedBridges: [],
    removedLeases: [],
    skipped: [],
  };
  // NOTE: cgroups are listed BEFORE container dirs: a run creates its dir before its cgroup, so
  // every cgroup listed here whose container is alive has a dir in the scan below.
  const cgroupIds = await ctx.cgroups.listIds();
  const containerIds = listContainerIds(ctx);
  for (const id of containerIds) {
    try {
      await collectContainer(ctx, id, report);
    } catch (error) {
      report.skipped.push(`${id.slice(0, 12)}: ${(error as Error).message}`);
    }
  }
  const known = new Set(containerIds);
  for (const id of cgroupIds) {
    if (known.has(id)) continue;
    try {
      await ctx.cgroups.open(id).destroy();
      report.removedCgroups.push(id);
    } catch (error) {
      report.skipped.push(`cgroup ${id}: ${(error as Error).message}`);
    }
  }
  collectTmp(ctx.layout.tmp, report);
  // After the containers: the ones killed or removed above have given up their addresses.
  try {
    const networks = await collectNetworks(ctx.layout);
    report.removedBridges.push(...networks.removedBridges);
    report.removedLeases.push(...networks.removedLeases);
  } catch (error) {
    report.skipped.push(`networks: ${(error as Error).message}`);
  }
  return report;
}
