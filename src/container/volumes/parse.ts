// Docker's mount flags, parsed and checked before anything happens: `-v SOURCE:TARGET[:ro|rw]`,
// `--mount type=bind|volume|tmpfs,...` (Docker's keys and aliases) and `--tmpfs PATH[:OPTS]`.
// Pure: a host path is only checked for its form here (resolve.ts looks it up).
import path from 'node:path';
import { InputError } from '../../errors.js';
import { parseSize } from '../../util/parse-size.js';

/** tmpfs(5) options of a tmpfs mount; absent: the kernel's default (size: half of RAM). */
export interface TmpfsOptions {
  sizeBytes?: number;
  /** Permission bits of the mount's root, e.g. 0o1777. */
  mode?: number;
  uid?: number;
  gid?: number;
  nrInodes?: number;
  /** Docker mounts tmpfs noexec, nosuid and nodev unless told `exec`, `suid`, `dev`. */
  exec: boolean;
  suid: boolean;
  dev: boolean;
}

/** One mount a container asks for. `target` is absolute and normalized inside the container. */
export type MountRequest =
  | { type: 'bind' /** Absolute host path, as given. */; source: string; target: string; readonly: boolean }
  | { type: 'volume' /** The volume's name. */; source: string; target: string; readonly: boolean }
  | { type: 'tmpfs'; target: string; readonly: boolean; tmpfs: TmpfsOptions };

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/;

/** Throws InputError unless `name` is a volume name Docker accepts (2-128 of [a-zA-Z0-9_.-], a letter or digit first). */
export function validateVolumeName(name: string, flag = 'volume name'): void {
  if (!VOLUME_NAME.test(name)) {
    throw new InputError(
      `invalid ${flag} '${name}': a volume name is 2-128 characters of letters, digits, _ . - starting with a letter or digit`,
      { hint: 'name the volume e.g. `data`, or give an absolute host path (/srv/data) for a bind mount' },
    );
  }
}

/** The /proc files runc lets a mount cover (lxcfs-style replacements); nothing else under /proc. */
const PROC_TARGETS = new Set([
  '/proc/cpuinfo',
  '/proc/diskstats',
  '/proc/meminfo',
  '/proc/stat',
  '/proc/swaps',
  '/proc/uptime',
  '/proc/loadavg',
  '/proc/slabinfo',
  '/proc/net/dev',
  '/proc/sys/kernel/ns_last_pid',
]);

/** The normalized absolute target; throws InputError for a relative path, `..`, NUL or `/` itself. */
export function validateTarget(target: string, flag: string): string {
  if (!target.startsWith('/') || target.includes('\0')) {
    throw new InputError(`${flag}: expected the container path to be absolute, got '${target}'`, {
      hint: 'give a path inside the container starting with /, e.g. /data',
    });
  }
  if (target.split('/').includes('..')) {
    throw new InputError(`${flag}: the container path '${target}' must not contain '..'`, {
      hint: 'give the path without .. components, e.g. /data',
    });
  }
  const normalized = path.posix.normalize(target).replace(/(.)\/$/, '$1');
  if (normalized === '/') {
    throw new InputError(`${flag}: cannot mount over the container's root '/'`, {
      hint: 'mount it on a directory below /, e.g. /data',
    });
  }
  // runc's rule: over /proc, only these files (a mount elsewhere could hide the masks on /proc).
  if ((normalized === '/proc' || normalized.startsWith('/proc/')) && !PROC_TARGETS.has(normalized)) {
    throw new InputError(`${flag}: '${normalized}' is not a valid mount target under /proc`, {
      hint: `mount below /proc only on ${[...PROC_TARGETS].join(', ')}`,
    });
  }
  return normalized;
}

function validateHostPath(source: string, flag: string): string {
  if (!source.startsWith('/') || source.includes('\0')) {
    throw new InputError(`${flag}: expected the host path to be absolute, got '${source}'`, {
      hint: 'give an absolute host path, e.g. /srv/data, or a volume name',
    });
  }
  return source;
}

