// Kconfig fragments (vm-images/*.config): parsed and validated here, turned into the canonical
// text the kernel cache key hashes, and checked against the .config Kconfig produced, so an
// option dropped for an unmet dependency stops the build instead of vanishing silently.
import { InputError } from '../errors.js';

/** One setting of a fragment: `CONFIG_FOO=y`, `CONFIG_NR_CPUS=64`, `CONFIG_X="s"` or `# CONFIG_FOO is not set` (value 'n'). */
export interface KconfigSetting {
  symbol: string;
  value: string;
  /** 1-based line in the fragment. */
  line: number;
}

const SYMBOL = /^CONFIG_[A-Za-z0-9_]{1,100}$/;
// y, n, a decimal or hex number, or a short string of plain characters. Strings are where a fragment
// could attack the host: make expands $(...) in .config values (auto.conf is included by the
// Makefile), and path-valued options (INITRAMFS_SOURCE, EXTRA_FIRMWARE_DIR, ...) copy host files
// into the kernel. So no '$', no '/', no quotes, backslashes or shell punctuation.
const VALUE = /^(y|n|-?[0-9]{1,20}|0x[0-9a-fA-F]{1,16}|"[A-Za-z0-9 _.,:=+-]{0,200}")$/;
const SET_LINE = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET_LINE = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;
const MAX_FRAGMENT_BYTES = 256 * 1024;

/**
 * Parses a fragment. Comments and blank lines are allowed anywhere; every other line must be a
 * setting. `=m` is refused: the guest has no module loader. Pure.
 * @throws InputError naming `file:line` and the expected form.
 */
export function parseKconfigFragment(file: string, text: string): KconfigSetting[] {
  if (Buffer.byteLength(text) > MAX_FRAGMENT_BYTES) {
    throw new InputError(
      `${file}: a Kconfig fragment over ${MAX_FRAGMENT_BYTES} bytes; expected a short list of options`,
    );
  }
  const settings: KconfigSetting[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trimEnd();
    const line = i + 1;
    let symbol: string;
    let value: string;
    const unset = UNSET_LINE.exec(raw);
    const set = SET_LINE.exec(raw);
    if (unset) {
      symbol = unset[1]!;
      value = 'n';
    } else if (set) {
      symbol = set[1]!;
      value = set[2]!;
    } else if (raw === '' || raw.startsWith('#')) {
      continue;
    } else {
      throw new InputError(
        `${file}:${line}: expected CONFIG_NAME=value, '# CONFIG_NAME is not set' or a # comment, got '${raw.slice(0, 80)}'`,
      );
    }
    if (!SYMBOL.test(symbol)) throw new InputError(`${file}:${line}: '${symbol}' is not a Kconfig symbol name`);
    if (value === 'm') {
      throw new InputError(`${file}:${line}: ${symbol}=m: the guest kernel loads no modules; use =y`);
    }
    if (!VALUE.test(value)) {
      throw new InputError(
        `${file}:${line}: ${symbol}: expected y, n, a number or a "string" of letters, digits and _ .,:=+- (no paths, no $), got '${value.slice(0, 80)}'`,
      );
    }
    const previous = seen.get(symbol);
    if (previous !== undefined) {
      throw new InputError(`${file}:${line}: ${symbol} is already set on line ${previous}; keep one line per option`);
    }
    seen.set(symbol, line);
    settings.push({ symbol, value, line });
  }
  if (settings.length === 0) throw new InputError(`${file}: no CONFIG_ settings found; expected a Kconfig fragment`);
  return settings;
}

/** The settings as sorted `CONFIG_X=v` lines: what the cache key hashes, so comments and order do not count. Pure. */
export function canonicalFragment(settings: KconfigSetting[]): string {
  return settings
    .map((s) => `${s.symbol}=${s.value}`)
    .sort()
    .map((line) => `${line}\n`)
    .join('');
}

/** Symbol -> value of a full .config (unset symbols as 'n'). Pure. */
export function parseDotConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const unset = UNSET_LINE.exec(raw);
    if (unset) {
      values.set(unset[1]!, 'n');
      continue;
    }
    const set = SET_LINE.exec(raw);
    if (set) values.set(set[1]!, set[2]!);
  }
  return values;
}

/** A fragment setting Kconfig did not keep. */
export interface KconfigMismatch {
  symbol: string;
  wanted: string;
  /** What the .config has: 'n' when the symbol is absent (not visible, or its dependencies unmet). */
  got: string;
}

/** The fragment settings the resulting .config does not hold as written. Pure. */
export function findConfigMismatches(settings: KconfigSetting[], dotConfig: Map<string, string>): KconfigMismatch[] {
  return settings
    .map((s) => ({ symbol: s.symbol, wanted: s.value, got: dotConfig.get(s.symbol) ?? 'n' }))
    .filter((m) => m.got !== m.wanted);
}
