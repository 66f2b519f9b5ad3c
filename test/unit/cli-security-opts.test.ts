// --security-opt no-new-privileges and --privileged as the CLI reads them (seccomp=...: see
// seccomp-docker-profile.test.ts).
import { describe, expect, it } from 'vitest';
import { parseSecurityOpts, refusePrivileged } from '../../src/cli/security-opts.js';
import { InputError } from '../../src/errors.js';

describe('parseSecurityOpts: no-new-privileges', () => {
  it('alone or =true turns it on, =false off; the last one wins; unset leaves the default', () => {
    expect(parseSecurityOpts(['no-new-privileges'])).toEqual({ noNewPrivileges: true });
    expect(parseSecurityOpts(['no-new-privileges=true'])).toEqual({ noNewPrivileges: true });
    expect(parseSecurityOpts(['no-new-privileges=false'])).toEqual({ noNewPrivileges: false });
    expect(parseSecurityOpts(['no-new-privileges=false', 'no-new-privileges'])).toEqual({ noNewPrivileges: true });
    expect(parseSecurityOpts(['seccomp=unconfined', 'no-new-privileges=false'])).toEqual({
      seccomp: { kind: 'unconfined' },
      noNewPrivileges: false,
    });
    expect(parseSecurityOpts([]).noNewPrivileges).toBeUndefined();
  });

  it.each(['no-new-privileges=yes', 'no-new-privileges=', 'no-new-privileges=FALSE'])('refuses %j', (value) => {
    expect(() => parseSecurityOpts([value])).toThrow(InputError);
    expect(() => parseSecurityOpts([value])).toThrow(/no-new-privileges to be true or false/);
  });
});

describe('refusePrivileged', () => {
  it('refuses with the risk and the flags that grant parts of it', () => {
    expect(() => refusePrivileged()).toThrow(InputError);
    try {
      refusePrivileged();
    } catch (error) {
      expect((error as InputError).message).toMatch(/^--privileged is refused: .*take over the host$/);
      expect((error as InputError).hint).toMatch(/--cap-add/);
    }
  });
});
