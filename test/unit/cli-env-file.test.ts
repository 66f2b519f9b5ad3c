// Docker's env-file format as `run --env-file` reads it (pure parsing; the CLI path is tested in
// test/integration/cli-run-entrypoint-env-file.test.ts).
import { describe, expect, it } from 'vitest';
import { parseEnvFile } from '../../src/cli/env-file.js';
import { InputError } from '../../src/errors.js';

describe('parseEnvFile', () => {
  it('takes values literally, skips comments and blank lines, and reads CRLF files', () => {
    const text = '# c\r\n\r\n  A=1\r\nB= spaced = "q" \r\nC=\nD=$HOME\n';
    expect(parseEnvFile('f', text, {})).toEqual(['A=1', 'B= spaced = "q" ', 'C=', 'D=$HOME']);
  });

  it('takes a bare name from the given environment, and skips it when unset there', () => {
    expect(parseEnvFile('f', 'SET\nUNSET\n', { SET: 'x' })).toEqual(['SET=x']);
  });

  it('refuses an empty name, a name with spaces and a NUL byte, naming file and line', () => {
    for (const [text, line] of [
      ['OK=1\n=x\n', 2],
      ['A B=1\n', 1],
      ['A=\0\n', 1],
    ] as const) {
      let error: unknown;
      try {
        parseEnvFile('vars.env', text, {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(new RegExp(`^--env-file vars\\.env:${line}: `));
    }
  });
});
