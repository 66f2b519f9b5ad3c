// The C helper's config parser (src/container/helper/config.c) fed the way the runtime feeds it:
// the bytes on fd 4 for `run MODE:NETWORK`, a config file for `exec FILE`, status lines on fd 3.
// Every rejection must be one `error config` line naming the key, exit 125, and nothing done.
// `run` clones its child into new namespaces before it reads the config: its cases need root.
// The baselines come from the TypeScript writer and are checked to pass the parser, so each case
// differs from an accepted config by exactly the defect it names.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPS } from '../../src/container/capabilities.js';
import {
  errorFromStatus,
  type HelperStatus,
  parseStatusLine,
  serializeExecConfig,
  serializeHelperConfig,
} from '../../src/container/launch/helper-protocol.js';
import { seccompFilterFor } from '../../src/container/seccomp/index.js';
import type { ContainerSpec, LaunchMode } from '../../src/container/types.js';
import { HelperError } from '../../src/errors.js';
import { isSameProcessAlive, readProcessStartTicks } from '../../src/util/process.js';
import { ensureHelperBuilt } from '../fixtures/rootfs.js';
import { hostLacks } from '../support/host.js';

/** Larger than any pid_max (2^22): never the helper's parent, never a live process. */
const NO_SUCH_PID = 2147483647;
const CONFIG_MAX_BYTES = 1 << 20;
/** Root-only cases skip with the reason, and fail in CI (ISOBENCH_TESTS_STRICT): see test/support/host.ts. */
const lacksRoot = await hostLacks('root');

let helper: string;
let tmp: string;

beforeAll(async () => {
  helper = ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-helper-config-'));
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

type ConfigRecord = [key: string, value: string];

function toRecords(buf: Buffer): ConfigRecord[] {
  const parts = buf.toString('utf8').split('\0');
  parts.pop();
  const out: ConfigRecord[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push([parts[i]!, parts[i + 1]!]);
  return out;
}

function toBuffer(records: ConfigRecord[]): Buffer {
  return Buffer.from(records.map(([k, v]) => `${k}\0${v}\0`).join(''), 'utf8');
}

function spec(): ContainerSpec {
  return {
    id: 'cfgtest',
    lowerDirs: [path.join(tmp, 'lower')],
    upperDir: path.join(tmp, 'upper'),
    workDir: path.join(tmp, 'work'),
    rootfsDir: path.join(tmp, 'rootfs'),
    args: ['true'],
    env: ['PATH=/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    hostname: 'cfgtest',
    network: 'none',
    limits: {},
  };
}

/** An attached run config as the runtime writes it; its parent pid never matches, so a helper that accepts it stops at getppid. */
function runRecords(mode: LaunchMode = { kind: 'attached', stdio: 'ignore' }): ConfigRecord[] {
  const buf = serializeHelperConfig(
    spec(),
    { mode, cgroupProcsFiles: [] },
    { parentPid: NO_SUCH_PID, rlimits: [{ name: 'nofile', soft: 1024, hard: 1024 }] },
  );
  return toRecords(buf);
}

function execRecords(): ConfigRecord[] {
  return toRecords(
    serializeExecConfig({ pid: NO_SUCH_PID, cgroupProcsFiles: [] }, { ...spec(), additionalGids: [10] }),
  );
}

function detachedMode(): LaunchMode {
  return {
    kind: 'detached',
    stdoutLog: path.join(tmp, 'out.log'),
    stderrLog: path.join(tmp, 'err.log'),
    exitFile: path.join(tmp, 'exit'),
  };
}

interface HelperOutcome {
  exitCode: number | null;
  /** Lines on fd 3 (the status pipe). */
  lines: string[];
  statuses: (HelperStatus | undefined)[];
}

function readAll(stream: Readable): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve) => stream.on('close', () => resolve(text)));
}

async function outcomeOf(child: ReturnType<typeof spawn>): Promise<HelperOutcome> {
  const [text, exitCode] = await Promise.all([
    readAll(child.stdio[3] as Readable),
    new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code))),
  ]);
  const lines = text.split('\n').filter((line) => line !== '');
  return { exitCode, lines, statuses: lines.map(parseStatusLine) };
}

