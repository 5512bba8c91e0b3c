// The edge's memory of verified files: each file's bytes with its compressed variants (made once,
// when the file enters), least recently stored dropped first beyond a byte budget.
import { isCompressible, contentTypeFor } from './content-headers.ts';
import type { Compressor, Encoding } from './compression.ts';

export interface CachedFile {
  path: string;
  sha256: string;
  body: Uint8Array;
  variants: Partial<Record<Encoding, Uint8Array>>;
  verifiedAt: number;
}

export interface FileCache {
  get(path: string): CachedFile | undefined;
  /** Keep a file (replacing an older copy of its path), dropping the oldest beyond the budget. */
  remember(file: CachedFile): void;
  /** A verified body with its compressed variants, ready to remember. */
  toCached(path: string, sha256: string, body: Uint8Array, verifiedAt: number): Promise<CachedFile>;
  readonly size: number;
  readonly bytes: number;
}

/** Smaller files are not worth compressing. */
const MIN_COMPRESS_BYTES = 256;

export function createFileCache({ compressor, maxBytes }: { compressor: Compressor; maxBytes: number }): FileCache {
  const files = new Map<string, CachedFile>();
  let bytes = 0;

  return {
    get: (path) => files.get(path),
    remember(file) {
      const old = files.get(file.path);
      if (old) bytes -= sizeOf(old);
      files.delete(file.path);
      files.set(file.path, file);
      bytes += sizeOf(file);
      for (const [key, f] of files) {
        if (bytes <= maxBytes || key === file.path) break;
        files.delete(key);
        bytes -= sizeOf(f);
      }
    },
    async toCached(path, sha256, body, verifiedAt) {
      const variants: Partial<Record<Encoding, Uint8Array>> = {};
      if (body.length >= MIN_COMPRESS_BYTES && isCompressible(contentTypeFor(path))) {
        for (const enc of compressor.encodings) {
          const packed = await compressor.compress(body, enc).catch(() => undefined);
          if (packed !== undefined && packed.length < body.length) variants[enc] = packed;
        }
      }
      return { path, sha256, body, variants, verifiedAt };
    },
    get size() {
      return files.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

function sizeOf(f: CachedFile): number {
  let n = f.body.length;
  for (const v of Object.values(f.variants)) n += v.length;
  return n;
}
