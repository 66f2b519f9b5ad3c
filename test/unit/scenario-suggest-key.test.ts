import { describe, expect, it } from 'vitest';
import { describeField, editDistance, suggestKey } from '../../src/scenario/format-issue.js';

describe('suggestKey', () => {
  const keys = ['iterations', 'warmup', 'targets', 'sampleIntervalMs'];
  it.each([
    ['iteratons', 'iterations'],
    ['warmups', 'warmup'],
    ['target', 'targets'],
    ['sampleintervalms', 'sampleIntervalMs'],
    ['memory', undefined],
    ['x', undefined],
  ])('%s -> %s', (key, expected) => {
    expect(suggestKey(key, keys)).toBe(expected);
  });
});

describe('editDistance', () => {
  it('counts inserts, deletes and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('describeField', () => {
  it('names the last key with trailing list indexes', () => {
    expect(describeField(['cases', 0, 'targets', 2])).toBe('targets[2]');
    expect(describeField(['cases', 1])).toBe('cases[1]');
    expect(describeField([])).toBe('the scenario');
  });
});
