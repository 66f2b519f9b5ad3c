// `exec`: run one more process inside a running container (its namespaces, cgroup, rootfs),
// with the container's env, cwd and user unless overridden.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../errors.js';
import { capabilityMask } from '../capabilities.js';
import type { RuntimeContext } from '../context.js';
import { execInContainer } from '../launch/exec-process.js';
import { readProcessSecurity } from '../process-security.js';
import { readStoredFilter } from '../seccomp/index.js';
import { containerPaths, toExitInfo } from '../state.js';
import type { ExitInfo } from '../types.js';
import { resolveUser } from '../user.js';
import { mergeEnv, validateEnv, validateWorkdir } from '../validate-request.js';
import { findContainer, requireRunning } from './list.js';

export interface ExecOptions {
  /** KEY=VALUE entries overriding the container's env. */
  env?: string[];
  /** Absolute working directory; default the container's. */
  workdir?: string;
  /** User spec resolved against the container's /etc/passwd (its upper dir included); default the container's. */
  user?: string;
  /** Default 'inherit'; 'pipe' collects the output into the result. */
  stdio?: 'inherit' | 'pipe';
  /** -i: the process reads our stdin (with stdio 'inherit' it does by default, unless tty). */
  stdin?: 'inherit' | 'ignore';
  /** -t: the process gets a pty in the container, relayed by the helper. */
  tty?: boolean;
}

/** How an exec'd process ended; stdout/stderr (UTF-8) only with stdio 'pipe'. */
export interface ExecExit extends ExitInfo {
  stdout?: string;
  stderr?: string;
}

/**
 * Runs `args` in a running container and resolves with how it ended.
 * @throws InputError (bad args, env, workdir, user), NotFoundError, ConflictError (not running).
 */
export async function execContainer(
  ctx: RuntimeContext,
  nameOrId: string,
  args: string[],
  options: ExecOptions = {},
): Promise<ExecExit> {
  requireRoot('exec into a container');
  if (options.env) validateEnv(options.env);
  if (options.workdir !== undefined) validateWorkdir(options.workdir);
  const record = await findContainer(ctx, nameOrId);
  requireRunning(record, 'exec into');
  const paths = containerPaths(ctx.layout.containers, record.id);
  // The container may have added users since it started: its upper dir is searched first.
  const user = await resolveUser(options.user ?? record.user, record.lowerDirs, paths.upperDir);
  // The exec'd process runs under the container's own filter, as in Docker.
  const seccomp = readStoredFilter(paths.seccompFilter);
  const security = readProcessSecurity(paths.processSecurity);
  const cgroup = ctx.cgroups.open(record.id);
  const configFile = path.join(paths.dir, `exec-${randomBytes(6).toString('hex')}.conf`);
  try {
    const ended = await execInContainer(
      // Only the cgroups the container has (a cpuset one only with --cpuset-cpus).
      {
        pid: record.pid!,
        cgroupProcsFiles: cgroup.procsFiles.filter((f) => record.cgroupDirs.includes(path.dirname(f))),
      },
      {
        args,
        env: mergeEnv(record.env, options.env ?? []),
        cwd: options.workdir ?? record.cwd,
        uid: user.uid,
        gid: user.gid,
        additionalGids: user.additionalGids,
        ...(seccomp ? { seccomp } : {}),
        capabilityMask: capabilityMask(security.capabilities),
        noNewPrivileges: security.noNewPrivileges,
      },
      options.stdio ?? 'inherit',
      configFile,
      { ...(options.stdin ? { stdin: options.stdin } : {}), ...(options.tty ? { tty: true } : {}) },
    );
    const exit: ExecExit = toExitInfo(ended.exitCode, ended.signal, await cgroup.readOomKills().catch(() => 0));
    if (ended.stdout !== undefined) exit.stdout = ended.stdout;
    if (ended.stderr !== undefined) exit.stderr = ended.stderr;
    return exit;
  } finally {
    rmSync(configFile, { force: true });
  }
}