/** `-v SOURCE:TARGET[:MODE]`: SOURCE is an absolute host path (bind) or a volume name; MODE ro or rw. */
export function parseVolumeFlag(value: string): MountRequest {
  const flag = `-v ${value}`;
  const parts = value.split(':');
  if (parts.length === 1) {
    throw new InputError(`${flag}: anonymous volumes are not supported`, {
      hint: `name the volume, e.g. -v data:${value.startsWith('/') ? value : '/data'}`,
    });
  }
  if (parts.length > 3) {
    throw new InputError(`${flag}: expected SOURCE:TARGET[:ro|rw], got ${parts.length} ':'-separated parts`, {
      hint: 'give one mode at the end, e.g. -v /srv/data:/data:ro',
    });
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  let readonly = false;
  if (mode !== undefined) {
    const modes = mode.split(',');
    const bad = modes.find((m) => m !== 'ro' && m !== 'rw');
    if (bad !== undefined || modes.length > 1) {
      throw new InputError(`${flag}: expected the mode to be ro or rw, got '${mode}'`, {
        hint: 'e.g. -v /srv/data:/data:ro (read-only) or :rw (the default)',
      });
    }
    readonly = mode === 'ro';
  }
  if (source === '') {
    throw new InputError(`${flag}: the source is empty`, { hint: 'give a host path or a volume name before the :' });
  }
  const normalizedTarget = validateTarget(target, flag);
  if (source.startsWith('/')) {
    return { type: 'bind', source: validateHostPath(source, flag), target: normalizedTarget, readonly };
  }
  validateVolumeName(source, `${flag}: volume name`);
  return { type: 'volume', source, target: normalizedTarget, readonly };
}

const MOUNT_KEYS: Record<string, string> = {
  type: 'type',
  source: 'source',
  src: 'source',
  target: 'target',
  destination: 'target',
  dst: 'target',
  readonly: 'readonly',
  ro: 'readonly',
  'tmpfs-size': 'tmpfs-size',
  'tmpfs-mode': 'tmpfs-mode',
};

function parseBool(value: string, flag: string, key: string): boolean {
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InputError(`${flag}: expected ${key} to be true or false, got '${value}'`, {
    hint: `write ${key} alone (true) or ${key}=false`,
  });
}

function parseMode(text: string, flag: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) {
    throw new InputError(`${flag}: expected the tmpfs mode in octal (e.g. 1777), got '${text}'`, {
      hint: 'give the permission bits in octal, e.g. tmpfs-mode=1777',
    });
  }
  return Number.parseInt(text, 8);
}

/** `--mount type=bind|volume|tmpfs,source=...,target=...[,readonly][,tmpfs-size=..][,tmpfs-mode=..]` (default type volume). */
export function parseMountFlag(value: string): MountRequest {
  const flag = `--mount ${value}`;
  const fields = new Map<string, string>();
  for (const field of value.split(',')) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const canonical = MOUNT_KEYS[key];
    if (canonical === undefined) {
      throw new InputError(`${flag}: unknown key '${key}'`, {
        hint: 'use type, source (src), target (destination, dst), readonly (ro), tmpfs-size, tmpfs-mode',
      });
    }
    if (eq < 0 && canonical !== 'readonly') {
      throw new InputError(`${flag}: expected ${key}=VALUE, got '${field}'`, { hint: `e.g. ${key}=...` });
    }
    if (fields.has(canonical)) {
      throw new InputError(`${flag}: '${canonical}' is given twice`, { hint: 'give each key once' });
    }
    fields.set(canonical, eq < 0 ? '' : field.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'volume';
  const readonly = fields.has('readonly') ? parseBool(fields.get('readonly')!, flag, 'readonly') : false;
  const targetText = fields.get('target');
  if (targetText === undefined) {
    throw new InputError(`${flag}: the target is missing`, { hint: 'add target=/path/in/container' });
  }
  const target = validateTarget(targetText, flag);
  const source = fields.get('source');
  const tmpfsKeys = ['tmpfs-size', 'tmpfs-mode'].filter((k) => fields.has(k));
  if (type !== 'tmpfs' && tmpfsKeys.length > 0) {
    throw new InputError(`${flag}: ${tmpfsKeys[0]} is only for type=tmpfs`, { hint: `drop ${tmpfsKeys[0]}` });
  }
  switch (type) {
    case 'bind':
      if (!source) throw new InputError(`${flag}: the source is missing`, { hint: 'add source=/absolute/host/path' });
      return { type: 'bind', source: validateHostPath(source, flag), target, readonly };
    case 'volume':
      if (!source) {
        throw new InputError(`${flag}: anonymous volumes are not supported`, { hint: 'name one with source=NAME' });
      }
      validateVolumeName(source, `${flag}: volume name`);
      return { type: 'volume', source, target, readonly };
    case 'tmpfs': {
      if (source !== undefined) throw new InputError(`${flag}: a tmpfs has no source`, { hint: 'drop source=' });
      const size = fields.get('tmpfs-size');
      const mode = fields.get('tmpfs-mode');
      return {
        type: 'tmpfs',
        target,
        readonly,
        tmpfs: {
          ...(size !== undefined ? { sizeBytes: parseSize(size, `${flag}: tmpfs-size`) } : {}),
          ...(mode !== undefined ? { mode: parseMode(mode, flag) } : {}),
          exec: false,
          suid: false,
          dev: false,
        },
      };
    }
    default:
      throw new InputError(`${flag}: expected type to be bind, volume or tmpfs, got '${type}'`, {
        hint: 'e.g. --mount type=bind,source=/srv/data,target=/data',
      });
  }
}

const TMPFS_FLAG_WORDS: Record<string, (o: TmpfsOptions, ro: { readonly: boolean }) => void> = {
  ro: (_, r) => {
    r.readonly = true;
  },
  rw: (_, r) => {
    r.readonly = false;
  },
  exec: (o) => {
    o.exec = true;
  },
  noexec: (o) => {
    o.exec = false;
  },
  suid: (o) => {
    o.suid = true;
  },
  nosuid: (o) => {
    o.suid = false;
  },
  dev: (o) => {
    o.dev = true;
  },
  nodev: (o) => {
    o.dev = false;
  },
};

function parseId(text: string, flag: string, key: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xfffffffe) {
    throw new InputError(`${flag}: expected ${key} to be a number, got '${text}'`, { hint: `e.g. ${key}=1000` });
  }
  return Number(text);
}

