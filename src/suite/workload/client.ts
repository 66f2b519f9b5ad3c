// Runs the load generator on the host and returns its stdout. The scenario validated that it only
// names 127.0.0.1; a non-zero exit is the iteration's failure with the tool's last words.
import { execa } from 'execa';
import { WorkloadError } from '../../errors.js';

export async function runClient(argv: string[], timeoutMs: number, signal: AbortSignal): Promise<string> {
  const [file, ...args] = argv as [string, ...string[]];
  const result = await execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    cancelSignal: signal,
    stdin: 'ignore',
    all: true,
    env: { LC_ALL: 'C' },
  });
  if (result.failed) {
    const why = result.code === 'ENOENT' ? `${file} is not installed on the host` : result.shortMessage;
    const tail = (result.all ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new WorkloadError(`the load generator failed: ${why}`, {
      hint: tail ? `last output: ${tail}` : 'install it with: bash scripts/setup.sh',
    });
  }
  return result.stdout;
}
