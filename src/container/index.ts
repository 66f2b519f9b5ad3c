// Public surface of the container runtime: the Runtime and its types. Everything else in
// src/container is internal to it.
export type { CgroupHandle, CgroupStats } from './cgroups/types.js';
export type { ExecExit, ExecOptions } from './container-exec.js';
export type { GcReport } from './container-gc.js';
export type { RemoveOptions } from './container-remove.js';
export type { RunRequest } from './container-run.js';
export type { StopOptions } from './container-stop.js';
export { runEphemeral } from './ephemeral.js';
export {
  type ContainerHandle,
  Runtime,
  type RuntimeContext,
  type RuntimeImageStore,
  type RuntimeOpenOptions,
} from './runtime.js';
export { type ContainerRecord, parseSignal } from './state.js';
export type {
  ContainerSpec,
  ContainerStatus,
  ExitInfo,
  LaunchedContainer,
  LaunchMode,
  LaunchOptions,
  NetworkMode,
  ResourceLimits,
} from './types.js';
