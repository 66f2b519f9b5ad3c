// SOURCE_DATE_EPOCH (reproducible-builds.org): a build given the same epoch gives the same image.
// Read as BuildKit does: the build arg first, then the environment variable.
import { InputError } from '../../errors.js';

/** The variable's name, as a build arg and in the environment. */
export const SOURCE_DATE_EPOCH = 'SOURCE_DATE_EPOCH';

/** 9999-12-31T23:59:59Z: the last second an image's RFC 3339 `created` can hold. */
const MAX_EPOCH_S = 253_402_300_799;

/** Whole seconds since 1970 from `value`; `from` names where it came from. @throws InputError */
export function parseSourceDateEpoch(value: string, from: string): number {
  const seconds = /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds <= MAX_EPOCH_S)) {
    throw new InputError(`expected ${from} to be whole seconds since 1970 (0 to ${MAX_EPOCH_S}), got '${value}'`, {
      hint: 'e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), the time of the last commit',
    });
  }
  return seconds;
}

/**
 * The epoch of a build in seconds: `--build-arg SOURCE_DATE_EPOCH=N`, else the environment's
 * SOURCE_DATE_EPOCH; undefined when neither is set (an empty value counts as unset).
 * @throws InputError naming the source of a malformed value
 */
export function resolveSourceDateEpoch(
  buildArgs: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const arg = buildArgs[SOURCE_DATE_EPOCH];
  if (arg !== undefined && arg !== '') return parseSourceDateEpoch(arg, `--build-arg ${SOURCE_DATE_EPOCH}`);
  const fromEnv = env[SOURCE_DATE_EPOCH];
  if (fromEnv !== undefined && fromEnv !== '')
    return parseSourceDateEpoch(fromEnv, `the ${SOURCE_DATE_EPOCH} environment variable`);
  return undefined;
}
