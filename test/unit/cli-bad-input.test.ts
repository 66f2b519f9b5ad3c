// Bad input to every command: one line on stderr naming the problem and the fix (never a stack
// trace, never the whole help), the exit status its error code maps to (2 for bad input, never 1,
// which `compare` uses for a regression), nothing on stdout, and the state root unchanged.
// Cases that need root (read-only mounts, a container using an image) are in
// test/integration/cli-bad-input-root.test.ts.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { packageDir } from '../../src/paths.js';
import { runCliInProcess } from '../fixtures/cli-in-process.js';
import { snapshotTree } from '../fixtures/tree-snapshot.js';

const RUNS = path.join(packageDir(), 'test', 'fixtures', 'runs');
const TINY = path.join(RUNS, 'synthetic-tiny');
const BUSYBOX_CONTEXT = path.join(packageDir(), 'scenarios', 'images', 'busybox');

let work: string;
let root: string;
/** The archive with one 100 KiB member, cut at byte 5000 (inside the member's data). */
let truncated: string;

async function packTar(entries: Array<{ name: string; body: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) pack.entry({ name: entry.name, mode: 0o644 }, entry.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bad-input-'));
  root = path.join(work, 'root');
  // A state root that was set up (as any first command sets it up): the one compared below.
  await ImageStore.open(root);
  const archive = await packTar([
    { name: 'oci-layout', body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'blobs/sha256/aaaa', body: Buffer.alloc(100 * 1024, 7) },
  ]);
  truncated = path.join(work, 'truncated.tar');
  await fs.writeFile(truncated, archive.subarray(0, 5000));
  const gzipped = gzipSync(archive);
  await fs.writeFile(path.join(work, 'truncated.tar.gz'), gzipped.subarray(0, gzipped.length >> 1));
  await fs.writeFile(path.join(work, 'notes.txt'), 'hello\n');
  await fs.writeFile(path.join(work, 'random.bin'), Buffer.alloc(4096, 0x5a));
  await fs.writeFile(path.join(work, 'empty.tar'), '');
  await fs.writeFile(path.join(work, 'a-file'), 'x');
  await fs.mkdir(path.join(work, 'a-dir'));
  await fs.mkdir(path.join(work, 'empty-context'));
});

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

interface Case {
  /** The command line after `isobench --root ROOT`; `w` is the work dir with the files above. */
  args: (w: string) => string[];
  /** The whole stderr, or a pattern it must match (always one line). */
  stderr: string | RegExp | ((w: string) => string);
  status: number;
  /** Another --root than the set-up one (e.g. a file). */
  root?: (w: string) => string;
}

const USAGE: Array<[string, Case]> = [
  [
    'a bad choice',
    {
      args: () => ['vm', 'run', '--accel', 'bogus', 'busybox', 'true'],
      stderr:
        "isobench: vm run: expected --accel to be one of auto, kvm, tcg, got 'bogus'; see `isobench vm run --help`\n",
      status: 2,
    },
  ],
  [
    'a --network that names no network',
    {
      args: () => ['run', '--network', 'no/such', 'busybox', 'true'],
      stderr: /^isobench: expected --network to be none, host, bridge or a network name, got 'no\/such'.*\n$/,
      status: 2,
    },
  ],
  [
    'a missing argument',
    {
      args: () => ['run'],
      stderr: "isobench: run: missing required argument 'image'; see `isobench run --help`\n",
      status: 2,
    },
  ],
  [
    'an unknown option',
    {
      args: () => ['run', '--bogus', 'busybox'],
      stderr: "isobench: run: unknown option '--bogus'; see `isobench run --help`\n",
      status: 2,
    },
  ],
  [
    'an unknown command, with a suggestion',
    {
      args: () => ['imag', 'ls'],
      stderr: "isobench: unknown command 'imag' (did you mean image?); see `isobench --help`\n",
      status: 2,
    },
  ],
  [
    'no command',
    {
      args: () => [],
      stderr: /^isobench: expected a command: image, run, ps, .*; see `isobench --help`\n$/,
      status: 2,
    },
  ],
  [
    'a group without its command',
    {
      args: () => ['vm'],
      stderr: 'isobench: vm: expected a command: run, kernel, ps, stop, rm; see `isobench vm --help`\n',
      status: 2,
    },
  ],
  [
    'too many arguments',
    {
      args: () => ['image', 'ls', 'extra'],
      stderr: 'isobench: image ls: too many arguments: expected at most 0, got 1; see `isobench image ls --help`\n',
      status: 2,
    },
  ],
  [
    'a missing required option',
    {
      args: () => ['image', 'build', BUSYBOX_CONTEXT],
      stderr:
        "isobench: image build: required option '-t, --tag <name[:tag]>' not specified; see `isobench image build --help`\n",
      status: 2,
    },
  ],
  [
    'an option without its value',
    {
      args: () => ['stop', '-t'],
      stderr: "isobench: stop: option '-t, --time <seconds>' argument missing; see `isobench stop --help`\n",
      status: 2,
    },
  ],
  [
    'a bad --format',
    {
      args: () => ['compare', '--format', 'xml', TINY, TINY],
      stderr:
        "isobench: compare: expected --format to be one of md, json, junit, got 'xml'; see `isobench compare --help`\n",
      status: 2,
    },
  ],
  [
    'an empty --root',
    {
      args: () => ['ps'],
      root: () => '',
      stderr: 'isobench: expected --root to be a directory, got an empty string; e.g. --root /var/lib/isobench\n',
      status: 2,
    },
  ],
];