let fileCount = 0;

/** `isobench-helper exec FILE`, the config written to FILE (as execInContainer does). */
async function runWithFile(sub: 'exec', config: Buffer): Promise<HelperOutcome & { file: string }> {
  const file = path.join(tmp, `helper-${++fileCount}.conf`);
  await fs.writeFile(file, config, { mode: 0o600 });
  const child = spawn(helper, [sub, file], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  return { ...(await outcomeOf(child)), file };
}

/** The MODE:NETWORK argument a config asks for (its own mode and network records, else attached:none). */
function hintsOf(config: Buffer): string {
  const records = toRecords(config);
  const value = (key: string, fallback: string) => records.find(([k]) => k === key)?.[1] ?? fallback;
  const mode = value('mode', 'attached');
  const network = value('network', 'none');
  const hint = network === 'host' || network === 'bridge' ? network : 'none';
  return `${mode === 'detached' ? 'detached' : 'attached'}:${hint}`;
}

/** `isobench-helper run MODE:NETWORK`, the config written to fd 4 (as spawnLaunch does); the label the helper names it by. */
async function runWithFd(config: Buffer): Promise<HelperOutcome & { file: string }> {
  const child = spawn(helper, ['run', hintsOf(config)], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const outcome = outcomeOf(child);
  const pipe = child.stdio[4] as Writable;
  pipe.on('error', () => undefined); // EPIPE: the helper stopped reading an oversize config
  pipe.end(config);
  return { ...(await outcome), file: 'fd 4' };
}

/** The one `error` line of a rejected config, as the runtime turns it into a HelperError. */
function rejection(outcome: HelperOutcome): { syscall: string; errno: number; message: string; thrown: HelperError } {
  expect(outcome.exitCode).toBe(125);
  expect(outcome.lines).toHaveLength(1);
  const status = outcome.statuses[0];
  if (status?.kind !== 'error') throw new Error(`expected an error line, got ${JSON.stringify(outcome.lines)}`);
  const thrown = errorFromStatus(status);
  expect(thrown).toBeInstanceOf(HelperError);
  return { syscall: status.syscall, errno: status.errno, message: status.message, thrown: thrown as HelperError };
}

async function expectRejected(sub: 'run' | 'exec', records: ConfigRecord[] | Buffer, key: string, what: string) {
  const config = Buffer.isBuffer(records) ? records : toBuffer(records);
  const outcome = sub === 'run' ? await runWithFd(config) : await runWithFile(sub, config);
  const error = rejection(outcome);
  expect(error.syscall).toBe('config');
  expect(error.errno).toBe(22);
  expect(error.message).toBe(`config \`${outcome.file}\`: key \`${key}\`: ${what}: Invalid argument`);
  expect(error.thrown.message).toContain(`key \`${key}\``);
}

const with_ = (records: ConfigRecord[], ...extra: ConfigRecord[]): ConfigRecord[] => [...records, ...extra];
const without = (records: ConfigRecord[], key: string): ConfigRecord[] => records.filter(([k]) => k !== key);
const replaced = (records: ConfigRecord[], key: string, value: string): ConfigRecord[] =>
  records.map(([k, v]) => [k, k === key ? value : v]);

describe('baselines written by the TypeScript side pass the parser', () => {
  it.skipIf(lacksRoot)('an attached run config stops only at the parent check (needs root)', async () => {
    const outcome = await runWithFd(toBuffer(runRecords()));
    const error = rejection(outcome);
    expect([error.syscall, error.errno, error.message]).toEqual([
      'getppid',
      3,
      `parent ${NO_SUCH_PID} already gone: No such process`,
    ]);
  });

  it('an exec config stops only at the missing target process', async () => {
    const error = rejection(await runWithFile('exec', toBuffer(execRecords())));
    expect([error.syscall, error.errno, error.message]).toEqual([
      'open',
      2,
      `\`/proc/${NO_SUCH_PID}/ns/ipc\`: No such file or directory`,
    ]);
  });

  it.skipIf(lacksRoot)(
    'the default seccomp filter, as the runtime writes it, passes run and exec configs',
    async () => {
      const filter = seccompFilterFor({ kind: 'default' }, DOCKER_DEFAULT_CAPS)!;
      const seccomp = { bytes: filter.bytes, flags: 6 };
      const run = serializeHelperConfig(
        { ...spec(), seccomp },
        { mode: { kind: 'attached', stdio: 'ignore' }, cgroupProcsFiles: [] },
        { parentPid: NO_SUCH_PID },
      );
      expect(rejection(await runWithFd(run)).syscall).toBe('getppid');
      const exec = serializeExecConfig({ pid: NO_SUCH_PID, cgroupProcsFiles: [] }, { ...spec(), seccomp });
      expect(rejection(await runWithFile('exec', exec)).syscall).toBe('open');
    },
  );

  it('an exec config of exactly 1 MiB is accepted', async () => {
    const base = toBuffer(execRecords());
    const padding = CONFIG_MAX_BYTES - base.length - 'env\0P=\0'.length;
    const config = toBuffer(with_(execRecords(), ['env', `P=${'x'.repeat(padding)}`]));
    expect(config.length).toBe(CONFIG_MAX_BYTES);
    expect(rejection(await runWithFile('exec', config)).syscall).toBe('open');
  });
});

describe.skipIf(lacksRoot)(
  'rejections of a run config: each names the key, exits 125 and does nothing (needs root)',
  () => {
    it.each([
      ['mode', 'attached'],
      ['mode', 'detached'],
      ['network', 'host'],
      ['version', '1'],
      ['rootfs', '/elsewhere'],
      ['hostname', 'other'],
      ['cwd', '/tmp'],
      ['uid', '1000'],
      ['gid', '1000'],
      ['parent_pid', '1'],
    ])('a repeated key: %s', async (key, value) => {
      await expectRejected('run', with_(runRecords(), [key, value]), key, 'given twice');
    });

    it('a repeated detached key: nothing is created before the config is accepted', async () => {
      const mode = detachedMode();
      await expectRejected('run', with_(runRecords(mode), ['exit_file', '/x']), 'exit_file', 'given twice');
      if (mode.kind !== 'detached') throw new Error('unreachable');
      expect([mode.stdoutLog, mode.stderrLog, mode.exitFile].filter((f) => existsSync(f))).toEqual([]);
    });

    it('the same rlimit resource twice', async () => {
      const records = with_(runRecords(), ['rlimit', 'nofile 10 10']);
      await expectRejected('run', records, 'rlimit', 'resource name given twice');
    });

    it('a --ulimit of a resource the defaults already set, and bad interactive values', async () => {
      await expectRejected(
        'run',
        with_(runRecords(), ['ulimit', 'nofile 10 10']),
        'ulimit',
        'resource name given twice',
      );
      await expectRejected(
        'run',
        with_(runRecords(), ['ulimit', 'nproc 2 1']),
        'ulimit',
        'soft limit above hard limit',
      );
      await expectRejected('run', with_(runRecords(), ['tty', 'yes']), 'tty', 'expected 1');
      await expectRejected('run', with_(runRecords(), ['init', '0']), 'init', 'expected 1');
      await expectRejected(
        'run',
        with_(runRecords(), ['shm_size', '0']),
        'shm_size',
        'expected a decimal number in range',
      );
    });

    it('an unknown key', async () => {
      await expectRejected('run', with_(runRecords(), ['colour', 'blue']), 'colour', 'unknown key');
    });

    it('an unknown key is shown without its control bytes, cut at 64 bytes', async () => {
      await expectRejected('run', with_(runRecords(), ['\x1b[31mred', 'x']), '?[31mred', 'unknown key');
      const long = 'k'.repeat(100);
      await expectRejected('run', with_(runRecords(), [long, 'x']), `${'k'.repeat(64)}...`, 'unknown key');
    });

    it('a key of the other subcommand', async () => {
      await expectRejected('run', with_(runRecords(), ['target_pid', '1']), 'target_pid', 'not valid in a run config');
    });

    it('a missing value', async () => {
      const config = Buffer.concat([toBuffer(runRecords()), Buffer.from('arg\0')]);
      await expectRejected('run', config, 'arg', 'record has no value');
    });

    it('a record cut inside its key', async () => {
      const outcome = await runWithFd(Buffer.concat([toBuffer(runRecords()), Buffer.from('ar')]));
      expect(rejection(outcome).message).toBe('config `fd 4`: truncated record `ar`: Invalid argument');
    });

    it('version missing, not first, or unsupported', async () => {
      await expectRejected('run', without(runRecords(), 'version'), 'version', 'must be the first record');
      const [first, ...rest] = runRecords();
      await expectRejected('run', [...rest, first!], 'version', 'must be the first record');
      await expectRejected(
        'run',
        replaced(runRecords(), 'version', '2'),
        'version',
        'unsupported version (expected 1)',
      );
    });

    it.each([
      ['mode', 'sideways', 'sideways', 'expected attached or detached'],
      ['network', 'bogus', 'bogus', 'expected none, host or bridge'],
      ['rootfs', 'relative', 'relative/dir', 'expected an absolute path'],
      ['rootfs', 'of 4097 bytes', `/${'d'.repeat(4096)}`, 'expected a path shorter than PATH_MAX (4096 bytes)'],
      ['hostname', 'of 65 bytes', 'h'.repeat(65), 'expected 1 to 64 bytes'],
      ['hostname', 'empty', '', 'expected 1 to 64 bytes'],
      ['uid', 'negative', '-1', 'expected a decimal number'],
      ['uid', 'with a leading space', ' 1', 'expected a decimal number'],
      ['uid', '(uid_t)-1', '4294967295', 'expected a decimal number in range'],
      ['uid', 'over 2^64', '99999999999999999999999', 'expected a decimal number in range'],
      ['uid', 'with trailing letters', '12abc', 'expected a decimal number in range'],
      ['parent_pid', '0', '0', 'expected a decimal number in range'],
      ['rlimit', 'without a hard limit', 'nofile 1', 'expected `NAME SOFT HARD`'],
      ['rlimit', 'of an unknown resource', 'files 1 1', 'unknown resource name'],
      ['rlimit', 'soft above hard', 'nofile 2 1', 'soft limit above hard limit'],
      ['rlimit', 'with a fourth field', 'nofile 1 1 1', 'expected a decimal number in range'],
    ])('a malformed value: %s %s', async (key, _label, value, what) => {
      await expectRejected('run', replaced(runRecords(), key, value), key, what);
    });

    it.each([
      ['env', 'NOEQUALS', 'expected NAME=VALUE with a non-empty NAME'],
      ['env', '=value', 'expected NAME=VALUE with a non-empty NAME'],
      ['bind_to', '/t', 'must follow bind_ro, bind_rw or tmpfs'],
      ['tmpfs', 'nosuid,exec', 'expected ro, nosuid, nodev, noexec, size=, mode=, uid=, gid= or nr_inodes='],
      ['tmpfs', 'size=64m', 'expected a decimal value (mode: octal)'],
      ['tmpfs', 'mode=0999', 'expected a decimal value (mode: octal)'],
      ['tmpfs', 'nosuid,,nodev', 'expected ro, nosuid, nodev, noexec, size=, mode=, uid=, gid= or nr_inodes='],
      ['readonly_rootfs', 'yes', 'expected 1'],
      ['lower', 'rel', 'expected an absolute path'],
    ])('a malformed list entry: %s=%j', async (key, value, what) => {
      await expectRejected('run', with_(runRecords(), [key, value]), key, what);
    });

    it('bridge records: net_veth or publish without a bridge, and a malformed net_veth', async () => {
      const veth = ['net_veth', 'iv0 ib0 10.213.0.2 24 10.213.0.1'] as ConfigRecord;
      await expectRejected(
        'run',
        with_(runRecords(), veth),
        'net_veth',
        'required with network bridge, and only with it',
      );
      await expectRejected(
        'run',
        with_(runRecords(), ['publish', 'tcp 127.0.0.1 80 80']),
        'publish',
        'needs network bridge',
      );
      const bridged = replaced(runRecords(), 'network', 'bridge');
      await expectRejected('run', bridged, 'net_veth', 'required with network bridge, and only with it');
      for (const bad of [
        'iv0 ib0 10.213.0.2 24',
        'iv0 ib0 10.213.0.2 24 10.213.0.1 x',
        'iv0/x ib0 10.213.0.2 24 10.213.0.1',
        'iv0 ib0 10.213.0.300 24 10.213.0.1',
        'iv0 ib0 10.213.0.2 31 10.213.0.1',
      ]) {
        await expectRejected(
          'run',
          with_(bridged, ['net_veth', bad]),
          'net_veth',
          'expected `HOSTIF BRIDGE ADDRESS PREFIX GATEWAY`',
        );
      }
    });

    it('a bind without its target, and no command at all', async () => {
      await expectRejected(
        'run',
        with_(runRecords(), ['bind_ro', '/src']),
        'bind_to',
        'missing after bind_ro/bind_rw/tmpfs',
      );
      await expectRejected(
        'run',
        with_(runRecords(), ['tmpfs', 'nosuid']),
        'bind_to',
        'missing after bind_ro/bind_rw/tmpfs',
      );
      await expectRejected('run', without(runRecords(), 'arg'), 'arg', 'at least one required');
    });

    it('more supplementary groups than setgroups(2) takes', async () => {
      const gids: ConfigRecord[] = Array.from({ length: 65537 }, () => ['gid_extra', '7']);
      await expectRejected('run', runRecords().concat(gids), 'gid_extra', 'more than 65536 given (NGROUPS_MAX)');
    });
  },
);

describe('rejections of an exec config: read from a file before anything is done (no root needed)', () => {
  it('a repeated key of exec: target_pid', async () => {
    await expectRejected('exec', with_(execRecords(), ['target_pid', '1']), 'target_pid', 'given twice');
  });

  it('a key of the other subcommand', async () => {
    await expectRejected('exec', with_(execRecords(), ['rootfs', '/r']), 'rootfs', 'not valid in an exec config');
  });

  it('target_pid 0 in an exec config', async () => {
    const records = replaced(execRecords(), 'target_pid', '0');
    await expectRejected('exec', records, 'target_pid', 'expected a decimal number in range');
  });

  it('an empty config (on fd 4, EOF without bytes means an abandoned launch)', async () => {
    await expectRejected('exec', Buffer.alloc(0), 'version', 'required as the first record');
  });

  it('a config over 1 MiB', async () => {
    const config = toBuffer(with_(execRecords(), ['env', `P=${'x'.repeat(CONFIG_MAX_BYTES)}`]));
    const outcome = await runWithFile('exec', config);
    const error = rejection(outcome);
    expect([error.syscall, error.message]).toEqual([
      'open',
      `config \`${outcome.file}\`: not a regular file of at most ${CONFIG_MAX_BYTES} bytes: Invalid argument`,
    ]);
  });
});

/** Pid of the helper's first child once it exists (`run` clones before it reads fd 4). */
async function firstChildOf(pid: number): Promise<number> {
  const file = `/proc/${pid}/task/${pid}/children`;
  for (let waited = 0; waited < 30_000; waited += 10) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const first = text.trim().split(' ')[0];
    if (first) return Number(first);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`helper ${pid} never cloned its child`);
}

/** Like runWithFd, once the helper has cloned its child: and whether that clone is gone afterwards. */
async function runWatchingClone(config: Buffer): Promise<HelperOutcome & { childGone: Promise<boolean> }> {
  const child = spawn(helper, ['run', 'attached:none'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const outcome = outcomeOf(child);
  const clone = await firstChildOf(child.pid!);
  const cloneStart = readProcessStartTicks(clone);
  const pipe = child.stdio[4] as Writable;
  pipe.on('error', () => undefined); // EPIPE: the helper stopped reading an oversize config
  pipe.end(config);
  const result = await outcome;
  // The clone dies with the helper (PR_SET_PDEATHSIG): poll until it is gone or a zombie.
  const childGone = (async () => {
    for (let waited = 0; waited < 30_000; waited += 10) {
      if (!isSameProcessAlive(clone, cloneStart)) return true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
  })();
  return { ...result, childGone };
}

describe.skipIf(await hostLacks('root'))('the clone made before the config (needs root)', () => {
  it('a refused config never reaches the clone, which dies with the helper', async () => {
    const outcome = await runWatchingClone(toBuffer(with_(runRecords(), ['mode', 'detached'])));
    const error = rejection(outcome);
    expect(error.message).toBe('config `fd 4`: key `mode`: given twice: Invalid argument');
    expect(await outcome.childGone).toBe(true);
  });

  it('exactly 1 MiB is accepted; one byte more is rejected before anything reaches the clone', async () => {
    const base = toBuffer(runRecords());
    const padding = CONFIG_MAX_BYTES - base.length - 'env\0P=\0'.length;
    const exact = toBuffer(with_(runRecords(), ['env', `P=${'x'.repeat(padding)}`]));
    const accepted = await runWatchingClone(exact);
    expect(rejection(accepted).syscall).toBe('getppid');
    expect(await accepted.childGone).toBe(true);

    const over = toBuffer(with_(runRecords(), ['env', `P=${'x'.repeat(padding + 1)}`]));
    const rejected = await runWatchingClone(over);
    const error = rejection(rejected);
    expect([error.syscall, error.errno, error.message]).toEqual([
      'read',
      27,
      `config \`fd 4\`: over ${CONFIG_MAX_BYTES} bytes: File too large`,
    ]);
    expect(await rejected.childGone).toBe(true);
  });
});

describe('rejections of the seccomp records: run configs on fd 4 (needs root), exec configs from a file', () => {
  const subs = !lacksRoot ? (['run', 'exec'] as const) : (['exec'] as const);
  const records = (sub: 'run' | 'exec') => (sub === 'run' ? runRecords() : execRecords());

  it.each([
    ['empty', '', 'expected whole BPF instructions (16 hex digits each)'],
    ['of 15 digits', '061234567890abc', 'expected whole BPF instructions (16 hex digits each)'],
    ['in upper case', '060000000000FF7F', 'expected lower-case hex digits'],
    ['with a non-hex byte', '060000000000fg7f', 'expected lower-case hex digits'],
    ['of 4097 instructions', '060000000000ff7f'.repeat(4097), 'expected at most 4096 BPF instructions'],
  ])('a seccomp program %s', async (_label, value, what) => {
    for (const sub of subs) await expectRejected(sub, with_(records(sub), ['seccomp', value]), 'seccomp', what);
  });

  it('seccomp twice, flags without a program, and flags seccomp(2) may not get here', async () => {
    const allow = ['seccomp', '060000000000ff7f'] as ConfigRecord;
    for (const sub of subs) {
      await expectRejected(sub, with_(records(sub), allow, allow), 'seccomp', 'given twice');
      await expectRejected(sub, with_(records(sub), ['seccomp_flags', '2']), 'seccomp_flags', 'given without seccomp');
      const tsync = with_(records(sub), allow, ['seccomp_flags', '1']);
      await expectRejected(sub, tsync, 'seccomp_flags', 'expected a sum of 2 (LOG) and 4 (SPEC_ALLOW)');
      const over = with_(records(sub), allow, ['seccomp_flags', '8']);
      await expectRejected(sub, over, 'seccomp_flags', 'expected a decimal number in range');
    }
  });
});

describe('rejections of the caps and no_new_privs records', () => {
  const subs = !lacksRoot ? (['run', 'exec'] as const) : (['exec'] as const);
  const records = (sub: 'run' | 'exec') => (sub === 'run' ? runRecords() : execRecords());

  it.each([
    ['caps', '-1', 'expected a decimal number'],
    ['caps', '0x3', 'expected a decimal number in range'],
    ['caps', '18446744073709551616', 'expected a decimal number in range'],
    ['no_new_privs', '2', 'expected a decimal number in range'],
    ['no_new_privs', 'true', 'expected a decimal number'],
  ])('%s %j', async (key, value, what) => {
    for (const sub of subs) await expectRejected(sub, with_(records(sub), [key, value]), key, what);
  });

  it('each at most once', async () => {
    for (const sub of subs) {
      await expectRejected(sub, with_(records(sub), ['caps', '1'], ['caps', '1']), 'caps', 'given twice');
      const twice = with_(records(sub), ['no_new_privs', '0'], ['no_new_privs', '1']);
      await expectRejected(sub, twice, 'no_new_privs', 'given twice');
    }
  });
});
