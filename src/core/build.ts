// Build: the site model in, a deterministic snapshot out (path -> bytes), then signed.
// Same site and options give byte-identical files: nothing here reads the clock.
import type { MirrorRef, Site } from './model.ts';
import { renderPages } from './render.ts';
import { FEED_PATHS, renderFeeds } from './feeds.ts';
import {
  MANIFEST_PATH,
  SIGNATURE_PATH,
  createManifest,
  encodeSignature,
  isSafeSnapshotPath,
  serializeManifest,
  signBytes,
  type Manifest,
} from './manifest.ts';
import { utf8ToBytes } from './bytes.ts';

export const MIRRORS_JSON_PATH = '/mirrors.json';

export interface SnapshotInput {
  site: Site;
  /** Snapshot path (/media/...) -> bytes of every media file the posts reference. */
  media: ReadonlyMap<string, Uint8Array>;
  /** Canonical mirror base URL, ending with '/'. */
  canonical: string;
  mirrors: readonly MirrorRef[];
  ipfsCid?: string;
}

export class BuildError extends Error {
  override name = 'BuildError';
}

export function buildSnapshotFiles(input: SnapshotInput): Map<string, Uint8Array> {
  const mirrors = [...input.mirrors].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
  const files = new Map<string, Uint8Array>();
  const add = (path: string, content: string | Uint8Array): void => {
    if (!isSafeSnapshotPath(path)) throw new BuildError(`unsafe snapshot path ${JSON.stringify(path)}`);
    if (files.has(path)) throw new BuildError(`two files want the path ${path}`);
    files.set(path, typeof content === 'string' ? utf8ToBytes(content) : content);
  };
  const renderOptions = { canonical: input.canonical, mirrors };
  const pages = renderPages(
    input.site,
    input.ipfsCid === undefined ? renderOptions : { ...renderOptions, ipfsCid: input.ipfsCid },
  );
  // Encode and drop each page as it goes, so a large blog is not held twice in memory.
  for (const [path, text] of pages) {
    add(path, text);
    pages.delete(path);
  }
  for (const [path, text] of renderFeeds(input.site, { canonical: input.canonical })) add(path, text);
  for (const path of [...input.media.keys()].sort()) {
    const bytes = input.media.get(path);
    if (bytes !== undefined) add(path, bytes);
  }
  const mirrorList: Record<string, unknown> = {
    canonical: input.canonical,
    mirrors,
    feeds: { rss: FEED_PATHS.rss, atom: FEED_PATHS.atom, json: FEED_PATHS.json },
  };
  if (input.ipfsCid !== undefined) mirrorList.ipfs = `ipfs://${input.ipfsCid}`;
  add(MIRRORS_JSON_PATH, `${JSON.stringify(mirrorList, null, 2)}\n`);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface SignOptions {
  version: number;
  created: Date;
  expires: Date;
  canonical: string;
  mirrors: readonly MirrorRef[];
  privateKey: Uint8Array;
}

/** Adds manifest.json and manifest.json.sig to a copy of files. */
export function signSnapshot(
  files: ReadonlyMap<string, Uint8Array>,
  opts: SignOptions,
): { files: Map<string, Uint8Array>; manifest: Manifest } {
  const manifest = createManifest({
    files,
    version: opts.version,
    created: opts.created,
    expires: opts.expires,
    canonical: opts.canonical,
    mirrors: opts.mirrors,
  });
  const manifestBytes = serializeManifest(manifest);
  const signature = signBytes(manifestBytes, opts.privateKey);
  const out = new Map(files);
  out.set(MANIFEST_PATH, manifestBytes);
  out.set(SIGNATURE_PATH, utf8ToBytes(encodeSignature(signature)));
  return { files: out, manifest };
}
