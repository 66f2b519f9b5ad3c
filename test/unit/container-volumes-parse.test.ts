// Docker's mount flags as `run` parses them: -v, --mount, --tmpfs, and the bad input each refuses
// (one InputError naming the flag and the fix), plus the helper's tmpfs option words.
import { describe, expect, it } from 'vitest';
import {
  checkMountTargets,
  type MountRequest,
  parseMountFlag,
  parseTmpfsFlag,
  parseVolumeFlag,
  sortByDepth,
  tmpfsHelperOptions,
  validateVolumeName,
} from '../../src/container/volumes/parse.js';
import { InputError } from '../../src/errors.js';

/** The InputError `fn` throws (fails the test when it throws nothing or something else). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('-v SOURCE:TARGET[:MODE]', () => {
  it('takes an absolute host path as a bind and anything else as a volume name', () => {
    expect(parseVolumeFlag('/srv/data:/data')).toEqual({
      type: 'bind',
      source: '/srv/data',
      target: '/data',
      readonly: false,
    });
    expect(parseVolumeFlag('cache:/var/cache/:ro')).toEqual({
      type: 'volume',
      source: 'cache',
      target: '/var/cache',
      readonly: true,
    });
    expect(parseVolumeFlag('/a:/b//c/./d:rw')).toMatchObject({ target: '/b/c/d', readonly: false });
  });

  it('refuses a relative container path, .., / itself, a bad mode and extra parts', () => {
    expect(inputError(() => parseVolumeFlag('/a:data')).message).toMatch(/container path to be absolute/);
    expect(inputError(() => parseVolumeFlag('/a:/x/../etc')).message).toMatch(/must not contain '\.\.'/);
    expect(inputError(() => parseVolumeFlag('/a:/')).message).toMatch(/root '\/'/);
    expect(inputError(() => parseVolumeFlag('/a:/proc/sysrq-trigger')).message).toMatch(/not a valid mount target/);
    expect(inputError(() => parseTmpfsFlag('/proc')).message).toMatch(/not a valid mount target under \/proc/);
    expect(parseVolumeFlag('/a:/proc/meminfo:ro')).toMatchObject({ target: '/proc/meminfo' });
    expect(inputError(() => parseVolumeFlag('/a:/b:rw:ro')).message).toMatch(/expected SOURCE:TARGET\[:ro\|rw\]/);
    expect(inputError(() => parseVolumeFlag('/a:/b:rw,ro')).message).toMatch(/mode to be ro or rw, got 'rw,ro'/);
    expect(inputError(() => parseVolumeFlag('/a:/b:z')).message).toMatch(/mode to be ro or rw/);
    expect(inputError(() => parseVolumeFlag('/data')).message).toMatch(/anonymous volumes are not supported/);
    expect(inputError(() => parseVolumeFlag(':/data')).message).toMatch(/source is empty/);
  });

  it('refuses a volume name with / or .., or a relative host path, saying to give an absolute one', () => {
    for (const source of ['a/b', '..', './data', '.hidden', 'x']) {
      const error = inputError(() => parseVolumeFlag(`${source}:/data`));
      expect(error.message).toMatch(/invalid -v .*volume name/);
      expect(error.hint).toMatch(/absolute host path/);
    }
  });

  it('checks volume names as Docker does', () => {
    expect(() => validateVolumeName('my-vol_1.0')).not.toThrow();
    expect(() => validateVolumeName('a'.repeat(129))).toThrow(InputError);
    expect(() => validateVolumeName('-x')).toThrow(InputError);
  });
});

describe('--mount', () => {
  it("takes Docker's keys and aliases, with volume as the default type", () => {
    expect(parseMountFlag('type=bind,src=/srv,dst=/data,ro')).toEqual({
      type: 'bind',
      source: '/srv',
      target: '/data',
      readonly: true,
    });
    expect(parseMountFlag('source=v1,destination=/v,readonly=false')).toEqual({
      type: 'volume',
      source: 'v1',
      target: '/v',
      readonly: false,
    });
    expect(parseMountFlag('type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1770,readonly=1')).toEqual({
      type: 'tmpfs',
      target: '/run',
      readonly: true,
      tmpfs: { sizeBytes: 64 * 2 ** 20, mode: 0o1770, exec: false, suid: false, dev: false },
    });
  });

  it('refuses an unknown key, a repeated key, a missing target or source, and keys of another type', () => {
    expect(inputError(() => parseMountFlag('type=bind,source=/a,target=/b,bind-nonsense=1')).message).toMatch(
      /unknown key 'bind-nonsense'/,
    );
    expect(inputError(() => parseMountFlag('type=bind,src=/a,source=/b,target=/c')).message).toMatch(/given twice/);
    expect(inputError(() => parseMountFlag('type=bind,source=/a')).message).toMatch(/target is missing/);
    expect(inputError(() => parseMountFlag('type=bind,target=/a')).message).toMatch(/source is missing/);
    expect(inputError(() => parseMountFlag('type=bind,source=rel,target=/a')).message).toMatch(/host path/);
    expect(inputError(() => parseMountFlag('type=volume,target=/a,tmpfs-size=1m')).message).toMatch(
      /tmpfs-size is only for type=tmpfs/,
    );
    expect(inputError(() => parseMountFlag('type=tmpfs,source=x,target=/a')).message).toMatch(/no source/);
    expect(inputError(() => parseMountFlag('type=npipe,target=/a')).message).toMatch(/bind, volume or tmpfs/);
    expect(inputError(() => parseMountFlag('type=bind,source=/a,target=b')).message).toMatch(/absolute/);
  });
});

describe('--tmpfs PATH[:OPTS]', () => {
  it("takes Docker's options, and mounts noexec,nosuid,nodev unless told otherwise", () => {
    const m = parseTmpfsFlag('/run:size=65536k,mode=1777,uid=1000,exec');
    expect(m).toEqual({
      type: 'tmpfs',
      target: '/run',
      readonly: false,
      tmpfs: { sizeBytes: 65536 * 1024, mode: 0o1777, uid: 1000, exec: true, suid: false, dev: false },
    });
    expect(tmpfsHelperOptions(m as Extract<MountRequest, { type: 'tmpfs' }>)).toBe(
      'nosuid,nodev,size=67108864,mode=1777,uid=1000',
    );
    const plain = parseTmpfsFlag('/tmp') as Extract<MountRequest, { type: 'tmpfs' }>;
    expect(tmpfsHelperOptions(plain)).toBe('nosuid,nodev,noexec');
    expect(tmpfsHelperOptions(parseTmpfsFlag('/x:ro') as Extract<MountRequest, { type: 'tmpfs' }>)).toBe(
      'ro,nosuid,nodev,noexec',
    );
  });

  it('refuses an unknown option, a bad size or mode, and a relative path', () => {
    expect(inputError(() => parseTmpfsFlag('/run:bogus')).message).toMatch(/unknown tmpfs option 'bogus'/);
    expect(inputError(() => parseTmpfsFlag('/run:size=lots')).message).toMatch(/size/);
    expect(inputError(() => parseTmpfsFlag('/run:mode=999')).message).toMatch(/octal/);
    expect(inputError(() => parseTmpfsFlag('run')).message).toMatch(/absolute/);
  });
});

describe('mount targets', () => {
  it('refuses two mounts on one target, however spelled', () => {
    const error = inputError(() => checkMountTargets([parseVolumeFlag('/a:/data'), parseTmpfsFlag('/data/')]));
    expect(error.message).toBe('duplicate mount target /data: bind /a on /data and tmpfs on /data');
  });

  it('orders parents before children, keeping the given order otherwise', () => {
    const sorted = sortByDepth([{ target: '/a/b/c' }, { target: '/x' }, { target: '/a/b' }, { target: '/a' }]);
    expect(sorted.map((m) => m.target)).toEqual(['/x', '/a', '/a/b', '/a/b/c']);
  });
});
