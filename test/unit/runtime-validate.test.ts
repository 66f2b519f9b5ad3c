import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PATH,
  mergeEnv,
  parseNetworkMode,
  validateArgs,
  validateEnv,
  validateHostname,
  validateWorkdir,
} from '../../src/container/validate-request.js';

describe('env', () => {
  it('accepts KEY=VALUE and KEY=', () => {
    expect(() => validateEnv(['A=1', 'B=', 'C=x=y'])).not.toThrow();
  });
  it('rejects entries without a key or =', () => {
    expect(() => validateEnv(['A'])).toThrow("expected --env to be KEY=VALUE, got 'A'");
    expect(() => validateEnv(['=x'])).toThrow("expected --env to be KEY=VALUE, got '=x'");
  });
  it('overrides image entries key by key, keeping order', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1', 'B=2'], ['A=9', 'C=3'])).toEqual(['PATH=/bin', 'A=9', 'B=2', 'C=3']);
  });
  it('has a default PATH', () => {
    expect(DEFAULT_PATH).toBe('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });
});

describe('workdir, hostname, args, network', () => {
  it('needs an absolute workdir', () => {
    expect(() => validateWorkdir('/tmp')).not.toThrow();
    expect(() => validateWorkdir('tmp')).toThrow("expected --workdir to be an absolute path, got 'tmp'");
  });
  it('checks hostnames as RFC 1123 within 64 bytes', () => {
    expect(() => validateHostname('bench-1.example')).not.toThrow();
    expect(() => validateHostname('-bad')).toThrow(/expected --hostname/);
    expect(() => validateHostname('a_b')).toThrow(/expected --hostname/);
    expect(() => validateHostname('a'.repeat(65))).toThrow(/expected --hostname/);
    expect(() => validateHostname('')).toThrow(/expected --hostname/);
  });
  it('needs a command', () => {
    expect(() => validateArgs([], 'img:1')).toThrow('no command to run: image img:1 has neither Cmd nor Entrypoint');
    expect(() => validateArgs(['a\0b'], 'img:1')).toThrow(/NUL/);
  });
  it('knows none and host', () => {
    expect(parseNetworkMode('host')).toBe('host');
    expect(() => parseNetworkMode('bridge')).toThrow("expected --network to be none or host, got 'bridge'");
  });
});
