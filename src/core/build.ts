// Build: the site model in, a deterministic snapshot out (path -> bytes: pages, feeds, media, the
// mirror list, the reader's service worker), then signed.
// Same site and options give byte-identical files: nothing here reads the clock.
import type { MirrorRef, Site } from './model.ts';
import { REUSED, generatePages, type PageCache } from './render.ts';
import { waysInOf } from './ways-in.ts';

export { REUSED, type PageCache };
import { FEED_PATHS, renderFeeds } from './feeds.ts';
import {
  MANIFEST_PATH,
  SIGNATURE_PATH,
  createManifest,
  encodeSignatures,
  isSafeSnapshotPath,
  serializeManifest,
  signBytes,
  type Manifest,
} from './manifest.ts';
import { toBase64, utf8ToBytes } from './bytes.ts';
import { SERVICE_WORKER_PATH } from './reader-paths.ts';

export const MIRRORS_JSON_PATH = '/mirrors.json';

export interface SnapshotInput {
  site: Site;
  /**
   * Snapshot path (/media/...) -> bytes of every media file the posts reference, or REUSED when an
   * incremental build keeps the previous snapshot's copy (media paths are content-addressed).
   */
  media: ReadonlyMap<string, Uint8Array | typeof REUSED>;
  /** Canonical mirror base URL, ending with '/'. */
  canonical: string;
  mirrors: readonly MirrorRef[];
  ipfsCid?: string;
  /** For an incremental build: which post pages need not be rendered again. */
  pageCache?: PageCache;
  /** The reader's service worker: its bundled code (src/node/service-worker-bundle.ts) and the key it pins. */
  serviceWorker: { code: string; publicKey: Uint8Array };
}

/** /sw.js: the publisher's public key, then the worker's code (which reads FERRY_PUBLIC_KEY). */
export function serviceWorkerScript(code: string, publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new BuildError(`the service worker needs a 32-byte ed25519 public key, got ${publicKey.length} bytes`);
  return `"use strict";const FERRY_PUBLIC_KEY=${JSON.stringify(toBase64(publicKey))};\n${code}`;
}

export class BuildError extends Error {
  override name = 'BuildError';
}

/** Every file of the snapshot, sorted by path (see generateSnapshot). */
export function buildSnapshotFiles(input: SnapshotInput): Map<string, Uint8Array> {
  const files: Array<[string, Uint8Array]> = [];
  for (const [path, bytes] of generateSnapshot(input)) if (bytes !== REUSED) files.push([path, bytes]);
  return new Map(files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The snapshot's files one at a time (pages, feeds, media, mirror list), so a large blog can be
 * streamed to disk without holding every file in memory. Each path comes once.
 */
export function* generateSnapshot(input: SnapshotInput): Generator<[string, Uint8Array | typeof REUSED]> {
  const mirrors = [...input.mirrors].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : 1));
  const seen = new Set<string>();
  const entry = (path: string, content: string | Uint8Array | typeof REUSED): [string, Uint8Array | typeof REUSED] => {
    if (!isSafeSnapshotPath(path)) throw new BuildError(`unsafe snapshot path ${JSON.stringify(path)}`);
    if (seen.has(path)) throw new BuildError(`two files want the path ${path}`);
    seen.add(path);
    return [path, typeof content === 'string' ? utf8ToBytes(content) : content];
  };
  const renderOptions = { canonical: input.canonical, mirrors, ...waysInOf(mirrors) };
  const pages = generatePages(
    input.site,
    input.ipfsCid === undefined ? renderOptions : { ...renderOptions, ipfsCid: input.ipfsCid },
    input.pageCache,
  );
  for (const [path, text] of pages) yield entry(path, text);
  for (const [path, text] of renderFeeds(input.site, { canonical: input.canonical })) yield entry(path, text);
  for (const path of [...input.media.keys()].sort()) {
    const bytes = input.media.get(path);
    if (bytes !== undefined) yield entry(path, bytes);
  }
  const mirrorList: Record<string, unknown> = {
    canonical: input.canonical,
    mirrors,
    feeds: { rss: FEED_PATHS.rss, atom: FEED_PATHS.atom, json: FEED_PATHS.json },
  };
  if (input.ipfsCid !== undefined) mirrorList.ipfs = `ipfs://${input.ipfsCid}`;
  yield entry(MIRRORS_JSON_PATH, `${JSON.stringify(mirrorList, null, 2)}\n`);
  yield entry(SERVICE_WORKER_PATH, serviceWorkerScript(input.serviceWorker.code, input.serviceWorker.publicKey));
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
  const out = new Map(files);
  for (const [path, bytes] of signedManifestFiles(manifest, opts.privateKey)) out.set(path, bytes);
  return { files: out, manifest };
}

/**
 * manifest.json and manifest.json.sig for a manifest. The signature file carries the previous
 * versions' signatures too (from previousSignatures, the last snapshot's file), so that a mirror
 * updated signature-first never pairs a manifest with a file that lacks its signature.
 */
export function signedManifestFiles(
  manifest: Manifest,
  privateKey: Uint8Array,
  previousSignatures: readonly Uint8Array[] = [],
  sign: (bytes: Uint8Array, privateKey: Uint8Array) => Uint8Array = signBytes,
): Map<string, Uint8Array> {
  const manifestBytes = serializeManifest(manifest);
  const signature = sign(manifestBytes, privateKey);
  return new Map([
    [MANIFEST_PATH, manifestBytes],
    [SIGNATURE_PATH, utf8ToBytes(encodeSignatures([signature, ...previousSignatures]))],
  ]);
}
