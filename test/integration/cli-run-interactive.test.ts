// `isobench run -it` and `exec -it` through the real CLI on a real pty (test/fixtures/pty-drive.py
// plays the user's terminal): a shell that computes, sees the terminal's size and its changes,
// takes Ctrl-C as a character, exits with its status, and leaves the terminal as it found it.
// Also -i with piped stdin, and the refusal of -it without a terminal.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { cliArgv, runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root', 'python3');

const PTY_DRIVE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pty-drive.py');
let t: TestRoot;

beforeAll(async () => {
  t = await makeTestRoot('interactive');
  await commitBusyboxImage(t.root, 'bb:1', { Env: ['PATH=/bin'], Cmd: ['sh'] });
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

/** A CLI run on a pty of rows x cols (resized to rows2 x cols2 on resize()), driven by typing. */
class Terminal {
  readonly child: ChildProcess;
  output = '';
  errors = '';
  readonly ended: Promise<{ code: number; restored: boolean }>;

  constructor(args: string[], size: [number, number, number, number]) {
    this.child = spawn('python3', [PTY_DRIVE, ...size.map(String), ...cliArgv(t.root, args)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.output += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.errors += s));
    this.ended = new Promise((resolve, reject) =>
      this.child.on('close', () => {
        const match = /exit (-?\d+) (restored|changed)\n$/.exec(this.errors);
        if (!match) reject(new Error(`pty driver ended without a status: ${this.errors}`));
        else resolve({ code: Number(match[1]), restored: match[2] === 'restored' });
      }),
    );
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Resolves once the output (or stderr) after `from` matches. */
  async waitFor(pattern: RegExp, from = 0, stream: 'output' | 'errors' = 'output'): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (pattern.test(this[stream].slice(from))) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${pattern} in ${JSON.stringify(this[stream].slice(from))}`);
  }

  /** Resizes the pty; resolves with the terminal's mode at that moment. */
  async resize(): Promise<'raw' | 'cooked'> {
    const seen = this.errors.length;
    this.child.kill('SIGUSR1');
    await this.waitFor(/resized (raw|cooked)\n/, seen, 'errors');
    return /resized (raw|cooked)\n/.exec(this.errors.slice(seen))![1] as 'raw' | 'cooked';
  }

  /** Host pid of the CLI on the pty. */
  async cliPid(): Promise<number> {
    await this.waitFor(/^pid \d+\n/, 0, 'errors');
    return Number(/^pid (\d+)/.exec(this.errors)![1]);
  }
}

/** Host pids whose command line is exactly `argv` (the container's processes are host processes). */
function pidsRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check()).toBe(true);
}

describe('run -it', () => {
  it('is an interactive shell: output, window size and its change, Ctrl-C, exit status, terminal restored', async () => {
    const term = new Terminal(['run', '-it', '--rm', 'bb:1', 'sh'], [24, 80, 40, 100]);
    let mark = term.output.length;
    term.type('echo $((6*7))\n');
    await term.waitFor(/\r\n42\r\n/, mark);

    mark = term.output.length;
    term.type('stty size\n');
    await term.waitFor(/\r\n24 80\r\n/, mark);
    // Raw while attached: the pty's line discipline inside does the editing and the signals.
    expect(await term.resize()).toBe('raw');
    mark = term.output.length;
    term.type('stty size\n');
    await term.waitFor(/\r\n40 100\r\n/, mark);

    // Ctrl-C is a byte to the pty, whose line discipline interrupts the foreground job only.
    term.type('sleep 4242\n');
    await until(() => pidsRunning(['sleep', '4242']).length === 1);
    term.type('\x03');
    await until(() => pidsRunning(['sleep', '4242']).length === 0);
    mark = term.output.length;
    term.type('echo alive-$((2*3))\n');
    await term.waitFor(/\r\nalive-6\r\n/, mark);

    term.type('exit 3\n');
    expect(await term.ended).toEqual({ code: 3, restored: true });
  });

  it('restores the terminal and leaves nothing for gc when the CLI is SIGKILLed', async () => {
    const term = new Terminal(['run', '-it', '--rm', 'bb:1', 'sh'], [24, 80, 24, 80]);
    const mark = term.output.length;
    term.type('echo $((6*7))\n');
    await term.waitFor(/\r\n42\r\n/, mark);
    expect(await term.resize()).toBe('raw');
    process.kill(await term.cliPid(), 'SIGKILL');
    // Node's own terminal reset at exit cannot run: the helper's parent-death handler restores it.
    expect(await term.ended).toEqual({ code: -9, restored: true });
    expect(await runCli(t.root, ['gc'])).toMatchObject({ code: 0 });
  });

  it('refuses -it when stdin is not a terminal: one line, exit 2, no container', async () => {
    const result = await runCli(t.root, ['run', '-it', '--rm', 'bb:1', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'isobench: the input device is not a TTY; run -it from a terminal, or drop -t to pass piped input with -i alone\n',
    );
    expect(readdirSync(path.join(t.root, 'containers'))).toEqual([]);
  });

  it('-t alone gives the workload a terminal without one on our side', async () => {
    const result = await runCli(t.root, ['run', '-t', '--rm', 'bb:1', 'sh', '-c', 'test -t 0 && tty']);
    expect(result).toMatchObject({ code: 0, stdout: '/dev/pts/0\r\n' });
  });
});

describe('run -i', () => {
  const piped = (args: string[], input: string) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const [node, ...rest] = cliArgv(t.root, args);
      const child = spawn(node!, rest, { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.end(input);
    });

  it('passes piped stdin through; without -i the workload reads /dev/null', async () => {
    expect(await piped(['run', '-i', '--rm', 'bb:1', 'cat'], 'hi\n')).toEqual({ code: 0, stdout: 'hi\n' });
    expect(await piped(['run', '--rm', 'bb:1', 'cat'], 'hi\n')).toEqual({ code: 0, stdout: '' });
  });
});

describe('exec -it', () => {
  it('is an interactive shell in a running container', async () => {
    expect(await runCli(t.root, ['run', '-d', '--name', 'box', 'bb:1', 'sleep', '60'])).toMatchObject({ code: 0 });
    try {
      const term = new Terminal(['exec', '-it', 'box', 'sh'], [30, 90, 30, 90]);
      const mark = term.output.length;
      term.type('echo $((6*7)) $(stty size)\n');
      await term.waitFor(/\r\n42 30 90\r\n/, mark);
      term.type('exit 4\n');
      expect(await term.ended).toEqual({ code: 4, restored: true });
    } finally {
      expect(await runCli(t.root, ['rm', '-f', 'box'])).toMatchObject({ code: 0 });
    }
  });
});
