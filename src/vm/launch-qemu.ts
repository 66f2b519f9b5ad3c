// Starts QEMU so that it cannot outlive its owner: attached VMs run under
// `setpriv --pdeathsig KILL` (the kernel SIGKILLs QEMU when the spawning thread dies, even on
// SIGKILL of the CLI); detached VMs get their own session and log file.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { findExecutable } from '../util/find-executable.js';
import { QEMU_BINARY } from './qemu-args.js';
import { SETUP_HINT } from './tools.js';

/** Resolves the QEMU binary (and setpriv when attached) or throws EnvironmentError. */
export async function findQemuTools(attached: boolean): Promise<{ qemu: string; setpriv?: string }> {
  const qemu = await findExecutable(QEMU_BINARY);
  if (!qemu) throw new EnvironmentError(`${QEMU_BINARY} not found: the VM target needs QEMU`, { hint: SETUP_HINT });
  if (!attached) return { qemu };
  const setpriv = await findExecutable('setpriv');
  if (!setpriv) {
    throw new EnvironmentError('setpriv (util-linux) not found: it ties QEMU to its owner (--pdeathsig)', {
      hint: SETUP_HINT,
    });
  }
  return { qemu, setpriv };
}

/**
 * Spawns an attached QEMU with piped stdout (the serial console) and stderr; stdin (the console's
 * input) is piped only when asked (a restored guest reads its config there). setpriv execs QEMU: same pid.
 */
export async function spawnAttachedQemu(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): Promise<ChildProcess> {
  const tools = await findQemuTools(true);
  return spawn(tools.setpriv!, ['--pdeathsig', 'KILL', '--', tools.qemu, ...args], {
    stdio: [stdin, 'pipe', 'pipe'],
  });
}

/** Spawns a detached QEMU in its own session; its stderr goes to `logPath`. Resolves once it runs. */
export async function spawnDetachedQemu(args: string[], logPath: string): Promise<number> {
  const tools = await findQemuTools(false);
  const log = await fs.open(logPath, 'a');
  try {
    const child = spawn(tools.qemu, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return child.pid!;
  } finally {
    await log.close();
  }
}
