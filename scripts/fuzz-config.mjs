// Builds the libFuzzer target of the C helper's config parser (test/fuzz/helper-config/) with
// ASan and UBSan, and runs it on the committed seeds, bounded:
//   node scripts/fuzz-config.mjs [--seconds N]        time-bounded exploration (default 120 s);
//                                                     new inputs are kept in build/fuzz/corpus
//   node scripts/fuzz-config.mjs --runs N --seed S    a fixed number of inputs from a fixed seed
//                                                     and a fresh corpus: the same inputs every time
//                                                     (what the test suite runs)
// A crash or a broken invariant leaves its input in build/fuzz/ and exits non-zero.
// Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-dev; scripts/setup.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fuzzDir = path.join(root, 'test', 'fuzz', 'helper-config');
const outDir = path.join(root, 'build', 'fuzz');
const binary = path.join(outDir, 'config-fuzz');

function parseArgs(argv) {
  const options = { seconds: 120, runs: undefined, seed: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (!['--seconds', '--runs', '--seed'].includes(flag) || !Number.isSafeInteger(n) || n < 0) {
      console.error(`fuzz-config: expected --seconds N, --runs N or --seed N (whole numbers), got '${flag} ${value}'`);
      process.exit(2);
    }
    options[flag.slice(2)] = n;
  }
  return options;
}

/** Only the parser is instrumented for coverage: the driver's checks compare pointers, which differ run to run. */
function build() {
  const cc = process.env.FUZZ_CC ?? 'clang';
  const common = ['-g', '-O1', '-fno-sanitize-recover=all', '-Wall', '-Wextra', '-Werror'];
  const steps = [
    [
      ...common,
      '-fsanitize=fuzzer-no-link,address,undefined',
      '-c',
      '-o',
      path.join(outDir, 'config.o'),
      path.join(root, 'src', 'container', 'helper', 'config.c'),
    ],
    [
      ...common,
      '-fsanitize=address,undefined',
      '-c',
      '-o',
      path.join(outDir, 'fuzz-config.o'),
      path.join(fuzzDir, 'fuzz-config.c'),
    ],
    [
      '-fsanitize=fuzzer,address,undefined',
      '-o',
      binary,
      path.join(outDir, 'config.o'),
      path.join(outDir, 'fuzz-config.o'),
    ],
  ];
  mkdirSync(outDir, { recursive: true });
  try {
    for (const step of steps) execFileSync(cc, step, { stdio: 'inherit' });
  } catch (error) {
    const missing = error.code === 'ENOENT';
    console.error(
      missing
        ? `fuzz-config: ${cc} not found: install clang and libclang-rt-dev (bash scripts/setup.sh)`
        : 'fuzz-config: building the fuzz target failed (is libclang-rt-dev installed? bash scripts/setup.sh)',
    );
    process.exit(missing ? 6 : 1);
  }
}

const options = parseArgs(process.argv.slice(2));
build();
const fixed = options.runs !== undefined;
// libFuzzer adds new inputs to the first corpus dir: never the committed seeds.
const work = fixed ? mkdtempSync(path.join(os.tmpdir(), 'isobench-fuzz-')) : path.join(outDir, 'corpus');
mkdirSync(work, { recursive: true });
const args = [
  `-dict=${path.join(fuzzDir, 'config.dict')}`,
  '-max_len=16384',
  `-artifact_prefix=${outDir}/`,
  '-print_final_stats=1',
  // Fixed runs: no comparison tracing (-use_cmp=0), whose operands include addresses that ASLR
  // changes, so one seed gives the same inputs on every machine.
  ...(fixed
    ? [`-runs=${options.runs}`, `-seed=${options.seed ?? 1}`, '-use_cmp=0']
    : [`-max_total_time=${options.seconds}`]),
  work,
  path.join(fuzzDir, 'seeds'),
];
console.log(`fuzz-config: ${path.relative(root, binary)} ${args.join(' ')}`);
const result = spawnSync(binary, args, { stdio: 'inherit' });
if (fixed) rmSync(work, { recursive: true, force: true });
process.exit(result.status ?? 1);
