// Which paths a publish must upload or delete, given what the snapshot wants and what the target
// already holds. Pure: digests come in as strings (each target compares in the digest it can learn
// cheaply: sha256 of a file, an S3 ETag, KV metadata), so nothing here hashes or does I/O.
import { MANIFEST_PATH, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH, SIGNATURE_PATH } from './manifest.ts';

export interface PublishPlan {
  /** Content files first (sorted), then /manifest.json.sig, then /manifest.json: readers never
   * see a manifest whose files are not there yet, and the signature file (which also carries the
   * previous versions' signatures) is in place before the manifest it signs. */
  upload: string[];
  /** Paths the target holds that the snapshot no longer lists; removed after the manifest moved. */
  delete: string[];
  /** Paths the target already holds with the wanted digest. */
  unchanged: string[];
}

/**
 * want: snapshot path -> digest of the new bytes. have: path the target holds -> digest of its
 * bytes there, or undefined when the target cannot tell (such a path is uploaded again).
 * keep: paths the target holds that are not Ferry's (CNAME, .nojekyll) and must never be deleted.
 */
export function planPublish(
  want: ReadonlyMap<string, string>,
  have: ReadonlyMap<string, string | undefined>,
  keep: ReadonlySet<string> = new Set(),
): PublishPlan {
  const upload: string[] = [];
  const unchanged: string[] = [];
  const last: string[] = [];
  const first: string[] = [];
  for (const path of [...want.keys()].sort()) {
    const digest = want.get(path);
    const held = have.get(path);
    if (held !== undefined && held === digest) {
      unchanged.push(path);
    } else if (path === MANIFEST_PATH || path === SIGNATURE_PATH) {
      last.push(path);
    } else if (path === NEXT_MANIFEST_PATH || path === NEXT_SIGNATURE_PATH) {
      first.push(path); // the announcement goes before any new file (signature, then manifest)
      first.sort((a, b) => (a === NEXT_SIGNATURE_PATH ? -1 : b === NEXT_SIGNATURE_PATH ? 1 : 0));
    } else {
      upload.push(path);
    }
  }
  // The signature file first: it signs the new manifest and still the old one, so whichever
  // manifest a reader (or a crash) sees in between has its signature. The manifest switches last.
  last.sort((a, b) => (a === SIGNATURE_PATH ? -1 : b === SIGNATURE_PATH ? 1 : 0));
  const del = [...have.keys()].filter((p) => !want.has(p) && !keep.has(p)).sort();
  return { upload: [...first, ...upload, ...last], delete: del, unchanged };
}
