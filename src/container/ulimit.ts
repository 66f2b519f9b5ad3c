// --ulimit NAME=SOFT[:HARD] with Docker's names and meaning, and the check that this host lets the
// runtime set it: raising a hard limit needs CAP_SYS_RESOURCE, which a container host may lack.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { UlimitSpec } from './types.js';

/** Docker's --ulimit names (go-units), with the /proc/PID/limits row of each. */
const LIMIT_ROWS: Record<string, string> = {
  core: 'Max core file size',
  cpu: 'Max cpu time',
  data: 'Max data size',
  fsize: 'Max file size',
  locks: 'Max file locks',
  memlock: 'Max locked memory',
  msgqueue: 'Max msgqueue size',
  nice: 'Max nice priority',
  nofile: 'Max open files',
  nproc: 'Max processes',
  rss: 'Max resident set',
  rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout',
  sigpending: 'Max pending signals',
  stack: 'Max stack size',
};

/** CAP_SYS_RESOURCE (capability(7)): lets setrlimit raise a hard limit. */
const CAP_SYS_RESOURCE = 24n;

function parseValue(text: string, flag: string): number | 'unlimited' {
  // -1 is Docker's spelling of unlimited.
  if (text === '-1' || text === 'unlimited') return 'unlimited';
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InputError(`expected --ulimit values to be whole numbers or -1 (unlimited), got '${flag}'`, {
      hint: 'e.g. --ulimit nofile=1024:2048 or --ulimit core=-1',
    });
  }
  return Number(text);
}

const above = (a: number | 'unlimited', b: number | 'unlimited'): boolean =>
  a === 'unlimited' ? b !== 'unlimited' : b !== 'unlimited' && a > b;

/** Parses one --ulimit value. @throws InputError naming the value and the expected form. */
export function parseUlimit(text: string): UlimitSpec {
  const match = /^([a-z]+)=([^:]+)(?::([^:]+))?$/.exec(text);
  if (!match) {
    throw new InputError(`expected --ulimit to be NAME=SOFT[:HARD], got '${text}'`, {
      hint: 'e.g. --ulimit nofile=1024:2048 (one resource per flag)',
    });
  }
  const [, name, softText, hardText] = match as unknown as [string, string, string, string | undefined];
  if (!(name in LIMIT_ROWS)) {
    throw new InputError(`unknown --ulimit resource '${name}' in '${text}'`, {
      hint: `use one of ${Object.keys(LIMIT_ROWS).join(', ')}`,
    });
  }
  const soft = parseValue(softText, text);
  const hard = hardText === undefined ? soft : parseValue(hardText, text);
  if (above(soft, hard)) {
    throw new InputError(`expected the --ulimit soft limit to be at most the hard limit, got '${text}'`, {
      hint: `e.g. --ulimit ${name}=${hardText}:${softText}`,
    });
  }
  return { name, soft, hard };
}

/** Parses every --ulimit; a resource given twice is an error (Docker keeps the last silently). */
export function parseUlimits(texts: readonly string[]): UlimitSpec[] {
  const specs = texts.map(parseUlimit);
  const names = specs.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) {
    throw new InputError(`--ulimit ${twice} is given twice`, { hint: 'give each resource once' });
  }
  return specs;
}

/** The hard limit of `name` in a /proc/PID/limits text; 'unlimited', or undefined when absent. */
export function hardLimitFrom(limitsText: string, name: string): number | 'unlimited' | undefined {
  const row = LIMIT_ROWS[name];
  const line = row === undefined ? undefined : limitsText.split('\n').find((l) => l.startsWith(row));
  const hard = line?.slice(row!.length).trim().split(/\s+/)[1];
  if (hard === undefined) return undefined;
  return hard === 'unlimited' ? 'unlimited' : Number(hard);
}

/** Whether a CapEff/CapBnd hex mask from /proc/PID/status holds CAP_SYS_RESOURCE. */
export function hasSysResource(statusText: string): boolean {
  const mask = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText)?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/**
 * Refuses, before anything is created, a --ulimit whose hard limit is above ours when we lack
 * CAP_SYS_RESOURCE: setrlimit(2) would fail with EPERM inside the container. The helper inherits
 * this process's limits and capabilities, so ours are the ones that count.
 * @throws InputError naming the value, this host's hard limit and the way out.
 */
export function checkUlimitsSettable(
  ulimits: readonly UlimitSpec[],
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): void {
  if (ulimits.length === 0 || hasSysResource(read('/proc/self/status'))) return;
  const limits = read('/proc/self/limits');
  for (const u of ulimits) {
    const ours = hardLimitFrom(limits, u.name);
    if (ours === undefined || !above(u.hard, ours)) continue;
    const max = ours === 'unlimited' ? '-1' : String(ours);
    throw new InputError(
      `--ulimit ${u.name}: hard limit ${u.hard === 'unlimited' ? 'unlimited' : u.hard} is above ${max}, the most this host lets isobench set (it lacks CAP_SYS_RESOURCE)`,
      {
        hint: `give at most --ulimit ${u.name}=${u.soft === 'unlimited' || above(u.soft, ours) ? max : u.soft}:${max}`,
      },
    );
  }
}