const IMPORT: Array<[string, Case]> = [
  [
    'a text file',
    {
      args: (w) => ['image', 'import', `${w}/notes.txt`],
      stderr: (w) =>
        `isobench: ${w}/notes.txt is not a tar archive; give an OCI archive (\`isobench image export\`, skopeo oci-archive:) or a \`docker save\` tar\n`,
      status: 2,
    },
  ],
  [
    'random bytes',
    { args: (w) => ['image', 'import', `${w}/random.bin`], stderr: /random\.bin is not a tar archive; /, status: 2 },
  ],
  [
    'a truncated archive',
    {
      args: (w) => ['image', 'import', `${w}/truncated.tar`],
      stderr: (w) =>
        `isobench: ${w}/truncated.tar is truncated: the archive ends early at byte 5000, in or after 'blobs/sha256/aaaa'; export or download it again\n`,
      status: 2,
    },
  ],
  [
    'a truncated gzip archive',
    {
      args: (w) => ['image', 'import', `${w}/truncated.tar.gz`],
      stderr: (w) =>
        `isobench: ${w}/truncated.tar.gz is truncated: its gzip stream ends early; export or download it again\n`,
      status: 2,
    },
  ],
  [
    'a directory',
    {
      args: (w) => ['image', 'import', `${w}/a-dir`],
      stderr: (w) =>
        `isobench: cannot import ${w}/a-dir: it is a directory, not an archive file; give the path of an OCI archive or a \`docker save\` tar; an OCI layout directory can be tarred first: tar -cf layout.tar -C ${w}/a-dir .\n`,
      status: 2,
    },
  ],
  ['an empty file', { args: (w) => ['image', 'import', `${w}/empty.tar`], stderr: /: the file is empty; /, status: 2 }],
  [
    'a missing file',
    { args: (w) => ['image', 'import', `${w}/nosuch.tar`], stderr: /nosuch\.tar: no such file; /, status: 2 },
  ],
  [
    'a bad --tag (refused before the archive is read)',
    {
      args: (w) => ['image', 'import', `${w}/truncated.tar`, '--tag', 'Bad Tag'],
      stderr: /^isobench: invalid image name 'Bad Tag' in reference 'Bad Tag'; expected NAME\[:TAG\]/,
      status: 2,
    },
  ],
];

