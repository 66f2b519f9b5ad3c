// One-shot containers for the image builder's RUN steps: launch attached on a caller-owned upper
// dir, wait, and remove everything else (work dir, rootfs dir, config) on every path.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RunStepRequest, RunStepResult } from '../../image/recipe/types.js';
import type { RootLayout } from '../../paths.js';
import type { ContainerSpec } from '../types.js';
import { resolveUser } from '../user.js';
import { launchContainer } from './helper-process.js';

/** A RUN step (what to run on which layers), plus host dirs to bind in. */
export interface EphemeralRequest extends RunStepRequest {
  binds?: ContainerSpec['binds'];
}

function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  const readable = stream as Readable;
  readable.setEncoding('utf8');
  let text = '';
  readable.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve) => readable.on('close', () => resolve(text)));
}

/**
 * Runs `req.args` in a throwaway container (no cgroup limits) and waits for it. The work dir must
 * share the upper dir's filesystem, so it is made under layout.tmp: upperDir must live below
 * layout.root. Throws what launchContainer throws (WorkloadExecError for a missing command).
 */
export async function runEphemeral(layout: RootLayout, req: EphemeralRequest): Promise<RunStepResult> {
  await fs.mkdir(layout.tmp, { recursive: true });
  const dir = await fs.mkdtemp(path.join(layout.tmp, 'run-'));
  try {
    const workDir = path.join(dir, 'work');
    const rootfsDir = path.join(dir, 'rootfs');
    await Promise.all([fs.mkdir(workDir), fs.mkdir(rootfsDir)]);
    const user = await resolveUser(req.user, req.lowerDirs, req.upperDir);
    const id = randomBytes(32).toString('hex');
    const spec: ContainerSpec = {
      id,
      lowerDirs: req.lowerDirs,
      upperDir: req.upperDir,
      workDir,
      rootfsDir,
      args: req.args,
      env: req.env,
      cwd: req.cwd,
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      hostname: req.hostname ?? id.slice(0, 12),
      network: req.network,
      limits: {},
    };
    if (req.binds) spec.binds = req.binds;
    const launched = await launchContainer(spec, {
      mode: { kind: 'attached', stdio: req.stdio },
      cgroupProcsFiles: [],
    });
    const output = req.stdio === 'pipe' ? Promise.all([collect(launched.stdout), collect(launched.stderr)]) : undefined;
    const ended = await launched.exited!;
    const result: RunStepResult = { exitCode: ended.exitCode };
    if (ended.signal) result.signal = ended.signal;
    if (output) [result.stdout, result.stderr] = await output;
    // The overlay lives in the workload's mount namespace, which the helper holds until it exits:
    // the work and rootfs dirs may go only then.
    await launched.released;
    return result;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
