// disk: bytes on disk the target needs for the image (shared by every instance) and the bytes
// one instance adds in its own writable layer (upper dir, qcow2 overlay, scratch dir).
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureDisk: MeasureIteration = async (context) => {
  const imageBytes = await context.target.imageFootprintBytes(context.workload);
  return runToExit(context, async (instance) => ({
    values: { 'disk.image': imageBytes, 'disk.instance': await instance.writableBytes() },
  }));
};
