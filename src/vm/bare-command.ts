// The exact QEMU command line isobench runs for one guest, handed out with the files it boots, so
// a benchmark can launch it without isobench (no state record, no setpriv, no serial parser) and
// see what isobench's own launch path costs on top of QEMU.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { RootLayout } from '../paths.js';
import { findQemuTools } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import { prepareVm, type VmLaunchOptions } from './prepare.js';
import { buildPreparedQemuArgs } from './prepared-launch.js';
import type { VmPaths } from './vm-state.js';

/** One bare launch: run `argv` once, with the serial console on stdout. */
export interface BareQemuCommand {
  /** The QEMU binary's absolute path, then the argv isobench would pass it. */
  argv: string[];
  /** The line prefix /init prints on the serial console right before it execs the workload. */
  readyMarker: string;
  /** The line prefix /init prints with the workload's exit code after it. */
  exitMarkerPrefix: string;
  /** The fresh qcow2 overlay the command boots; the guest writes to it, so it serves one launch. */
  overlayPath: string;
  /** Where QEMU opens its QMP socket (unused by a bare launch, kept so the argv is isobench's). */
  qmpSocketPath: string;
}

/**
 * Prepares everything isobench's attached launch would (kernel, initramfs or disk payload, base
 * disk, a fresh overlay in `dir`) and returns the same QEMU argv with a new nonce. The caller owns
 * `dir` (must exist) and removes it after the launch.
 */
export async function prepareBareQemuCommand(
  layout: RootLayout,
  options: VmLaunchOptions,
  dir: string,
): Promise<BareQemuCommand> {
  const prepared = await prepareVm(layout, options);
  const { qemu } = await findQemuTools(false);
  const paths: VmPaths = {
    dir,
    state: path.join(dir, 'state.json'),
    overlay: path.join(dir, 'disk.qcow2'),
    qmpSocket: path.join(dir, 'qmp.sock'),
    serialLog: path.join(dir, 'serial.log'),
    qemuLog: path.join(dir, 'qemu.log'),
  };
  await createOverlayDisk(prepared.baseDiskPath, paths.overlay);
  const nonce = randomBytes(8).toString('hex');
  const hostname = options.name ?? randomBytes(6).toString('hex');
  const args = buildPreparedQemuArgs(prepared, paths, { nonce, hostname, serial: { kind: 'stdio' } });
  return {
    argv: [qemu, ...args],
    readyMarker: `ISOBENCH-PHASE ${nonce} ready `,
    exitMarkerPrefix: `ISOBENCH-EXIT ${nonce} `,
    overlayPath: paths.overlay,
    qmpSocketPath: paths.qmpSocket,
  };
}
