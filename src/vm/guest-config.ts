// The per-run guest config (command, env, workdir, user, hostname) travels on the kernel command
// line as base64 of a small shell fragment that /init sources: no per-run initramfs or extra disk.
// NOTE: x86 limits the whole command line to COMMAND_LINE_SIZE = 2048 bytes (with its NUL).
import { InputError } from '../errors.js';
import { GUEST_PATHS, type GuestRoot } from './guest-init.js';

/**
 * The cgroup filesystems /init mounts at /sys/fs/cgroup before the workload starts: none (the
 * default: nothing mounted), v2 (cgroup2 alone, as systemd on a unified host) or v1 (one v1
 * hierarchy per controller and no cgroup2, as systemd's legacy layout). See guest-init.ts.
 */
export type GuestCgroupLayout = 'none' | 'v1' | 'v2';

/** What the workload runs with, after merging the image config and the run options. */
export interface GuestRunConfig {
  /** Random per-run token in every marker so the workload cannot fake one. [A-Za-z0-9]. */
  nonce: string;
  hostname: string;
  /** Full argv (entrypoint + cmd), at least one element. */
  argv: string[];
  /** KEY=VALUE entries, in order. */
  env: string[];
  /** Absolute directory inside the image. */
  workdir: string;
  /** OCI User: "", name, uid, name:group or uid:gid. */
  user: string;
  /** "user": virtio-net with QEMU user networking (guest 10.0.2.15, gateway 10.0.2.2). */
  network: 'none' | 'user';
  /** Cgroup filesystems mounted for the workload; default none. */
  cgroups?: GuestCgroupLayout;
  /** Where /init runs from (guest-init.ts); default 'initramfs'. */
  guestRoot?: GuestRoot;
  /** A snapshot boot: /init stops before the per-run steps and waits for its config (snapshot.ts). */
  snapshot?: boolean;
}

/** Kernel command line limit on x86, excluding the terminating NUL. */
export const KERNEL_CMDLINE_MAX_BYTES = 2047;

/** Quotes `value` for a POSIX shell (single quotes). Rejects NUL, which no argv can hold. Pure. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new InputError(`expected a value without NUL bytes, got ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The fragment /init sources: ISB_* variables and `isb_run`. Validates what it embeds. Pure. */
export function renderGuestConfig(config: GuestRunConfig): string {
  if (!/^[A-Za-z0-9]{8,32}$/.test(config.nonce))
    throw new InputError(`expected an alphanumeric nonce, got '${config.nonce}'`);
  if (config.argv.length === 0 || config.argv[0] === '') {
    throw new InputError('the VM has nothing to run: the image has no Entrypoint/Cmd and no command was given', {
      hint: 'pass a command after the image name',
    });
  }
  if (!config.workdir.startsWith('/')) {
    throw new InputError(`expected an absolute working directory, got '${config.workdir}'`);
  }
  for (const entry of config.env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry)) {
      throw new InputError(`expected an environment entry KEY=VALUE with a valid name, got '${entry}'`);
    }
  }
  const paths = GUEST_PATHS[config.guestRoot ?? 'initramfs'];
  // From an initramfs the launcher enters the image by chroot; on a disk root it already is there.
  const enter = paths.image === '' ? '' : `${paths.busybox} chroot ${paths.image} `;
  const run = [
    `${paths.busybox} env -i`,
    ...config.env.map(shellQuote),
    `${enter}${paths.busyboxInImage} sh -c "$ISB_LAUNCH" isobench "$ISB_UID" "$ISB_GID" "$ISB_WORKDIR"`,
    ...config.argv.map(shellQuote),
  ].join(' ');
  return [
    `ISB_NONCE=${config.nonce}`,
    `ISB_HOSTNAME=${shellQuote(config.hostname)}`,
    `ISB_USER=${shellQuote(config.user)}`,
    `ISB_WORKDIR=${shellQuote(config.workdir)}`,
    `ISB_NET=${config.network === 'user' ? 'user' : 'none'}`,
    // Only when asked: the default fragment (and so the default command line) stays as it was.
    ...(config.cgroups === 'v1' || config.cgroups === 'v2' ? [`ISB_CGROUPS=${config.cgroups}`] : []),
    ...(config.snapshot === true ? ['ISB_SNAPSHOT=1'] : []),
    `isb_run() { ${run}; }`,
    '',
  ].join('\n');
}

/** The `isobench.cfg=<base64>` kernel parameter carrying `config`. Pure. */
export function encodeGuestConfigParam(config: GuestRunConfig): string {
  return `isobench.cfg=${Buffer.from(renderGuestConfig(config)).toString('base64')}`;
}

/**
 * Longest config line a restored guest reads from its console: the tty's canonical line buffer
 * holds 4095 characters and the newline (N_TTY_BUF_SIZE, drivers/tty/n_tty.c).
 */
export const CONSOLE_CONFIG_MAX_BYTES = 4095;

/** `config` as the one line a restored guest reads on its console (guest-init.ts), newline included. Pure. */
export function encodeGuestConfigLine(config: GuestRunConfig): string {
  const line = Buffer.from(renderGuestConfig(config)).toString('base64');
  if (line.length > CONSOLE_CONFIG_MAX_BYTES) {
    throw new InputError(
      `the VM run config is too large for a restored guest: ${line.length} bytes of base64, the limit is ${CONSOLE_CONFIG_MAX_BYTES}`,
      { hint: 'shorten the command or the environment (e.g. move data into the image)' },
    );
  }
  return `${line}\n`;
}

/**
 * Joins the definition's parameters and the config parameter; fails clearly beyond the limit,
 * keeping `reserveBytes` free for what QEMU appends itself. Pure.
 */
export function buildKernelCmdline(baseParams: string[], config: GuestRunConfig, reserveBytes = 0): string {
  const cmdline = [...baseParams, encodeGuestConfigParam(config)].join(' ');
  const sizeBytes = Buffer.byteLength(cmdline);
  const limit = KERNEL_CMDLINE_MAX_BYTES - reserveBytes;
  if (sizeBytes > limit) {
    throw new InputError(
      `the VM run config is too large for the kernel command line: ${sizeBytes} bytes, the limit is ${limit} (config travels base64-encoded, so about 1.4 KiB of command, env and workdir fit)`,
      { hint: 'shorten the command or the environment (e.g. move data into the image)' },
    );
  }
  return cmdline;
}

/** Docker's default PATH, used when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Merges environment lists: later entries override earlier ones by key, first position kept;
 * PATH and HOME get defaults when missing. Pure.
 */
export function mergeEnv(imageEnv: string[], runEnv: string[], user: string): string[] {
  const byKey = new Map<string, string>();
  for (const entry of [...imageEnv, ...runEnv]) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    byKey.set(key, eq < 0 ? `${key}=` : entry);
  }
  if (!byKey.has('PATH')) byKey.set('PATH', `PATH=${DEFAULT_PATH}`);
  if (!byKey.has('HOME')) {
    const isRoot = user === '' || /^(root|0)(:.*)?$/.test(user);
    byKey.set('HOME', isRoot ? 'HOME=/root' : 'HOME=/');
  }
  return [...byKey.values()];
}