const ROOT_AND_PATHS: Array<[string, Case]> = [
  ...(['image ls', 'ps -a', 'run busybox true', `image build -t x ${BUSYBOX_CONTEXT}`, 'vm ps'] as const).map(
    (command): [string, Case] => [
      `--root naming a file: ${command.split(' ').slice(0, 2).join(' ')}`,
      {
        args: () => command.split(' '),
        root: (w) => `${w}/a-file`,
        stderr: (w) =>
          `isobench: the state root ${w}/a-file is a file, not a directory; give --root (or ISOBENCH_ROOT) a directory isobench can write\n`,
        status: 2,
      },
    ],
  ),
  [
    '--root below a file',
    {
      args: () => ['image', 'ls'],
      root: (w) => `${w}/a-file/root`,
      stderr: (w) =>
        `isobench: cannot create the state root ${w}/a-file/root: ${w}/a-file is a file, not a directory; give --root (or ISOBENCH_ROOT) a directory isobench can write\n`,
      status: 2,
    },
  ],
  [
    'image export into a missing directory',
    {
      args: (w) => ['image', 'export', 'busybox', `${w}/nosuch/out.tar`],
      stderr: (w) =>
        `isobench: cannot write ${w}/nosuch/out.tar: the directory ${w}/nosuch does not exist; create the directory first, or give a path in an existing one\n`,
      status: 2,
    },
  ],
  [
    'image export onto a directory',
    {
      args: (w) => ['image', 'export', 'busybox', `${w}/a-dir`],
      stderr: (w) => `isobench: cannot write ${w}/a-dir: it is a directory; give a file name\n`,
      status: 2,
    },
  ],
  [
    'image export onto a device node (renaming over it would replace /dev/null)',
    {
      args: () => ['image', 'export', 'busybox', '/dev/null'],
      stderr:
        'isobench: cannot write /dev/null: it exists and is not a regular file (a device, FIFO, socket or symlink); give the path of a regular file or of one that does not exist yet\n',
      status: 2,
    },
  ],
  [
    'compare -o into a missing directory',
    {
      args: (w) => ['compare', '-o', `${w}/nosuch/cmp.md`, TINY, TINY],
      stderr: /^isobench: cannot write .*\/nosuch\/cmp\.md: the directory .*\/nosuch does not exist; /,
      status: 2,
    },
  ],
  [
    'suite run --out naming a file',
    {
      args: (w) => ['suite', 'run', '--out', `${w}/a-file`, 'startup'],
      stderr: (w) =>
        `isobench: cannot write into ${w}/a-file: it exists and is not a directory; give a new directory, or an existing one\n`,
      status: 2,
    },
  ],
  [
    'a build context that is not a directory',
    {
      args: (w) => ['image', 'build', `${w}/a-file`, '-t', 'x'],
      stderr: /^isobench: build context .*\/a-file is not a directory; /,
      status: 2,
    },
  ],
  [
    'a build context without a recipe',
    {
      args: (w) => ['image', 'build', `${w}/empty-context`, '-t', 'x'],
      stderr: /^isobench: no Containerfile or Dockerfile in .*\/empty-context; /,
      status: 2,
    },
  ],
  [
    'a recipe file that is a directory',
    {
      args: (w) => ['image', 'build', BUSYBOX_CONTEXT, '-t', 'x', '-f', `${w}/a-dir`],
      stderr: /^isobench: recipe file .*\/a-dir is not a regular file; /,
      status: 2,
    },
  ],
];

