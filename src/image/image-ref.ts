// Image references ("name[:tag]"): validation, formatting, and the names found in imported archives.
import { InputError } from '../errors.js';

const NAME_PATTERN = /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const EXPECTED = 'expected NAME[:TAG] with NAME of lowercase [a-z0-9._/-] and TAG of [A-Za-z0-9_.-]{1,128}';

export interface ImageRef {
  name: string;
  tag: string;
}

/** Parses and validates "name" or "name:tag" (tag defaults to "latest"). Throws InputError. */
export function parseImageRef(ref: string): ImageRef {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : 'latest';
  if (name.length === 0 || name.length > 255 || !NAME_PATTERN.test(name)) {
    throw new InputError(`invalid image name '${name}' in reference '${ref}'`, {
      hint: `${EXPECTED}, e.g. busybox:1.36`,
    });
  }
  if (!TAG_PATTERN.test(tag)) {
    throw new InputError(`invalid image tag '${tag}' in reference '${ref}'`, {
      hint: `${EXPECTED}, e.g. busybox:1.36`,
    });
  }
  return { name, tag };
}

/** "name:tag" from a reference, with the default tag filled in. */
export function normalizeImageRef(ref: string): string {
  const { name, tag } = parseImageRef(ref);
  return `${name}:${tag}`;
}

/** Drops Docker Hub's implicit prefixes: "docker.io/library/busybox:1" -> "busybox:1". */
export function stripDefaultRegistry(ref: string): string {
  for (const prefix of ['docker.io/library/', 'index.docker.io/library/', 'docker.io/', 'index.docker.io/']) {
    if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  }
  return ref;
}

/** A usable image name from a file name ("busybox-1.36.oci.tar" -> "busybox-1.36.oci"), or undefined. */
export function nameFromFile(fileName: string): string | undefined {
  const stem = fileName
    .replace(/\.(tar|tgz|tar\.gz)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  return stem.length > 0 && NAME_PATTERN.test(stem) ? stem : undefined;
}
