// biome-ignore-all lint/suspicious/noTemplateCurlyInString: recipe text uses ${VAR} substitution literally
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/image/recipe/parse.js';
import { planSteps, resolveBaseRef } from '../../src/image/recipe/plan.js';

describe('parseRecipe', () => {
  it('parses every instruction, flags, exec form, comments and continuations', () => {
    const text = [
      '# a comment',
      'ARG BASE=scratch',
      'from ${BASE} AS only',
      '',
      'copy --chown=1000:100 a b/ /dst/',
      'RUN echo one && \\',
      '  # skipped comment',
      '',
      '    echo two',
      'RUN --network=host ["/bin/busybox", "--install", "-s", "/bin"]',
      'CMD ["sh"]',
      'ENTRYPOINT /bin/init',
      'ENV A=1',
      'LABEL k=v',
      'USER tester',
      'WORKDIR /w',
      'ADD x.tar.gz /',
      'STOPSIGNAL SIGINT',
    ].join('\n');
    const recipe = parseRecipe('Containerfile', text);
    expect(recipe).toEqual({
      file: 'Containerfile',
      escapeChar: '\\',
      globalArgs: [{ keyword: 'ARG', line: 2, flags: [], text: 'BASE=scratch' }],
      from: { keyword: 'FROM', line: 3, flags: [], text: '${BASE} AS only' },
      instructions: [
        { keyword: 'COPY', line: 5, flags: [{ name: 'chown', value: '1000:100' }], text: 'a b/ /dst/' },
        { keyword: 'RUN', line: 6, flags: [], text: 'echo one &&     echo two' },
        {
          keyword: 'RUN',
          line: 10,
          flags: [{ name: 'network', value: 'host' }],
          text: '["/bin/busybox", "--install", "-s", "/bin"]',
          json: ['/bin/busybox', '--install', '-s', '/bin'],
        },
        { keyword: 'CMD', line: 11, flags: [], text: '["sh"]', json: ['sh'] },
        { keyword: 'ENTRYPOINT', line: 12, flags: [], text: '/bin/init' },
        { keyword: 'ENV', line: 13, flags: [], text: 'A=1' },
        { keyword: 'LABEL', line: 14, flags: [], text: 'k=v' },
        { keyword: 'USER', line: 15, flags: [], text: 'tester' },
        { keyword: 'WORKDIR', line: 16, flags: [], text: '/w' },
        { keyword: 'ADD', line: 17, flags: [], text: 'x.tar.gz /' },
        { keyword: 'STOPSIGNAL', line: 18, flags: [], text: 'SIGINT' },
      ],
    });
    expect(resolveBaseRef(recipe)).toBe('scratch');
    expect(resolveBaseRef(recipe, { BASE: 'busybox:1' })).toBe('busybox:1');
  });

  it('honours the escape directive, CRLF line ends and a BOM', () => {
    const text = '\uFEFF# escape=`\r\nFROM scratch\r\nRUN echo C:\\dir `\r\n  more\r\n';
    const recipe = parseRecipe('Dockerfile', text);
    expect(recipe.escapeChar).toBe('`');
    expect(recipe.instructions).toEqual([{ keyword: 'RUN', line: 3, flags: [], text: 'echo C:\\dir   more' }]);
  });

  it('treats a directive after the first line as a comment', () => {
    const recipe = parseRecipe('Containerfile', 'FROM scratch\n# escape=`\nRUN a \\\n b');
    expect(recipe.escapeChar).toBe('\\');
    expect(recipe.instructions[0]).toEqual({ keyword: 'RUN', line: 3, flags: [], text: 'a  b' });
  });
});

