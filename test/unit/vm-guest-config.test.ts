import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  buildKernelCmdline,
  encodeGuestConfigParam,
  type GuestRunConfig,
  KERNEL_CMDLINE_MAX_BYTES,
  mergeEnv,
  renderGuestConfig,
  shellQuote,
} from '../../src/vm/guest-config.js';
import { diskRootParams, renderGuestInit, renderGuestLauncher } from '../../src/vm/guest-init.js';

const config: GuestRunConfig = {
  nonce: 'abcdef0123456789',
  hostname: 'vm1',
  argv: ['sh', '-c', "echo 'hi'"],
  env: ['PATH=/bin', 'A=x y'],
  workdir: '/data',
  user: 'nobody',
  network: 'none',
};

describe('guest config', () => {
  it('quotes for a POSIX shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(x) `y` "z"')).toBe(`'$(x) \`y\` "z"'`);
    expect(() => shellQuote('a\0b')).toThrow(InputError);
  });

  it('renders the fragment /init sources', () => {
    expect(renderGuestConfig(config)).toBe(
      [
        'ISB_NONCE=abcdef0123456789',
        "ISB_HOSTNAME='vm1'",
        "ISB_USER='nobody'",
        "ISB_WORKDIR='/data'",
        'ISB_NET=none',
        `isb_run() { /bin/busybox env -i 'PATH=/bin' 'A=x y' /bin/busybox chroot /mnt /proc/1/root/bin/busybox sh -c "$ISB_LAUNCH" isobench "$ISB_UID" "$ISB_GID" "$ISB_WORKDIR" 'sh' '-c' 'echo '\\''hi'\\'''; }`,
        '',
      ].join('\n'),
    );
  });

  it('asks /init for a cgroup layout only when one is given', () => {
    expect(renderGuestConfig({ ...config, cgroups: 'v2' })).toContain('\nISB_CGROUPS=v2\nisb_run() {');
    expect(renderGuestConfig({ ...config, cgroups: 'v1' })).toContain('\nISB_CGROUPS=v1\n');
    expect(renderGuestConfig({ ...config, cgroups: 'none' })).toBe(renderGuestConfig(config));
    // /init mounts cgroup2 alone for v2, a tmpfs of v1 hierarchies for v1, and nothing otherwise.
    const init = renderGuestInit('initramfs');
    expect(init).toContain('mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $cg');
    expect(init).toContain('mount -t cgroup -o nosuid,nodev,noexec,$h cgroup $cg/$h');
    expect(renderGuestInit('disk')).toContain('cg=/sys/fs/cgroup');
  });

  it('runs the workload in place on a disk root: no chroot, the busybox under /.isobench', () => {
    const line = renderGuestConfig({ ...config, guestRoot: 'disk' }).split('\n')[5];
    expect(line).toBe(
      `isb_run() { /.isobench/bin/busybox env -i 'PATH=/bin' 'A=x y' /.isobench/bin/busybox sh -c "$ISB_LAUNCH" isobench "$ISB_UID" "$ISB_GID" "$ISB_WORKDIR" 'sh' '-c' 'echo '\\''hi'\\'''; }`,
    );
    expect(renderGuestLauncher('disk')).toContain('exec /.isobench/bin/busybox nsenter');
    expect(renderGuestLauncher('initramfs')).toContain('exec /proc/1/root/bin/busybox nsenter');
  });

  it('has the disk-root init run from /.isobench on the image root, with no module or /mnt step', () => {
    const init = renderGuestInit('disk');
    expect(init.startsWith('#!/.isobench/bin/busybox sh\n')).toBe(true);
    expect(init).not.toContain('/mnt');
    expect(init).not.toContain('insmod');
    expect(init).toContain('mount -o remount,noatime /');
    expect(init).toContain('mount --bind /dev/null /proc/cmdline');
    expect(init).toContain('ISB_LAUNCH=$(cat /.isobench/launch.sh)');
    expect(diskRootParams()).toEqual(['root=/dev/vda', 'rootfstype=ext4', 'rw', 'init=/.isobench/init']);
    // The config holds the nonce: it is evaluated, never written where the workload could read it.
    expect(init).toContain('eval "$cfg"');
    expect(init).not.toMatch(/base64 -d >/);
  });

  it('encodes the fragment as base64 in one kernel parameter', () => {
    const param = encodeGuestConfigParam(config);
    expect(param.startsWith('isobench.cfg=')).toBe(true);
    expect(Buffer.from(param.slice('isobench.cfg='.length), 'base64').toString()).toBe(renderGuestConfig(config));
    expect(param).toMatch(/^isobench\.cfg=[A-Za-z0-9+/=]+$/);
  });

  it('rejects bad env names, relative workdirs and empty commands', () => {
    expect(() => renderGuestConfig({ ...config, env: ['1A=x'] })).toThrow(/KEY=VALUE/);
    expect(() => renderGuestConfig({ ...config, workdir: 'data' })).toThrow(/absolute/);
    expect(() => renderGuestConfig({ ...config, argv: [] })).toThrow(/nothing to run/);
  });

  it('fails clearly beyond the kernel command line limit', () => {
    const big = { ...config, env: [`BIG=${'x'.repeat(1600)}`] };
    expect(() => buildKernelCmdline(['console=ttyS0'], big)).toThrow(
      new RegExp(`limit is ${KERNEL_CMDLINE_MAX_BYTES}`),
    );
    // Room kept for what QEMU appends (virtio_mmio.device=... on microvm without ACPI).
    const fits = { ...config, env: [`BIG=${'x'.repeat(1150)}`] };
    expect(() => buildKernelCmdline(['console=ttyS0'], fits)).not.toThrow();
    expect(() => buildKernelCmdline(['console=ttyS0'], fits, 200)).toThrow(
      new RegExp(`limit is ${KERNEL_CMDLINE_MAX_BYTES - 200}`),
    );
    expect(buildKernelCmdline(['console=ttyS0', 'quiet'], config)).toBe(
      `console=ttyS0 quiet ${encodeGuestConfigParam(config)}`,
    );
  });

  it('merges env: run entries override image ones in place, PATH and HOME defaulted', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4'], '')).toEqual([
      'A=1',
      'B=3',
      'C=4',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/root',
    ]);
    expect(mergeEnv(['PATH=/bin'], [], 'nobody')).toEqual(['PATH=/bin', 'HOME=/']);
  });

  it("leaves the guest's memory view to the workload: /init reads no /proc/meminfo", () => {
    // The probe reports it once it is ready (src/probe/isobench-probe.c, idle); a view read by
    // /init before the workload runs would miss everything the workload allocates.
    for (const root of ['initramfs', 'disk'] as const) expect(renderGuestInit(root)).not.toContain('meminfo');
  });
});
