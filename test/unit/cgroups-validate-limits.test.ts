// validateLimits: ranges of --memory, --cpus, --pids-limit with "expected X, got Y" messages.

import { describe, expect, it } from 'vitest';
import { validateLimits } from '../../src/container/cgroups/index.js';
import { InputError } from '../../src/errors.js';

const HOST_CPUS = 2;

describe('validateLimits', () => {
  it('accepts no limits and the boundaries', () => {
    expect(() => validateLimits({}, HOST_CPUS)).not.toThrow();
    expect(() => validateLimits({ memoryBytes: 4 * 1024 * 1024, cpus: 0.01, pidsLimit: 1 }, HOST_CPUS)).not.toThrow();
    expect(() => validateLimits({ cpus: 2 }, HOST_CPUS)).not.toThrow();
  });

  it.each([
    [{ memoryBytes: 1024 }, 'expected --memory to be at least 4m, got 1k'],
    [{ memoryBytes: 4 * 1024 * 1024 - 1 }, 'expected --memory to be at least 4m, got 4194303'],
    [{ memoryBytes: 1.5 }, 'expected --memory to be a whole number of bytes, got 1.5'],
    [{ cpus: 0 }, 'expected --cpus to be a number of CPUs greater than 0, got 0'],
    [{ cpus: -1 }, 'expected --cpus to be a number of CPUs greater than 0, got -1'],
    [{ cpus: Number.NaN }, 'expected --cpus to be a number of CPUs greater than 0, got NaN'],
    [{ cpus: 0.001 }, 'expected --cpus to be at least 0.01, got 0.001'],
    [{ cpus: 4 }, 'expected --cpus to be at most 2 (the CPUs of this host), got 4'],
    [{ pidsLimit: 0 }, 'expected --pids-limit to be a whole number of at least 1, got 0'],
    [{ pidsLimit: 2.5 }, 'expected --pids-limit to be a whole number of at least 1, got 2.5'],
  ])('rejects %j', (limits, message) => {
    expect(() => validateLimits(limits, HOST_CPUS)).toThrow(InputError);
    expect(() => validateLimits(limits, HOST_CPUS)).toThrow(message);
  });

  it('explains why 4 MiB is the floor', () => {
    try {
      validateLimits({ memoryBytes: 1024 }, HOST_CPUS);
    } catch (error) {
      expect((error as InputError).hint).toBe(
        'below 4 MiB the container cannot even start; give it at least --memory 4m',
      );
      return;
    }
    expect.unreachable();
  });
});
