// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipe text uses ${VAR} substitution literally
import { describe, expect, it } from 'vitest';
import { RecipeError } from '../../src/errors.js';
import { parseRecipe } from '../../src/image/recipe/parse.js';
import { planSteps, resolveBaseRef } from '../../src/image/recipe/plan.js';

/** Parses and plans `text`, returning the RecipeError it must throw. */
function recipeError(text: string, buildArgs: Record<string, string> = {}): RecipeError {
  try {
    const recipe = parseRecipe('Containerfile', text);
    resolveBaseRef(recipe, buildArgs);
    planSteps(recipe, { buildArgs });
  } catch (error) {
    expect(error).toBeInstanceOf(RecipeError);
    return error as RecipeError;
  }
  throw new Error(`expected a RecipeError for:\n${text}`);
}

describe('recipe errors name the file, the line and what was expected', () => {
  const cases: Array<[string, string, number, string]> = [
    [
      'COPY with one argument',
      'FROM scratch\n\nCOPY onlyone',
      3,
      'Containerfile:3: COPY needs at least a source and a destination, got 1 argument',
    ],
    [
      'unknown instruction',
      'FROM scratch\nFETCH x',
      2,
      "Containerfile:2: unknown instruction 'FETCH': expected one of FROM, RUN, COPY, ADD, ENV, ARG, WORKDIR, CMD, ENTRYPOINT, LABEL, USER, STOPSIGNAL",
    ],
    [
      'unsupported Docker instruction',
      'FROM scratch\nEXPOSE 80',
      2,
      "Containerfile:2: unsupported instruction 'EXPOSE': expected one of FROM, RUN, COPY, ADD, ENV, ARG, WORKDIR, CMD, ENTRYPOINT, LABEL, USER, STOPSIGNAL",
    ],
    [
      'broken JSON exec form',
      "FROM scratch\nCMD ['sh']",
      2,
      'Containerfile:2: CMD exec form is not valid JSON (Unexpected token \'\'\', "[\'sh\']" is not valid JSON): expected an array of double-quoted strings like ["cmd", "arg"]',
    ],
    [
      'exec form with a number',
      'FROM scratch\nRUN ["a", 1]',
      2,
      'Containerfile:2: RUN exec form must be a JSON array of strings, got ["a", 1]',
    ],
    [
      'multi-stage',
      'FROM scratch AS a\nRUN true\nFROM scratch',
      3,
      'Containerfile:3: a second FROM (multi-stage build) is not supported',
    ],
    [
      'instruction before FROM',
      '# c\nRUN true\nFROM scratch',
      2,
      'Containerfile:2: expected FROM (or ARG) first, got RUN',
    ],
    ['no FROM', 'ARG A\n', 1, 'Containerfile:1: no FROM instruction: expected FROM scratch or FROM <image>'],
    [
      'COPY --from',
      'FROM scratch\nCOPY --from=build /a /b',
      2,
      'Containerfile:2: COPY --from (multi-stage build) is not supported',
    ],
    [
      'unknown flag',
      'FROM scratch\nRUN --mount=type=cache true',
      2,
      'Containerfile:2: RUN does not support the flag --mount: expected --network',
    ],
    [
      'flag without value',
      'FROM scratch\nRUN --network true',
      2,
      'Containerfile:2: RUN flag --network needs a value: expected --network=VALUE',
    ],
    [
      'bad network',
      'FROM scratch\nRUN --network=bridge true',
      2,
      "Containerfile:2: RUN --network expects none or host, got 'bridge'",
    ],
    [
      'ENV without value',
      'FROM scratch\nENV LONELY',
      2,
      'Containerfile:2: ENV LONELY has no value: expected ENV NAME=value',
    ],
    [
      'ENV pair without =',
      'FROM scratch\nENV A=1 B',
      2,
      "Containerfile:2: ENV expects NAME=value pairs, got 'B' without '='",
    ],
    ['unterminated quote', 'FROM scratch\nENV A="x', 2, 'Containerfile:2: ENV: unterminated double quote in: A="x'],
    ['missing brace', 'FROM scratch\nWORKDIR ${A', 2, "Containerfile:2: WORKDIR: missing '}' in: ${A"],
    [
      'bad modifier',
      'FROM scratch\nWORKDIR ${A/x/y}',
      2,
      "Containerfile:2: WORKDIR: unsupported substitution '${A/x/y}' in: ${A/x/y} (expected ${NAME}, ${NAME:-default} or ${NAME:+alternative})",
    ],
    [
      'empty RUN',
      'FROM scratch\nRUN',
      2,
      'Containerfile:2: RUN needs a command: expected RUN ["prog", "arg"] or RUN shell command',
    ],
    ['empty USER', 'FROM scratch\nUSER', 2, 'Containerfile:2: USER needs a user, e.g. USER 1000 or USER tester:tester'],
    [
      'bad ARG name',
      'FROM scratch\nARG 1X=2',
      2,
      "Containerfile:2: ARG name '1X' is invalid: expected letters, digits and _",
    ],
    [
      'bad chmod',
      'FROM scratch\nCOPY --chmod=rwx a /b',
      2,
      "Containerfile:2: COPY --chmod expects an octal mode like 0755, got 'rwx'",
    ],
    [
      'bad chown',
      'FROM scratch\nCOPY --chown=a:b:c a /b',
      2,
      "Containerfile:2: COPY --chown expects USER or USER:GROUP, got 'a:b:c'",
    ],
    [
      'several sources without a dir destination',
      'FROM scratch\nCOPY a b /c',
      2,
      "Containerfile:2: COPY with several sources needs a destination ending in '/', got '/c'",
    ],
    [
      'ADD of a URL',
      'FROM scratch\nADD https://example.org/x.tar.gz /',
      2,
      "Containerfile:2: ADD from a URL is not supported: 'https://example.org/x.tar.gz'",
    ],
    [
      'continuation at end of file',
      'FROM scratch\nRUN a \\',
      2,
      'Containerfile:2: line continuation at the end of the file: expected another line',
    ],
    [
      'bad escape directive',
      '# escape=x\nFROM scratch',
      1,
      "Containerfile:1: escape directive expects \\ or `, got 'x'",
    ],
    ['NUL byte', 'FROM scratch\nRUN a\0b', 2, 'Containerfile:2: recipe contains a NUL byte: expected a text file'],
    [
      'FROM with extra words',
      'FROM a b',
      1,
      "Containerfile:1: FROM expects 'FROM <image>' or 'FROM <image> AS <name>', got 2 arguments",
    ],
    [
      'foreign platform',
      'FROM --platform=linux/arm64 scratch',
      1,
      'Containerfile:1: FROM --platform=linux/arm64: only linux/amd64 is supported',
    ],
  ];
  for (const [name, text, line, message] of cases) {
    it(name, () => {
      const error = recipeError(text);
      expect(error.line).toBe(line);
      expect(error.file).toBe('Containerfile');
      expect(error.message).toBe(message);
      expect(error.code).toBe('RECIPE');
    });
  }

  it('refuses an oversized recipe', () => {
    const error = recipeError(`FROM scratch\n${'# padding\n'.repeat(120_000)}`);
    expect(error.message).toBe('Containerfile:1: recipe is larger than 1048576 bytes');
  });
});

describe('COPY sources that leave the context are refused when planning', () => {
  const cases: Array<[string, string]> = [
    ['COPY ../secret /x', "Containerfile:2: COPY source '../secret' is outside the build context"],
    ['COPY a/../../secret /x', "Containerfile:2: COPY source 'a/../../secret' is outside the build context"],
    [
      'COPY /etc/shadow /x',
      "Containerfile:2: COPY source '/etc/shadow' is absolute: expected a path relative to the build context",
    ],
    ['ADD ["..", "/x"]', "Containerfile:2: ADD source '..' is outside the build context"],
  ];
  for (const [line, message] of cases) {
    it(line, () => {
      expect(recipeError(`FROM scratch\n${line}`).message).toBe(message);
    });
  }
  it('after substitution of a build arg', () => {
    const error = recipeError('FROM scratch\nARG UP\nCOPY ${UP}/x /x', { UP: '..' });
    expect(error.message).toBe("Containerfile:3: COPY source '../x' is outside the build context");
  });
});
