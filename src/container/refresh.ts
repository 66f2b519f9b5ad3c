// Refreshes a container's record: probes /proc and the exit file, derives the real status and,
// when it changed to stopped, records the exit in state.json (like youki's `refresh_status`).
import { readFileSync } from 'node:fs';
import { isSameProcessAlive } from '../util/process.js';
import type { RuntimeContext } from './context.js';
import {
  type ContainerRecord,
  containerPaths,
  deriveStatus,
  readRecord,
  signalName,
  toExitInfo,
  writeRecord,
} from './state.js';

function readOptionalText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Returns `record` with its derived status; persists a change to stopped unless the container removes itself. */
export async function refreshContainer(ctx: RuntimeContext, record: ContainerRecord): Promise<ContainerRecord> {
  if (record.status === 'stopped') return record;
  const paths = containerPaths(ctx.layout.containers, record.id);
  const derived = deriveStatus(record, {
    workloadAlive: isSameProcessAlive(record.pid, record.pidStartTime),
    monitorAlive: isSameProcessAlive(record.monitorPid, record.monitorStartTime),
    creatorAlive: isSameProcessAlive(record.creatorPid, record.creatorStartTime),
    exitFileText: readOptionalText(paths.exitFile),
  });
  if (derived.status === record.status) return record;
  const updated: ContainerRecord = {
    ...record,
    status: derived.status,
    finishedAt: record.finishedAt ?? new Date().toISOString(),
  };
  if (derived.exit) {
    const oomKills = await ctx.cgroups
      .open(record.id)
      .readOomKills()
      .catch(() => 0);
    const { exitCode, signalNumber } = derived.exit;
    updated.exit = toExitInfo(exitCode, signalNumber === 0 ? undefined : signalName(signalNumber), oomKills);
  } else if (derived.statusDetail !== undefined) {
    updated.statusDetail = derived.statusDetail;
  }
  // A --rm container's monitor deletes the dir: writing into it would race its rm -r.
  if (!record.remove) {
    // Someone (gc, stop, an attached creator) may have recorded the end since `record` was read:
    // theirs is the better record.
    const onDisk = readRecord(paths);
    if (onDisk === undefined || onDisk.status === 'stopped') return onDisk ?? updated;
    try {
      writeRecord(paths, updated);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return updated;
}