/** `--tmpfs PATH[:OPTS]`: OPTS as Docker takes them (size=64m, mode=1777, uid=, gid=, nr_inodes=, ro, exec, ...). */
export function parseTmpfsFlag(value: string): MountRequest {
  const flag = `--tmpfs ${value}`;
  const colon = value.indexOf(':');
  const target = validateTarget(colon < 0 ? value : value.slice(0, colon), flag);
  const tmpfs: TmpfsOptions = { exec: false, suid: false, dev: false };
  const state = { readonly: false };
  for (const option of colon < 0 ? [] : value.slice(colon + 1).split(',')) {
    if (option === '') continue;
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    const text = option.slice(eq + 1);
    const word = TMPFS_FLAG_WORDS[key];
    if (eq < 0 && word) word(tmpfs, state);
    else if (key === 'size' && eq > 0) tmpfs.sizeBytes = parseSize(text, `${flag}: size`);
    else if (key === 'mode' && eq > 0) tmpfs.mode = parseMode(text, flag);
    else if (key === 'uid' && eq > 0) tmpfs.uid = parseId(text, flag, 'uid');
    else if (key === 'gid' && eq > 0) tmpfs.gid = parseId(text, flag, 'gid');
    else if (key === 'nr_inodes' && eq > 0) tmpfs.nrInodes = parseId(text, flag, 'nr_inodes');
    else {
      throw new InputError(`${flag}: unknown tmpfs option '${option}'`, {
        hint: 'use size=64m, mode=1777, uid=N, gid=N, nr_inodes=N, ro, rw, exec, noexec, suid, nosuid, dev, nodev',
      });
    }
  }
  return { type: 'tmpfs', target, readonly: state.readonly, tmpfs };
}

/** How a mount was given, for messages ("-v data:/x", "--tmpfs /x"). */
function describe(m: MountRequest): string {
  if (m.type === 'tmpfs') return `tmpfs on ${m.target}`;
  return `${m.type} ${m.source} on ${m.target}`;
}

/** Throws InputError when two mounts share a target (Docker: "Duplicate mount point"). */
export function checkMountTargets(mounts: readonly MountRequest[]): void {
  const seen = new Map<string, MountRequest>();
  for (const m of mounts) {
    const first = seen.get(m.target);
    if (first) {
      throw new InputError(`duplicate mount target ${m.target}: ${describe(first)} and ${describe(m)}`, {
        hint: 'give each container path one mount',
      });
    }
    seen.set(m.target, m);
  }
}

/** The option string the helper takes for a tmpfs mount (config `tmpfs` record): flags first, then tmpfs(5) data. */
export function tmpfsHelperOptions(m: Extract<MountRequest, { type: 'tmpfs' }>): string {
  const o = m.tmpfs;
  const words = [
    ...(m.readonly ? ['ro'] : []),
    ...(o.suid ? [] : ['nosuid']),
    ...(o.dev ? [] : ['nodev']),
    ...(o.exec ? [] : ['noexec']),
    ...(o.sizeBytes !== undefined ? [`size=${o.sizeBytes}`] : []),
    ...(o.mode !== undefined ? [`mode=${o.mode.toString(8)}`] : []),
    ...(o.uid !== undefined ? [`uid=${o.uid}`] : []),
    ...(o.gid !== undefined ? [`gid=${o.gid}`] : []),
    ...(o.nrInodes !== undefined ? [`nr_inodes=${o.nrInodes}`] : []),
  ];
  return words.join(',');
}

/** Parents before children, as Docker sorts mounts (by the number of path components), stable otherwise. */
export function sortByDepth<T extends { target: string }>(mounts: readonly T[]): T[] {
  const depth = (t: string) => t.split('/').filter(Boolean).length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i)
    .map(({ m }) => m);
}
