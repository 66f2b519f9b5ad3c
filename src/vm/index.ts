// The VM target's public surface: run a VM attached, or start/list/stop/remove detached ones,
// and collect what dead owners left behind.
export type { VmAccelRequest } from './accel.js';
export { type BareQemuCommand, prepareBareQemuCommand } from './bare-command.js';
export type { VmMachine } from './definition.js';
export { listVms, removeVm, type StartVmOptions, startVm, stopVm } from './detached.js';
export { gcVms, type VmGcReport } from './gc.js';
export type { GuestCgroupLayout } from './guest-config.js';
export type { VmImageSource } from './image-source.js';
export type { VmLaunchOptions } from './prepare.js';
export type { VmNetwork } from './qemu-args.js';
export { type RunVmOptions, runPreparedVm, runVm, type VmPhases, type VmRunResult } from './run-vm.js';
export type { VmState, VmStatus } from './vm-state.js';
