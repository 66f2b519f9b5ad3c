// Decompressors for layer blobs: gzip through zlib, zstd through the zstd CLI (Node 20's zlib has
// no zstd), uncompressed as a pass-through.
import { spawn } from 'node:child_process';
import { Duplex, PassThrough, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EnvironmentError, IntegrityError } from '../../errors.js';
import type { LayerCompression } from '../media-types.js';

function createZstdDecompressor(): Duplex {
  const child = spawn('zstd', ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 2048) stderr += chunk;
  });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (error) =>
    duplex.destroy(
      new EnvironmentError(`cannot run zstd to decompress a layer: ${error.message}`, {
        hint: 'install the zstd package (apt-get install zstd)',
      }),
    ),
  );
  child.on('close', (code) => {
    if (code !== 0 && code !== null) {
      duplex.destroy(new IntegrityError(`zstd could not decompress the layer: ${stderr.trim()}`));
    }
  });
  // If the consumer gives up, do not leave zstd behind.
  duplex.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return duplex;
}

/** A stream turning a layer blob of the given compression into its uncompressed tar. */
export function createDecompressor(compression: LayerCompression): Transform | Duplex {
  switch (compression) {
    case 'gzip':
      return createGunzip();
    case 'zstd':
      return createZstdDecompressor();
    case 'none':
      return new PassThrough();
  }
}
