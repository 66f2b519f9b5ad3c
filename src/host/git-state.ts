// The git commit of the isobench checkout and whether it has uncommitted changes, for result provenance.

import { execa } from 'execa';

export interface GitState {
  /** HEAD commit (40 hex), or null when not a git checkout, no commit yet, or git is missing. */
  commit: string | null;
  /** Tracked or untracked changes present; null when not a checkout. */
  dirty: boolean | null;
}

/** Reads HEAD and `git status --porcelain` in dir, read-only (GIT_OPTIONAL_LOCKS=0: no index refresh). */
export async function readGitState(dir: string): Promise<GitState> {
  const run = (args: string[]) =>
    execa('git', args, {
      cwd: dir,
      reject: false,
      timeout: 5000,
      stdin: 'ignore',
      env: { GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
    });
  const [head, status] = await Promise.all([
    run(['rev-parse', '--verify', '-q', 'HEAD']),
    run(['status', '--porcelain']),
  ]);
  const commit = head.exitCode === 0 && /^[0-9a-f]{40}$/.test(head.stdout.trim()) ? head.stdout.trim() : null;
  const dirty = status.exitCode === 0 ? status.stdout.trim() !== '' : null;
  return { commit, dirty };
}
