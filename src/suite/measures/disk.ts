// disk: bytes on disk the target needs for the image (shared by every instance), the part of it
// that is the image's own (a VM's kernel file is shared by every VM image that boots it), and the
// bytes one instance adds in its own writable layer (upper dir, qcow2 overlay, scratch dir).
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureDisk: MeasureIteration = async (context) => {
  const { target, workload } = context;
  const imageBytes = await target.imageFootprintBytes(workload);
  const parts = await target.imageFootprintParts?.(workload);
  const values: Record<string, number> = { 'disk.image': imageBytes };
  if (parts === undefined) {
    values['disk.image_own'] = imageBytes;
  } else {
    values['disk.image_own'] = parts.initramfsBytes + parts.baseDiskBytes;
    values['disk.image_kernel'] = parts.kernelBytes;
  }
  return runToExit(context, async (instance) => ({
    values: { ...values, 'disk.instance': await instance.writableBytes() },
  }));
};
