// A signed snapshot as publishers and the IPFS import take it (SnapshotFiles, src/ports/publisher.ts):
// every path with its digest up front, a file's bytes only when asked. From a snapshot folder, the
// digests are the signed manifest's, so opening 11,000 files reads two (manifest.json and its
// signature); the rest are read only by whoever uploads them, and checked then (checkSnapshot).
import { readFile, realpath } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ANNOUNCEMENT_COPIES, MANIFEST_PATH, SIGNATURE_PATH } from '../../core/manifest.ts';
import { parseManifestBytes } from '../publishers/snapshot-files.ts';
import type { SnapshotEntry, SnapshotFiles } from '../../ports/publisher.ts';

export class SnapshotSourceError extends Error {
  override name = 'SnapshotSourceError';
}

export interface OpenSnapshotDeps {
  /** Reads one file of the snapshot folder; node:fs by default. */
  readFile?: (file: string, signal?: AbortSignal) => Promise<Uint8Array>;
}

const nodeReadFile = (file: string, signal?: AbortSignal): Promise<Uint8Array> => readFile(file, signal === undefined ? {} : { signal });

/**
 * The snapshot at `out` (a folder, or the link `ferry build` swaps): manifest.json and
 * manifest.json.sig are read now, every other file's digest is taken from the manifest, and a
 * file is read only through read(). The link is resolved once, so a build swapping in a newer
 * version meanwhile does not mix two versions into one publish.
 */
export async function openSnapshotFiles(out: string, deps: OpenSnapshotDeps = {}): Promise<SnapshotFiles> {
  const read = deps.readFile ?? nodeReadFile;
  let root: string;
  try {
    root = await realpath(out);
  } catch (e) {
    throw new SnapshotSourceError(
      `${out} holds no snapshot (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run ferry build first`,
    );
  }
  const fileOf = (path: string): string => join(root, ...path.slice(1).split('/'));
  const readHead = async (path: string): Promise<Uint8Array> => {
    try {
      return await read(fileOf(path));
    } catch (e) {
      throw new SnapshotSourceError(`${out}${path} cannot be read (${(e as Error).message}); run ferry build to write a signed snapshot`);
    }
  };
  const manifestBytes = await readHead(MANIFEST_PATH);
  const signatureBytes = await readHead(SIGNATURE_PATH);
  let files;
  try {
    files = parseManifestBytes(manifestBytes).files;
  } catch (e) {
    throw new SnapshotSourceError(`${out}${MANIFEST_PATH}: ${(e as Error).message}; rebuild the snapshot`);
  }
  const entries = new Map<string, SnapshotEntry>();
  for (const [path, entry] of Object.entries(files)) entries.set(path, entry);
  const held = new Map([
    [MANIFEST_PATH, manifestBytes],
    [SIGNATURE_PATH, signatureBytes],
  ]);
  for (const [path, bytes] of held) entries.set(path, entryOf(bytes));
  return {
    entries,
    async read(path, signal) {
      const bytes = held.get(path);
      if (bytes !== undefined) return bytes;
      if (!entries.has(path)) throw new SnapshotSourceError(`${path} is not in the snapshot at ${out}`);
      return read(fileOf(path), signal);
    },
  };
}

/** A snapshot held in memory (tests, small callers): every file hashed now. */
export function snapshotFilesOf(files: ReadonlyMap<string, Uint8Array>): SnapshotFiles {
  const entries = new Map<string, SnapshotEntry>();
  for (const [path, bytes] of files) entries.set(path, entryOf(bytes));
  return {
    entries,
    async read(path) {
      const bytes = files.get(path);
      if (bytes === undefined) throw new SnapshotSourceError(`${path} is not in the snapshot`);
      return bytes;
    },
  };
}

/**
 * The snapshot as an in-place mirror gets it (withAnnouncement in src/core/manifest.ts, lazily):
 * plus /manifest.next.json and its signature, copies of the snapshot's own, read from them.
 */
export function announceSnapshot(files: SnapshotFiles): SnapshotFiles {
  if (!files.entries.has(MANIFEST_PATH) || !files.entries.has(SIGNATURE_PATH)) return files;
  const entries = new Map(files.entries);
  for (const [copy, of] of ANNOUNCEMENT_COPIES) {
    const entry = files.entries.get(of);
    if (entry !== undefined) entries.set(copy, entry);
  }
  return {
    entries,
    read: (path, signal) => files.read(ANNOUNCEMENT_COPIES.get(path) ?? path, signal),
  };
}

function entryOf(bytes: Uint8Array): SnapshotEntry {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
}
