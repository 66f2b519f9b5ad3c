// The one family of typed errors: every failure a user can see carries a code, a message that
// names the problem, and where possible the fix. The CLI maps `code` to an exit status.

/** Machine-readable class of failure; stable, used for exit codes and JSON output. */
export type ErrorCode =
  | 'INPUT' // bad flag, argument or file given by the user
  | 'RECIPE' // a Containerfile/Dockerfile error, with file:line
  | 'SCENARIO' // a scenario YAML error, with file:line
  | 'NOT_FOUND' // unknown image, container, run
  | 'CONFLICT' // name taken, image in use, wrong lifecycle state
  | 'INTEGRITY' // digest mismatch, corrupt or truncated file
  | 'UNSAFE_ARCHIVE' // a layer tar that would escape the rootfs or holds device nodes
  | 'ENVIRONMENT' // missing package, kernel feature, privilege
  | 'HELPER' // a syscall in the C helper failed
  | 'WORKLOAD' // the measured workload failed
  | 'TIMEOUT'
  | 'INTERRUPTED'
  | 'INTERNAL';

export interface IsobenchErrorOptions {
  /** What the user can do about it, shown on its own line. */
  hint?: string;
  cause?: unknown;
}

export class IsobenchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: IsobenchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad input on the command line or in a file the user named. */
export class InputError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('INPUT', message, options);
  }
}

/** A recipe (Containerfile) error at file:line; `expected` says what would have been valid. */
export class RecipeError extends IsobenchError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string, options?: IsobenchErrorOptions) {
    super('RECIPE', `${file}:${line}: ${message}`, options);
    this.file = file;
    this.line = line;
  }
}

/** A scenario file error at file:line. */
export class ScenarioError extends IsobenchError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string, options?: IsobenchErrorOptions) {
    super('SCENARIO', `${file}:${line}: ${message}`, options);
    this.file = file;
    this.line = line;
  }
}

export class NotFoundError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

export class ConflictError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('CONFLICT', message, options);
  }
}

export class IntegrityError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('INTEGRITY', message, options);
  }
}

/** A layer archive that would write outside its root, or holds what a layer must not hold. */
export class UnsafeArchiveError extends IsobenchError {
  readonly entry: string;
  constructor(entry: string, message: string, options?: IsobenchErrorOptions) {
    super('UNSAFE_ARCHIVE', `unsafe layer entry '${entry}': ${message}`, options);
    this.entry = entry;
  }
}

/** The host lacks a package, a kernel feature or a privilege; `hint` names the fix. */
export class EnvironmentError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('ENVIRONMENT', message, options);
  }
}

/** A syscall in the C helper failed: names the syscall, its argument and errno. */
export class HelperError extends IsobenchError {
  readonly syscall: string;
  readonly errno: number | undefined;
  constructor(syscall: string, message: string, errno?: number, options?: IsobenchErrorOptions) {
    super('HELPER', message, options);
    this.syscall = syscall;
    this.errno = errno;
  }
}

export class WorkloadError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('WORKLOAD', message, options);
  }
}

export class TimeoutError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('TIMEOUT', message, options);
  }
}

export class InternalError extends IsobenchError {
  constructor(message: string, options?: IsobenchErrorOptions) {
    super('INTERNAL', message, options);
  }
}

/**
 * Exit status the CLI uses for each code; 1 is reserved for "the answer is no" (EXIT_ANSWER).
 * NOTE: `--help` and the README's table of exit codes are generated from this and
 * ERROR_CODE_MEANING (src/cli/exit-codes.ts); test/unit/cli-exit-codes.test.ts keeps them equal.
 */
export const EXIT_STATUS: Record<ErrorCode, number> = {
  INPUT: 2,
  RECIPE: 2,
  SCENARIO: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  INTEGRITY: 5,
  UNSAFE_ARCHIVE: 5,
  ENVIRONMENT: 6,
  HELPER: 7,
  WORKLOAD: 8,
  TIMEOUT: 9,
  INTERRUPTED: 130,
  INTERNAL: 70,
};

/** What each code means, as the exit code table in `--help` and the README says it. */
export const ERROR_CODE_MEANING: Record<ErrorCode, string> = {
  INPUT: 'bad input: an unknown flag or command, a missing argument, a bad value, an unusable file or state root',
  RECIPE: 'an error in a Containerfile/Dockerfile (file:line)',
  SCENARIO: 'an error in a scenario file (file:line)',
  NOT_FOUND: 'no such image, container, VM or run',
  CONFLICT: 'a name already taken, an image in use, or a container or VM in the wrong state',
  INTEGRITY: 'a digest mismatch, or a corrupt or truncated stored file',
  UNSAFE_ARCHIVE: 'a layer or archive that would escape its root or holds device nodes',
  ENVIRONMENT: 'the host lacks a package, a kernel feature, a privilege or a writable file system',
  HELPER: 'a system call in the C helper failed',
  WORKLOAD:
    'the workload failed: `suite run` recorded no successful iteration of a case on a target that was available',
  TIMEOUT: 'a timeout',
  INTERRUPTED: 'interrupted (Ctrl-C or SIGTERM)',
  INTERNAL: 'an internal error: a bug in isobench',
};

/** Exit statuses that answer the question a command asks; they are never an error's status. */
export const EXIT_ANSWER = {
  /** Done, and every check passed. */
  yes: 0,
  /** `compare`: a metric regressed or a candidate series failed; `doctor`: a required check failed. */
  no: 1,
} as const;

/** Throws EnvironmentError unless the process runs as root (namespaces, mounts, cgroups). */
export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError(`${what} needs root (running as uid ${process.getuid()})`, {
      hint: 'run it as root, e.g. with sudo',
    });
  }
}
