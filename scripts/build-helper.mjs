// Compiles the two C programs with the system compiler, statically linked:
//   build/isobench-helper  clone/unshare, mounts, pivot_root, exec, and the tiny per-container monitor
//   build/isobench-probe   the workload binary every target runs (src/probe/)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cc = process.env.CC ?? 'cc';
const flags = ['-O2', '-static', '-Wall', '-Wextra', '-Werror'];

function compile(name, srcDir) {
  const sources = readdirSync(srcDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(srcDir, f));
  if (sources.length === 0) throw new Error(`build-helper: no C sources in ${srcDir}`);
  const out = path.join(root, 'build', name);
  execFileSync(cc, [...flags, '-o', out, ...sources], { stdio: 'inherit' });
  console.log(`build-helper: ${path.relative(root, out)}`);
}

mkdirSync(path.join(root, 'build'), { recursive: true });
compile('isobench-helper', path.join(root, 'src', 'container', 'helper'));
compile('isobench-probe', path.join(root, 'src', 'probe'));
