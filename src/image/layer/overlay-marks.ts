// Applies overlay whiteouts (char device 0/0) and opaque markers (trusted.overlay.opaque=y) in one
// batch through the C helper, because Node can neither mknod nor setxattr.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { EnvironmentError, HelperError, InternalError } from '../../errors.js';
import { helperBinary } from '../../paths.js';

export interface OverlayMarks {
  /** Relative paths that become whiteouts. */
  whiteouts: string[];
  /** Relative dirs (existing) that become opaque; '.' is the root. */
  opaques: string[];
}

/**
 * Runs `isobench-helper overlay-marks DESTDIR` with stdin lines `w RELPATH` / `o RELPATH`.
 * Preconditions: paths are normalized, relative, contain no newline, and their parents are real
 * directories (the caller re-checked them with lstat just before).
 */
export async function applyOverlayMarks(destDir: string, marks: OverlayMarks): Promise<void> {
  const lines = [...marks.whiteouts.map((p) => `w ${p}`), ...marks.opaques.map((p) => `o ${p}`)];
  if (lines.length === 0) return;
  for (const p of [...marks.whiteouts, ...marks.opaques]) {
    if (p.includes('\n') || p.startsWith('/') || p.split('/').includes('..')) {
      throw new InternalError(`refusing to pass unnormalized path ${JSON.stringify(p)} to overlay-marks`);
    }
  }
  const helper = helperBinary();
  try {
    await access(helper);
  } catch {
    throw new EnvironmentError(`the isobench helper is missing at ${helper}`, {
      hint: 'build it with `npm run build:helper` (or set ISOBENCH_HELPER)',
    });
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(helper, ['overlay-marks', destDir], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', (error) => reject(new HelperError('spawn', `cannot run ${helper}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new HelperError(
            'overlay-marks',
            `${helper} overlay-marks ${destDir} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
    });
    // EPIPE if the helper dies early is reported through 'close'.
    child.stdin.on('error', () => {});
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}
