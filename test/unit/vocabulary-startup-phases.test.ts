import { describe, expect, it } from 'vitest';
import { phasesFromLaunch } from '../../src/targets/vm.js';
import {
  PHASE_LABEL_BY_TARGET,
  phaseLabel,
  STARTUP_CLOCK,
  STARTUP_PHASES,
  TARGET_KINDS,
} from '../../src/vocabulary.js';

describe('startup phase words', () => {
  it('names every mark a target emits, in words, never the field name', () => {
    const marks = {
      container: ['helperStartNs', 'namespacesNs', 'rootfsNs', 'execNs', 'readyNs', 'exitNs'],
      runc: ['bundleNs', 'overlayNs', 'readyNs', 'exitNs'],
      crun: ['bundleNs', 'overlayNs', 'readyNs', 'exitNs'],
      native: ['readyNs', 'exitNs'],
      podman: ['readyNs', 'exitNs'],
      vm: Object.keys(
        phasesFromLaunch(
          {
            phases: {
              vmRecordNs: 1,
              diskOverlayNs: 2,
              qemuStartNs: 3,
              kernelNs: 4,
              initNs: 5,
              readyNs: 6,
              exitNs: 7,
              qemuExitNs: 8,
            },
          },
          0,
        ),
      ),
    } as const;
    for (const [target, names] of Object.entries(marks)) {
      for (const name of names) {
        const label = phaseLabel(name, target as keyof typeof marks);
        expect(label, `${target} ${name}`).not.toBe(name);
        expect(label).not.toMatch(/Ns\b/);
      }
    }
  });

  it("prefers a target's own words, falls back to the shared ones, and keeps an unknown mark", () => {
    expect(phaseLabel('readyNs', 'runc')).toBe(PHASE_LABEL_BY_TARGET.runc!.readyNs);
    expect(phaseLabel('overlayNs', 'runc')).toBe(STARTUP_PHASES.overlayNs);
    expect(phaseLabel('readyNs')).toBe(STARTUP_PHASES.readyNs);
    expect(phaseLabel('somethingNewNs', 'vm')).toBe('somethingNewNs');
  });

  it('says what the clock covers on every target', () => {
    for (const target of TARGET_KINDS) {
      const clock = STARTUP_CLOCK[target];
      for (const text of [clock.launch, clock.exit, clock.teardown]) expect(text.length).toBeGreaterThan(10);
    }
  });
});
