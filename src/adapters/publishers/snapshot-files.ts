// Shared by every publisher: check that what is about to be published is a complete snapshot
// (the manifest lists exactly the other files, with their digests), so no target is ever handed a
// manifest whose files are missing or different. The snapshot is lazy (SnapshotFiles): the listing
// is checked against the manifest up front, and each file's bytes against its digest when a
// publisher reads them to upload (before manifest.json, which always goes last).
import { createHash } from 'node:crypto';
import { utf8ToString } from '../../core/bytes.ts';
import {
  ANNOUNCEMENT_COPIES,
  MANIFEST_PATH,
  SIGNATURE_PATH,
  isSafeSnapshotPath,
  parseManifest,
  type Manifest,
} from '../../core/manifest.ts';
import { PublishError, type SnapshotEntry, type SnapshotFiles } from '../../ports/publisher.ts';

export interface CheckedSnapshot {
  manifest: Manifest;
  /** Every path (manifest, signature and announcement included) -> its digest. */
  entries: ReadonlyMap<string, SnapshotEntry>;
  /** Every path -> sha256 hex (what planPublish compares). */
  sha256: Map<string, string>;
  /**
   * The bytes of path, read now and checked against its digest: PublishError 'check' when they
   * differ (the snapshot changed or was tampered with since it was signed), 'read' when unreadable.
   */
  read(path: string, signal?: AbortSignal): Promise<Uint8Array>;
}

export async function checkSnapshot(targetId: string, files: SnapshotFiles, signal?: AbortSignal): Promise<CheckedSnapshot> {
  const fail = (detail: string, path?: string): PublishError => new PublishError(targetId, 'check', detail, path);
  const { entries } = files;
  if (!entries.has(MANIFEST_PATH) || !entries.has(SIGNATURE_PATH)) {
    throw fail('the snapshot has no manifest.json or manifest.json.sig; publish a signed build (ferry build)');
  }
  const held = new Map<string, Uint8Array>();
  const read = async (path: string, readSignal?: AbortSignal): Promise<Uint8Array> => {
    const entry = entries.get(path);
    if (entry === undefined) throw fail('not in the snapshot', path);
    const kept = held.get(path);
    if (kept !== undefined) return kept;
    let bytes: Uint8Array;
    try {
      bytes = await files.read(path, readSignal);
    } catch (e) {
      if (readSignal?.aborted === true) throw e;
      throw new PublishError(targetId, 'read', `${(e as Error).message}; rebuild the snapshot (ferry build)`, path);
    }
    if (bytes.byteLength !== entry.size || sha256Hex(bytes) !== entry.sha256) {
      throw fail(
        `bytes do not match manifest.json (${bytes.byteLength} bytes, expected ${entry.size} with sha256 ${entry.sha256}): the snapshot changed after signing; rebuild and sign it`,
        path,
      );
    }
    return bytes;
  };
  const manifestBytes = await read(MANIFEST_PATH, signal);
  held.set(MANIFEST_PATH, manifestBytes);
  held.set(SIGNATURE_PATH, await read(SIGNATURE_PATH, signal));
  let manifest: Manifest;
  try {
    manifest = parseManifestBytes(manifestBytes);
  } catch (e) {
    throw fail(`${(e as Error).message}; rebuild and sign the snapshot`, MANIFEST_PATH);
  }
  const sha256 = new Map<string, string>();
  for (const [path, entry] of entries) {
    if (!isSafeSnapshotPath(path)) throw fail('not a safe snapshot path', path);
    sha256.set(path, entry.sha256);
    if (path === MANIFEST_PATH || path === SIGNATURE_PATH) continue;
    const copyOf = ANNOUNCEMENT_COPIES.get(path);
    if (copyOf !== undefined) {
      const same = entries.get(copyOf);
      if (same === undefined || same.sha256 !== entry.sha256 || same.size !== entry.size) {
        throw fail("the announcement must be a copy of the snapshot's own manifest and signature", path);
      }
      continue;
    }
    const listed = manifest.files[path];
    if (listed === undefined) throw fail('file is not listed in manifest.json; rebuild and sign the snapshot', path);
    if (listed.sha256 !== entry.sha256 || listed.size !== entry.size) {
      throw fail('bytes do not match manifest.json; rebuild and sign the snapshot', path);
    }
  }
  for (const path of Object.keys(manifest.files)) {
    if (!entries.has(path)) throw fail('listed in manifest.json but missing from the snapshot; rebuild it', path);
  }
  return { manifest, entries, sha256, read };
}

/**
 * The manifest a target holds now (what `current()` returns), or PublishError 'read' saying that
 * the next publish overwrites it when it is not valid UTF-8 or not a manifest.
 */
export function parseHeldManifest(targetId: string, bytes: Uint8Array): Manifest {
  try {
    return parseManifest(utf8ToString(bytes, 'manifest.json'));
  } catch (e) {
    throw new PublishError(targetId, 'read', `${(e as Error).message}; the next publish overwrites it`, MANIFEST_PATH);
  }
}

/** Run fn over items with at most `concurrency` at once; stops starting new ones after a failure. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      const item = items[next++];
      if (item === undefined) return;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

/** sha256 hex through node:crypto (native; the publishers run on Node only). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// Every target checks the snapshot it is handed, but the manifest bytes are one object for all of
// them (read once by openSnapshotFiles): parsed once (1 MB of JSON at 10,000 posts). The result
// is only read.
const parsed = new WeakMap<Uint8Array, Manifest>();

/** parseManifest of manifest.json's bytes, remembered per bytes object. */
export function parseManifestBytes(bytes: Uint8Array): Manifest {
  let manifest = parsed.get(bytes);
  if (manifest === undefined) parsed.set(bytes, (manifest = parseManifest(utf8ToString(bytes, 'manifest.json'))));
  return manifest;
}