const FLAGS: Array<[string, Case]> = [
  [
    'vm run --memory below the range (before any banner)',
    {
      args: () => ['vm', 'run', '--memory', '1m', 'busybox', 'true'],
      stderr: "isobench: expected --memory to be from 64m to 64g, got '1m' (1 MiB)\n",
      status: 2,
    },
  ],
  [
    'vm run --cpus 0',
    {
      args: () => ['vm', 'run', '--cpus', '0', 'busybox', 'true'],
      stderr: "isobench: expected --cpus to be a whole number of vCPUs from 1 to 64, got '0'\n",
      status: 2,
    },
  ],
  [
    'vm run --name with a bad character',
    {
      args: () => ['vm', 'run', '--name', 'bad!', 'busybox', 'true'],
      stderr:
        "isobench: expected --name to be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit, got 'bad!'\n",
      status: 2,
    },
  ],
  [
    'vm run of a missing image (before any banner)',
    {
      args: () => ['vm', 'run', 'nosuch', 'true'],
      stderr:
        /^isobench: no image nosuch:latest \(tried nosuch:latest, localhost\/nosuch:latest\); list images with `isobench image ls`/,
      status: 3,
    },
  ],
  [
    'run --memory garbage',
    {
      args: () => ['run', '--memory', 'bogus', 'busybox', 'true'],
      stderr: /^isobench: expected --memory to be a size like 512k, 256m, 1g or a byte count, got 'bogus'; /,
      status: 2,
    },
  ],
  [
    'run --memory beyond any size',
    {
      args: () => ['run', '--memory', '99999999999999999999g', 'busybox', 'true'],
      stderr: "isobench: expected --memory to be at most 8191t, got '99999999999999999999g'\n",
      status: 2,
    },
  ],
  [
    'run --cpus negative',
    {
      args: () => ['run', '--cpus', '-1', 'busybox', 'true'],
      stderr: "isobench: expected --cpus to be a number of CPUs such as 0.5 or 2, got '-1'\n",
      status: 2,
    },
  ],
  [
    'suite run --targets unknown',
    {
      args: () => ['suite', 'run', '--targets', 'bogus'],
      stderr:
        /^isobench: expected --targets to be a comma-separated list of native, container, vm, runc, crun, podman; got "bogus"\n$/,
      status: 2,
    },
  ],
  [
    'suite run --targets empty (it ran every target before)',
    {
      args: () => ['suite', 'run', '--targets', ''],
      stderr: 'isobench: expected --targets to name at least one of native, container, vm, runc, crun, podman\n',
      status: 2,
    },
  ],
  [
    'suite run --iterations 0',
    {
      args: () => ['suite', 'run', '--iterations', '0'],
      stderr: 'isobench: expected --iterations to be a whole number from 1 to 10000; got "0"\n',
      status: 2,
    },
  ],
  [
    'suite run of an unknown scenario',
    { args: () => ['suite', 'run', 'nosuch'], stderr: /^isobench: scenario 'nosuch' not found /, status: 3 },
  ],
  [
    'history --metric unknown (it matched nothing and exited 0 before)',
    {
      args: () => ['history', '--metric', 'bogus'],
      stderr: /^isobench: expected --metric to be one of startup\.ready, startup\.exit, .*, got 'bogus'\n$/,
      status: 2,
    },
  ],
  [
    'history --target unknown',
    {
      args: () => ['history', '--target', 'bogus'],
      stderr: "isobench: expected --target to be one of native, container, vm, runc, crun, podman, got 'bogus'\n",
      status: 2,
    },
  ],
  [
    'history --limit 0',
    {
      args: () => ['history', '--limit', '0'],
      stderr: 'isobench: expected --limit to be a whole number of runs from 1 to 99999, got 0; e.g. --limit 20\n',
      status: 2,
    },
  ],
  [
    'compare --threshold garbage',
    {
      args: () => ['compare', '--threshold', 'bogus', TINY, TINY],
      stderr: /^isobench: expected --threshold to be a percentage like 5% or a ratio below 1 like 0\.05, got bogus; /,
      status: 2,
    },
  ],
  [
    'compare of one run',
    {
      args: () => ['compare', TINY],
      stderr: /^isobench: expected a baseline and a candidate run, got one run; /,
      status: 2,
    },
  ],
  [
    'compare --against history without a history',
    {
      args: () => ['compare', '--against', 'history', TINY],
      stderr:
        /^isobench: nothing to compare: there is no history yet .*; record baseline runs first: `isobench suite run` records each run/,
      status: 2,
    },
  ],
  [
    'report of a missing run',
    {
      args: (w) => ['report', `${w}/nosuch`],
      stderr: /^isobench: no run at .*\/nosuch: the path does not exist; /,
      status: 3,
    },
  ],
  [
    'image inspect of a malformed reference',
    {
      args: () => ['image', 'inspect', 'A:B:C'],
      stderr: /^isobench: invalid image name 'A:B' in reference 'A:B:C'; /,
      status: 2,
    },
  ],
  [
    'image build --build-arg without a name',
    {
      args: () => ['image', 'build', BUSYBOX_CONTEXT, '-t', 'x', '--build-arg', '1x=y'],
      stderr: "isobench: --build-arg expects NAME=VALUE, got '1x=y'; e.g. --build-arg VERSION=1.2\n",
      status: 2,
    },
  ],
];

describe.each([
  ['usage errors', USAGE],
  ['image import', IMPORT],
  ['the state root and output paths', ROOT_AND_PATHS],
  ['flags each command checks', FLAGS],
])('%s', (_group, cases) => {
  it.each(cases)('%s', async (_name, c) => {
    const before = await snapshotTree(work);
    const result = await runCliInProcess(c.root ? c.root(work) : root, c.args(work));
    const expected = typeof c.stderr === 'function' ? c.stderr(work) : c.stderr;
    if (typeof expected === 'string') expect(result.stderr).toBe(expected);
    else expect(result.stderr).toMatch(expected);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(c.status);
    expect(await snapshotTree(work)).toEqual(before);
  });
});
