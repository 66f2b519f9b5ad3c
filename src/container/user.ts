// Resolves an image USER ("", "name", "uid", "name:group", "uid:gid") to numeric ids from the
// image's own /etc/passwd and /etc/group (the topmost layer that has them), as Docker does.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Numeric identity the workload runs as. */
export interface ResolvedUserIds {
  uid: number;
  gid: number;
  /** Supplementary groups: every /etc/group entry listing the user by name. */
  additionalGids: number[];
  /** Home dir from /etc/passwd, when the user has an entry. */
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 0xfffffffe;
const MAX_DB_BYTES = 4 * 1024 * 1024;

function parseId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

/** Parses /etc/passwd text; malformed lines are skipped (as libc does). */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) continue;
    const uid = parseId(fields[2]!);
    const gid = parseId(fields[3]!);
    if (uid === undefined || gid === undefined) continue;
    entries.push({ name: fields[0]!, uid, gid, home: fields[5]! });
  }
  return entries;
}

/** Parses /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || line.startsWith('#')) continue;
    const gid = parseId(fields[2]!);
    if (gid === undefined) continue;
    entries.push({ name: fields[0]!, gid, members: fields[3]!.split(',').filter(Boolean) });
  }
  return entries;
}

/**
 * Reads etc/<name> from the topmost layer that has an entry for it (upper first). A layer's
 * symlinked etc or file is not followed (it could point at the host); a whiteout ends the search.
 */
async function readLayeredFile(layers: string[], name: 'passwd' | 'group'): Promise<{ text: string; file?: string }> {
  for (const layer of layers) {
    const etc = path.join(layer, 'etc');
    const etcStat = await fs.lstat(etc).catch(() => undefined);
    if (!etcStat) continue;
    if (!etcStat.isDirectory()) return { text: '' };
    const file = path.join(etc, name);
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat) continue;
    if (!stat.isFile() || stat.size > MAX_DB_BYTES) return { text: '' };
    return { text: await fs.readFile(file, 'utf8'), file };
  }
  return { text: '' };
}

/**
 * Resolves `user` against the image layers (lowerDirs topmost first, upperDir searched before
 * them). Numeric ids need no passwd entry (gid then defaults to 0, as Docker). Throws InputError
 * for an unknown user or group name, naming it and the image's /etc/passwd or /etc/group.
 */
export async function resolveUser(
  user: string | undefined,
  lowerDirs: string[],
  upperDir?: string,
): Promise<ResolvedUserIds> {
  const layers = upperDir ? [upperDir, ...lowerDirs] : lowerDirs;
  const spec = user ?? '';
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  const passwd = await readLayeredFile(layers, 'passwd');
  const users = parsePasswd(passwd.text);
  const wantUid = userPart === '' ? 0 : parseId(userPart);
  const entry = wantUid === undefined ? users.find((u) => u.name === userPart) : users.find((u) => u.uid === wantUid);
  if (!entry && wantUid === undefined) {
    throw new InputError(`unknown user \`${userPart}\`: no entry in the image's /etc/passwd`, {
      hint: 'create the user in the image (RUN adduser ...) or give a numeric uid[:gid]',
    });
  }
  const uid = entry?.uid ?? wantUid!;
  const groups = parseGroup((await readLayeredFile(layers, 'group')).text);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const numeric = parseId(groupPart);
    const group = numeric === undefined ? groups.find((g) => g.name === groupPart) : undefined;
    if (numeric === undefined && !group) {
      throw new InputError(`unknown group \`${groupPart}\`: no entry in the image's /etc/group`, {
        hint: 'create the group in the image (RUN addgroup ...) or give a numeric gid',
      });
    }
    gid = numeric ?? group!.gid;
  }
  const name = entry?.name;
  const additionalGids = name
    ? [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  const resolved: ResolvedUserIds = { uid, gid, additionalGids };
  if (entry) resolved.home = entry.home;
  return resolved;
}
