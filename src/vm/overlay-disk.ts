// The per-VM copy-on-write disk: a qcow2 file backed by the shared read-only base disk, so each VM
// writes only to its own overlay and the base stays unchanged.
import { runTool } from './tools.js';

/**
 * Creates `overlayPath` (qcow2) on top of `basePath`: the raw base disk, or (`backingFormat`
 * qcow2) a snapshot's saved disk. QEMU opens the backing file read-only.
 */
export async function createOverlayDisk(
  basePath: string,
  overlayPath: string,
  backingFormat: 'raw' | 'qcow2' = 'raw',
): Promise<void> {
  await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', backingFormat, '-b', basePath, overlayPath]);
}
