// The package version, read once from package.json (the CLI's --version and result metadata).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDir } from '../paths.js';

export function readVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageDir(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