describe('planSteps', () => {
  it('substitutes ARG and ENV where Docker does, and leaves RUN/CMD to the shell', () => {
    const text = [
      'ARG VERSION=1.0',
      'FROM scratch',
      'ARG VERSION',
      'ARG MODE=${VERSION}-dev',
      'ENV A=1 B="two words" C=${VERSION} D=${UNSET:-fallback} E=${A:+set} F=\'$A\' G=\\$A',
      'ENV LEGACY value with  spaces $A',
      'ENV A=2 H=$A',
      'WORKDIR app',
      'WORKDIR ${MODE}',
      'COPY "my file" ${A}.txt ./',
      'COPY ["${A}", "dest"]',
      'RUN echo $A',
      'LABEL org.version=$VERSION "with space"=yes',
      'USER ${UNSET:-tester}:users',
      'CMD echo $A',
    ].join('\n');
    const plan = planSteps(parseRecipe('Containerfile', text), { buildArgs: { VERSION: '2.0', EXTRA: 'x' } });
    expect(plan.unusedBuildArgs).toEqual(['EXTRA']);
    expect(plan.steps).toEqual([
      { line: 3, display: 'ARG VERSION', args: {}, kind: 'arg', vars: [{ name: 'VERSION' }] },
      {
        line: 4,
        display: 'ARG MODE=${VERSION}-dev',
        args: { VERSION: '2.0' },
        kind: 'arg',
        vars: [{ name: 'MODE', value: '2.0-dev' }],
      },
      {
        line: 5,
        display: 'ENV A=1 B="two words" C=${VERSION} D=${UNSET:-fallback} E=${A:+set} F=\'$A\' G=\\$A',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'env',
        vars: [
          ['A', '1'],
          ['B', 'two words'],
          ['C', '2.0'],
          ['D', 'fallback'],
          ['E', ''], // A is not set before this instruction
          ['F', '$A'],
          ['G', '$A'],
        ],
      },
      {
        line: 6,
        display: 'ENV LEGACY value with  spaces $A',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'env',
        vars: [['LEGACY', 'value with  spaces 1']],
      },
      {
        line: 7,
        display: 'ENV A=2 H=$A',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'env',
        vars: [
          ['A', '2'],
          ['H', '1'],
        ],
      },
      { line: 8, display: 'WORKDIR app', args: { VERSION: '2.0', MODE: '2.0-dev' }, kind: 'workdir', path: '/app' },
      {
        line: 9,
        display: 'WORKDIR ${MODE}',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'workdir',
        path: '/app/2.0-dev',
      },
      {
        line: 10,
        display: 'COPY "my file" ${A}.txt ./',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'copy',
        sources: ['my file', '2.txt'],
        dest: '/app/2.0-dev',
        destIsDir: true,
      },
      {
        line: 11,
        display: 'COPY ["${A}", "dest"]',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'copy',
        sources: ['2'],
        dest: '/app/2.0-dev/dest',
        destIsDir: false,
      },
      {
        line: 12,
        display: 'RUN echo $A',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'run',
        argv: ['/bin/sh', '-c', 'echo $A'],
        network: 'none',
      },
      {
        line: 13,
        display: 'LABEL org.version=$VERSION "with space"=yes',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'label',
        labels: [
          ['org.version', '2.0'],
          ['with space', 'yes'],
        ],
      },
      {
        line: 14,
        display: 'USER ${UNSET:-tester}:users',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'user',
        user: 'tester:users',
      },
      {
        line: 15,
        display: 'CMD echo $A',
        args: { VERSION: '2.0', MODE: '2.0-dev' },
        kind: 'cmd',
        argv: ['/bin/sh', '-c', 'echo $A'],
      },
    ]);
  });

  it('uses the base image Env and WorkingDir, and resets Cmd on ENTRYPOINT without CMD', () => {
    const text =
      'FROM base\nENV P=$PATH:/opt\nCOPY --chmod=0755 --chown=tester f .\nENTRYPOINT ["/e"]\nRUN --network=host true';
    const plan = planSteps(parseRecipe('Containerfile', text), { base: { Env: ['PATH=/bin'], WorkingDir: '/home' } });
    expect(plan.steps.map(({ args: _a, display: _d, ...rest }) => rest)).toEqual([
      { line: 2, kind: 'env', vars: [['P', '/bin:/opt']] },
      {
        line: 3,
        kind: 'copy',
        sources: ['f'],
        dest: '/home',
        destIsDir: true,
        chown: { user: 'tester' },
        chmod: 0o755,
      },
      { line: 4, kind: 'entrypoint', argv: ['/e'], resetCmd: true },
      { line: 5, kind: 'run', argv: ['/bin/sh', '-c', 'true'], network: 'host' },
    ]);
  });

  it('passes proxy build args to RUN without a declaration', () => {
    const plan = planSteps(parseRecipe('Containerfile', 'FROM scratch\nRUN true'), {
      buildArgs: { http_proxy: 'http://p:3128' },
    });
    expect(plan.unusedBuildArgs).toEqual([]);
    expect(plan.steps[0]?.args).toEqual({ http_proxy: 'http://p:3128' });
  });
});
