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

/** Exit status the CLI uses for each code; 1 is reserved for "the workload/compare said no". */
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

/** Throws EnvironmentError unless the process runs as root (namespaces, mounts, cgroups). */
export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EnvironmentError(`${what} needs root (running as uid ${process.getuid()})`, {
      hint: 'run it as root, e.g. with sudo',
    });
  }
}
