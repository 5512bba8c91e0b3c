// Shared by every publisher: check that what is about to be published is a complete snapshot
// (the manifest lists exactly the other files, with their digests), so no target is ever handed a
// manifest whose files are missing or different.
import { createHash } from 'node:crypto';
import { utf8ToString } from '../../core/bytes.ts';
import { MANIFEST_PATH, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH, SIGNATURE_PATH, isSafeSnapshotPath, parseManifest, type Manifest } from '../../core/manifest.ts';
import { PublishError } from '../../ports/publisher.ts';

export interface CheckedSnapshot {
  manifest: Manifest;
  /** Every path (manifest and signature included) -> sha256 hex of its bytes. */
  sha256: Map<string, string>;
}

export function checkSnapshot(targetId: string, files: ReadonlyMap<string, Uint8Array>): CheckedSnapshot {
  const fail = (detail: string, path?: string): PublishError => new PublishError(targetId, 'check', detail, path);
  const manifestBytes = files.get(MANIFEST_PATH);
  if (manifestBytes === undefined || !files.has(SIGNATURE_PATH)) {
    throw fail('the snapshot has no manifest.json or manifest.json.sig; publish a signed build (ferry build)');
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(utf8ToString(manifestBytes, 'manifest.json'));
  } catch (e) {
    throw fail(`${(e as Error).message}; rebuild and sign the snapshot`, MANIFEST_PATH);
  }
  const sha256 = new Map<string, string>();
  for (const [path, bytes] of files) {
    if (!isSafeSnapshotPath(path)) throw fail('not a safe snapshot path', path);
    const digest = sha256Hex(bytes);
    sha256.set(path, digest);
    if (path === MANIFEST_PATH || path === SIGNATURE_PATH) continue;
    if (path === NEXT_MANIFEST_PATH || path === NEXT_SIGNATURE_PATH) {
      const same = files.get(path === NEXT_MANIFEST_PATH ? MANIFEST_PATH : SIGNATURE_PATH);
      if (same === undefined || sha256Hex(same) !== digest) throw fail('the announcement must be a copy of the snapshot\'s own manifest and signature', path);
      continue;
    }
    const entry = manifest.files[path];
    if (entry === undefined) throw fail('file is not listed in manifest.json; rebuild and sign the snapshot', path);
    if (entry.sha256 !== digest || entry.size !== bytes.length) {
      throw fail('bytes do not match manifest.json; rebuild and sign the snapshot', path);
    }
  }
  for (const path of Object.keys(manifest.files)) {
    if (!files.has(path)) throw fail('listed in manifest.json but missing from the snapshot; rebuild it', path);
  }
  return { manifest, sha256 };
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
