// Shapes of a recipe (Containerfile/Dockerfile subset) as parsed, then as planned for the builder.
// NOTE: parsing and planning are pure; only the builder touches the file system.
import type { RootLayout } from '../../paths.js';

/** Instructions the parser accepts, in the order the error message lists them. */
export const SUPPORTED_KEYWORDS = [
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ARG',
  'WORKDIR',
  'CMD',
  'ENTRYPOINT',
  'LABEL',
  'USER',
  'STOPSIGNAL',
] as const;

export type InstructionKeyword = (typeof SUPPORTED_KEYWORDS)[number];

/** One instruction as written: keyword, flags and argument text, nothing substituted yet. */
export interface RawInstruction {
  keyword: InstructionKeyword;
  /** 1-based line of the keyword in the recipe file. */
  line: number;
  /** `--name=value` flags that preceded the arguments, in order. */
  flags: Array<{ name: string; value: string }>;
  /** Argument text after the flags: continuations joined, comments dropped, trimmed. */
  text: string;
  /** Set when the arguments are a JSON array of strings (exec form). */
  json?: string[];
}

/** A parsed recipe: the ARGs before FROM, the FROM, and the instructions of its one stage. */
export interface ParsedRecipe {
  /** Name used in error messages (the file's base name). */
  file: string;
  /** Escape character from the `# escape=` directive (default backslash). */
  escapeChar: '\\' | '`';
  globalArgs: RawInstruction[];
  from: RawInstruction;
  instructions: RawInstruction[];
}

/** What every planned step carries besides its own fields. */
interface StepBase {
  /** 1-based line of the instruction. */
  line: number;
  /** Normalized instruction text for logs and history, e.g. `COPY busybox /bin/busybox`. */
  display: string;
  /** ARG values in effect for this step (name -> value), after --build-arg overrides. */
  args: Record<string, string>;
}

/** COPY or ADD with every variable substituted and the destination made absolute. */
export interface CopyStep extends StepBase {
  kind: 'copy' | 'add';
  /** Source patterns relative to the build context (normalized, never absolute, never `..`). */
  sources: string[];
  /** Absolute destination inside the image. */
  dest: string;
  /** True when dest names a directory (trailing `/`, `.`, or several sources). */
  destIsDir: boolean;
  /** `--chown=user[:group]` as written (names or numeric ids). */
  chown?: { user: string; group?: string };
  /** `--chmod=octal` applied to every copied file and directory. */
  chmod?: number;
}

export interface RunStep extends StepBase {
  kind: 'run';
  /** argv: exec form as written, shell form as ["/bin/sh", "-c", text]. */
  argv: string[];
  network: 'none' | 'host';
}

/** What a RUN step runs: one attached, throwaway container on the image's layers so far. */
export interface RunStepRequest {
  /** Read-only layers, topmost first. */
  lowerDirs: string[];
  /** Writable dir that receives the step's changes; owned by the builder, kept. */
  upperDir: string;
  args: string[];
  env: string[];
  cwd: string;
  user?: string;
  network: RunStep['network'];
  hostname?: string;
  stdio: 'inherit' | 'pipe' | 'ignore';
}

/** How a RUN step ended; stdout/stderr (UTF-8) only for stdio 'pipe'. */
export interface RunStepResult {
  /** Code or 128+signal. */
  exitCode: number;
  signal?: string;
  stdout?: string;
  stderr?: string;
}

/**
 * Runs RUN steps. The image layer cannot launch containers itself (the runtime sits beside it,
 * and itself reads the image store), so the caller passes the container runtime's runner down:
 * `runEphemeral` from src/container. `upperDir` lives below `layout.root`.
 * @throws WorkloadError when the command cannot start (missing binary, bad user).
 */
export type RunStepRunner = (layout: RootLayout, request: RunStepRequest) => Promise<RunStepResult>;

/** Instructions that only change the image config. */
export type ConfigStep = StepBase &
  (
    | { kind: 'env'; vars: Array<[string, string]> }
    | { kind: 'arg'; vars: Array<{ name: string; value?: string }> }
    | { kind: 'workdir'; path: string }
    | { kind: 'cmd'; argv: string[] }
    | {
        kind: 'entrypoint';
        argv: string[] /** True when no CMD came before: the base image's Cmd is dropped. */;
        resetCmd: boolean;
      }
    | { kind: 'label'; labels: Array<[string, string]> }
    | { kind: 'user'; user: string }
    | { kind: 'stopsignal'; signal: string }
  );

export type PlannedStep = CopyStep | RunStep | ConfigStep;

/** Steps that add a layer (if they change any file). */
export function isLayerStep(step: PlannedStep): step is CopyStep | RunStep {
  return step.kind === 'copy' || step.kind === 'add' || step.kind === 'run';
}
