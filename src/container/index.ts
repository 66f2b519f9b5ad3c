// Public surface of the container runtime: the Runtime and its types. Everything else in
// src/container is internal to it.
export type { CgroupHandle, CgroupStats } from './cgroups/types.js';
export type { RuntimeContext, RuntimeImageStore, RuntimeOpenOptions } from './context.js';
export type { ContainerHandle } from './handle.js';
export { runEphemeral } from './launch/ephemeral.js';
export type { BridgeAttachment } from './network/attach.js';
export {
  createNetwork,
  inspectNetwork,
  listNetworks,
  type NetworkGcReport,
  type NetworkInfo,
  removeNetwork,
} from './network/networks.js';
export type { PublishedPort } from './network/publish.js';
export { Runtime } from './runtime.js';
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
export type { ExecExit, ExecOptions } from './verbs/exec.js';
export type { GcReport } from './verbs/gc.js';
export type { RemoveOptions } from './verbs/remove.js';
export type { RunRequest } from './verbs/run-plan.js';
export type { StopOptions } from './verbs/stop.js';
