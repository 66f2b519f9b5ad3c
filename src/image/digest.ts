// sha256 digests: validation (before a digest ever becomes a path) and hashing of buffers and streams.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../errors.js';

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** True for "sha256:<64 lowercase hex>", the only digest form the store accepts. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/**
 * Returns `value` if it is a valid digest; otherwise throws IntegrityError naming `where` it was read.
 * NOTE: every digest read from index.json, a manifest or an archive goes through here before it is
 * joined into a path, so a hostile "sha256:../../etc/shadow" never reaches the filesystem.
 */
export function requireDigest(value: unknown, where: string): string {
  if (isDigest(value)) return value;
  throw new IntegrityError(`invalid digest ${JSON.stringify(value)} in ${where}: expected "sha256:<64 hex>"`, {
    hint: 'the file is corrupt or hostile; remove the image with `isobench image rm` and rebuild or re-import it',
  });
}

/** The 64 hex characters of a validated digest. */
export function digestHex(digest: string): string {
  return requireDigest(digest, 'a digest argument').slice('sha256:'.length);
}

/** sha256 digest of bytes. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  private result: string | undefined;
  /** Bytes seen so far. */
  sizeBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
    callback(null, chunk);
  }

  /** The digest of everything seen; call only after the stream has ended. */
  digest(): string {
    this.result ??= `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}
