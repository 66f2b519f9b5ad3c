// Shared by the benchmarks: one standing runc bundle (image overlay mounted once) that an external
// timer can run again and again with the same `runc run --bundle B <id>` command line.
import { resolveUser } from '../../src/container/user.js';
import { ImageStore } from '../../src/image/store.js';
import { buildOciConfig } from '../../src/targets/oci-bundle.js';
import { runTool } from '../../src/targets/peer-exec.js';
import { newInstanceId, PEER_CGROUP_PARENT } from '../../src/targets/peer-oci-target.js';
import {
  bundlePaths,
  createPeerBundle,
  type PeerBundlePaths,
  removeCgroupEverywhere,
  removePeerBundle,
} from '../../src/targets/peer-rootfs.js';
import type { WorkloadSpec } from '../../src/targets/types.js';
import type { Cleanups } from './cleanups.js';

/** Builds the bundle under `root` for `workload` (its image must be in the store); removal is registered in `cleanups`. */
export async function prepareRuncBundle(
  root: string,
  cleanups: Cleanups,
  workload: WorkloadSpec,
): Promise<{ id: string; paths: PeerBundlePaths }> {
  const store = await ImageStore.open(root);
  const image = await store.resolve(workload.image);
  const lowerDirs = await store.lowerDirs(image);
  const user = await resolveUser(image.config.config.User, lowerDirs);
  const id = newInstanceId('runc');
  const cgroupsPath = `${PEER_CGROUP_PARENT}/${id}`;
  const config = buildOciConfig({
    image: image.config.config,
    workload,
    rootfsPath: bundlePaths(root, id).rootfs,
    hostname: id.slice(0, 63),
    cgroupsPath,
    user,
  });
  // Registered before mounting: createPeerBundle removes its own partial work on failure.
  cleanups.add('the runc bundle', async () => {
    await runTool('runc', ['delete', '-f', id]).catch(() => undefined);
    await removePeerBundle(bundlePaths(root, id));
    await removeCgroupEverywhere(cgroupsPath);
    await removeCgroupEverywhere(PEER_CGROUP_PARENT);
  });
  const paths = await createPeerBundle({ root, id, runtime: 'runc', lowerDirs, cgroupsPath, config });
  return { id, paths };
}
