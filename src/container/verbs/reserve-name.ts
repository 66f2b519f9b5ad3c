// `run`, second job: reserve the container's name under the containers lock (util/lock.ts), so
// two runs cannot take one name.
import { ConflictError } from '../../errors.js';
import { withLock } from '../../util/lock.js';
import type { RuntimeContext } from '../context.js';
import { refreshContainer } from '../refresh.js';
import { type ContainerPaths, type ContainerRecord, generateContainerName, writeRecord } from '../state.js';
import { readAllRecords } from './list.js';

/**
 * Reserves the name by writing the container's first state.json under the containers lock, so
 * two runs cannot take one name. Precondition: the container dir exists.
 * @throws ConflictError naming the container that holds the name and how to free it.
 */
export async function reserveName(
  ctx: RuntimeContext,
  record: ContainerRecord,
  paths: ContainerPaths,
  nameGiven: boolean,
) {
  await withLock(ctx.layout.locks, 'containers', async () => {
    const taken = new Map(readAllRecords(ctx).map((r) => [r.name, r]));
    const holder = taken.get(record.name);
    if (holder && nameGiven) {
      const live = await refreshContainer(ctx, holder);
      throw new ConflictError(
        `the name '${record.name}' is already used by container ${holder.id.slice(0, 12)} (${live.status})`,
        {
          hint: `remove it with \`isobench rm ${live.status === 'stopped' ? '' : '-f '}${record.name}\`, or choose another --name`,
        },
      );
    }
    for (let n = 2; taken.has(record.name); n++) record.name = `${generateContainerName(record.id)}_${n}`;
    writeRecord(paths, record);
  });
}
