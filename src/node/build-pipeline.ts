// One build, end to end: read the origin, sanitize, guard, fetch media, build, sign, swap in
// atomically, remember what was published. Any failure before the swap leaves the previous
// snapshot and state exactly as they were.
import { join, resolve } from 'node:path';
import { readFile, realpath } from 'node:fs/promises';
import type { LimitedFetch } from '../ports/fetch.ts';
import type { SiteState, StateStore } from '../ports/state.ts';
import type { MirrorRef, OriginSnapshot, Post, Site, SiteMeta, UnchangedEntry } from '../core/model.ts';
import { sortPosts } from '../core/model.ts';
import { SITE_META_ID, decide, decideMeta, reuseKeyOf, type GuardDecision, type Quarantined } from '../core/guard.ts';
import { DEFAULT_CONFIG } from '../core/config.ts';
import type { ReadOptions } from '../ports/source.ts';
import {
  canonicalOf,
  completeIncrementalRead,
  expiresAt,
  type IncrementalResult,
  type ReadPlan,
  isLocalSource,
  nextVersion,
  originIdsToSave,
  originPolicyOf,
  publishedPaths,
  publishedReuseKey,
  readPlanOf,
  renderKeysHold,
  reusableIds,
  reuseKeysOf,
  reuseKeysToSave,
  siteReasonsOf,
  type IngestSettings,
  type OriginPolicy,
} from '../core/ingest-plan.ts';
import { localizePost, mediaRefs, preparePosts, type PreparedCandidate } from '../core/prepare.ts';
import { sha256Hex } from '../core/bytes.ts';
import { entryDigestOf, nativeSha256, nativeSignEd25519 } from '../adapters/node/native-crypto.ts';
import { REUSED, generateSnapshot, signedManifestFiles, type PageCache } from '../core/build.ts';
import type { RenderMemo } from '../core/render.ts';
import {
  MAX_SIGNATURE_LINES,
  createManifestFromDigests,
  decodeSignatures,
  publicKeyOf,
  type FileEntry,
  type Manifest,
} from '../core/manifest.ts';
import { bundleServiceWorker } from './service-worker-bundle.ts';
import { createLimitedFetch, isLocalHost } from '../adapters/web/limited-fetch.ts';
import { createGuardedFetch } from '../adapters/node/guarded-fetch.ts';
import { openSource } from '../adapters/sources/open-source.ts';
import { openMediaStore, type MediaStore } from '../adapters/node/media-store.ts';
import { createJsonStateStore } from '../adapters/node/json-state-store.ts';
import { openSnapshotWriter, readCurrentManifest, rememberManifest } from '../adapters/node/snapshot-dir.ts';
import { fetchMedia, type MediaFailure, type MediaLimits, type MediaResult } from './media-fetch.ts';

export type Stage = 'ingest' | 'sanitize' | 'media' | 'build' | 'sign' | 'write';

export interface BuildOptions {
  /** Feed URL, Markdown folder or feed file. */
  source: string;
  out: string;
  privateKey: Uint8Array;
  /** Where Ferry keeps what it published and its media copies. */
  dataDir: string;
  mirrors: readonly MirrorRef[];
  /** Canonical base URL; default: the first mirror by priority, else http://127.0.0.1:8787/. */
  canonical?: string;
  /** Hosts readers must never be sent to (links to them are removed). */
  blockedHosts?: readonly string[];
  /** Extra hosts whose images are copied into the snapshot. */
  mediaHosts?: readonly string[];
  expiresDays?: number;
  media?: Partial<MediaLimits>;
  /** Every page of a Blogger feed is read again after this many hours; between, only what changed (24). */
  fullReadHours?: number;
  /** Per-request deadline, page size limit and page count limit for reading the origin. */
  sourceLimits?: { timeoutMs?: number; maxBytes?: number; maxPages?: number };
  now?: () => Date;
  fetch?: LimitedFetch;
  state?: StateStore;
  onProgress?: (stage: Stage, message: string) => void;
  /** Cancels the build between stages and every origin request (a run's deadline). */
  signal?: AbortSignal;
  /** The snapshot's last known IPFS root, shown on mirrors.html. */
  ipfsCid?: string;
  /**
   * Removing old versions need not hold up a republish: given this, the build returns as soon as
   * the new version is in and hands over a function that removes them (the caller runs it once
   * the run is done: deleting 11,000 files while the run writes and syncs its own slows both).
   * Without it, the build removes them before it returns.
   */
  deferCleanup?: (cleanup: () => Promise<void>) => void;
  /**
   * Called as soon as the new version is swapped in, before what was published is recorded in
   * the state store: a republish can start copying it to the targets meanwhile.
   */
  onCommitted?: (version: number) => void;
}

export interface BuildReport {
  posts: number;
  files: number;
  version: number;
  out: string;
  canonical: string;
  created: string;
  expires: string;
  quarantined: Array<Pick<Quarantined, 'id' | 'title' | 'reasons'>>;
  media: { fetched: number; bytes: number; failed: MediaFailure[] };
  duplicates: string[];
}

const DEFAULT_MEDIA: MediaLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  maxBuildBytes: 200 * 1024 * 1024,
  timeoutMs: 20_000,
  concurrency: 4,
};

export { canonicalOf } from '../core/ingest-plan.ts';

export async function runBuild(opts: BuildOptions): Promise<BuildReport> {
  const now = opts.now ?? (() => new Date());
  // What the origin decides is fetched without reaching the local network, unless the source is local.
  const localSource = isLocalSource(opts.source, isLocalHost);
  const baseFetch = opts.fetch ?? createLimitedFetch({ fetch: createGuardedFetch({ allowLocal: localSource }), allowLocal: localSource });
  const { signal } = opts;
  const fetch: LimitedFetch =
    signal === undefined
      ? baseFetch
      : (url, limits) => baseFetch(url, { ...limits, signal: limits.signal ? AbortSignal.any([limits.signal, signal]) : signal });
  const report = opts.onProgress ?? (() => undefined);
  const progress = (stage: Stage, message: string): void => {
    signal?.throwIfAborted();
    report(stage, message);
  };
  const state = opts.state ?? createJsonStateStore(opts.dataDir);
  const settings: IngestSettings = {
    source: opts.source,
    canonical: canonicalOf(opts.mirrors, opts.canonical),
    blockedHosts: opts.blockedHosts ?? [],
    mediaHosts: opts.mediaHosts ?? [],
    isLocalHost,
  };
  const { canonical } = settings;

  // Load: what was published and approved, and what the snapshot folder serves.
  const previous = await state.load(opts.source);
  const current = await readCurrentManifest(opts.out);

  // Plan and fetch: read the origin, decide what is published, copy its images, localize links.
  const curated = await curate(opts, {
    fetch,
    progress,
    settings,
    state,
    previous,
    started: now(),
    fullReadMs: (opts.fullReadHours ?? DEFAULT_CONFIG.ingest.fullReadHours) * 3_600_000,
  });
  const { meta, posts, decision, media } = curated;
  const site: Site = { meta, posts };

  // Render and write the new version, sign it, swap it in.
  const version = nextVersion(previous.version, current?.version);
  const created = now();
  const expires = expiresAt(created, opts.expiresDays ?? 14);
  progress('build', `rendering ${posts.length} posts into ${opts.out} (version ${version})`);
  const previousDir = current === undefined ? undefined : await realpath(opts.out).catch(() => undefined);
  const render = {
    opts,
    site,
    canonical,
    version,
    created,
    expires,
    mediaStore: curated.mediaStore,
    digestOf: (post: Post) => state.digestOf?.(post),
    progress,
  };
  let written: Written;
  try {
    written = await writeVersion({
      ...render,
      current,
      previousDir,
      keptKeys: renderKeysHold(previous, current?.version, resolve(opts.out)) ? previous.renderKeys : {},
    });
  } catch (e) {
    if (!(e instanceof PreviousCopyMissing)) throw e;
    // The previous version lost a file it lists: render everything instead of linking.
    progress('build', `${e.message}; rendering every page`);
    written = await writeVersion({ ...render, current: undefined, previousDir: undefined, keptKeys: {} });
  }
  const { manifest, fileCount, renderKeys, prune } = written;
  opts.onCommitted?.(version);

  // Record what was published (approvals recorded meanwhile are kept: see StateStore.save).
  await state.save(
    {
      siteId: opts.source,
      ...originIdsToSave(previous, meta, curated.originHeld),
      version,
      approvals: decision.approvals,
      pending: decision.quarantined,
      renderKeys,
      renderOut: resolve(opts.out),
      meta: { title: meta.title, subtitle: meta.subtitle },
      reads: curated.reads,
    },
    posts,
    curated.reuseKeys,
    { approvals: previous.approvals, ...(previous.originId === undefined ? {} : { originId: previous.originId }) },
  );
  if (opts.deferCleanup === undefined) await prune();
  else opts.deferCleanup(prune);

  return {
    posts: posts.length,
    files: fileCount,
    version,
    out: opts.out,
    canonical,
    created: manifest.created,
    expires: manifest.expires,
    quarantined: decision.quarantined.map(({ id, title, reasons }) => ({ id, title, reasons })),
    media: { fetched: media.fetched, bytes: media.fetchedBytes, failed: media.failures },
    duplicates: curated.duplicates,
  };
}

// Posts taken as published are the same frozen objects from build to build in a build thread
// (the state store remembers them): what is derived from one alone is remembered with it.
const mediaRefsMemo = new WeakMap<Post, string[]>();
const renderMemo: RenderMemo = { keys: new WeakMap(), views: new WeakMap() };
function mediaRefsOf(post: Post): string[] {
  let refs = mediaRefsMemo.get(post);
  if (refs === undefined) mediaRefsMemo.set(post, (refs = mediaRefs(post.html)));
  return refs;
}

class PreviousCopyMissing extends Error {
  override name = 'PreviousCopyMissing';
}

interface Written {
  manifest: Manifest;
  fileCount: number;
  renderKeys: Record<string, string>;
  /** Removes the versions beyond the kept ones. */
  prune: () => Promise<void>;
}

/**
 * Render, hash and write a new version folder, sign it, swap it in. Incremental: a page rendered
 * from the same key as last time, and a media file (its name is its hash), are linked from the
 * previous version instead of rendered, hashed and written.
 */
async function writeVersion(input: {
  opts: BuildOptions;
  site: Site;
  canonical: string;
  version: number;
  created: Date;
  expires: Date;
  mediaStore: MediaStore;
  /** The state store's digest of a post it handed out (see StateStore.digestOf). */
  digestOf: (post: Post) => string | undefined;
  current: Manifest | undefined;
  previousDir: string | undefined;
  /** Page path -> render key of the pages the current version holds (empty: keep none). */
  keptKeys: Readonly<Record<string, string>>;
  progress: (stage: Stage, message: string) => void;
}): Promise<Written> {
  const { opts, site, canonical, version, created, expires, mediaStore, digestOf, current, previousDir, keptKeys, progress } = input;
  const keptFrom = (path: string): string | undefined =>
    previousDir === undefined || current?.files[path] === undefined ? undefined : join(previousDir, ...path.slice(1).split('/'));
  const renderKeys: Record<string, string> = {};
  const identities = new WeakMap<Post, string>();
  const pageCache: PageCache = {
    has: (path, key) =>
      Object.hasOwn(keptKeys, path) && keptKeys[path] === key && previousDir !== undefined && current?.files[path] !== undefined,
    note: (path, key) => {
      renderKeys[path] = key;
    },
    digest: (text) => nativeSha256(text).slice(0, 32),
    memo: renderMemo,
    identity: (post) => {
      let id = identities.get(post);
      if (id === undefined) identities.set(post, (id = digestOf(post) ?? nativeSha256(JSON.stringify(post)).slice(0, 32)));
      return id;
    },
  };
  const mediaFiles = new Map<string, Uint8Array | typeof REUSED>();
  for (const path of new Set(site.posts.flatMap(mediaRefsOf))) {
    mediaFiles.set(path, keptFrom(path) !== undefined ? REUSED : await mediaStore.read(path));
  }
  let reused = 0;
  // Stream: each file is hashed for the manifest and written as it is rendered, so memory holds
  // the posts, not the whole site. Nothing readers see changes until commit().
  const writer = await openSnapshotWriter(opts.out, `v${version}`);
  try {
    const digests = new Map<string, FileEntry>();
    const serviceWorker = { code: await bundleServiceWorker(), publicKey: publicKeyOf(opts.privateKey) };
    for (const [path, bytes] of generateSnapshot({
      site,
      media: mediaFiles,
      canonical,
      mirrors: opts.mirrors,
      ...(opts.ipfsCid === undefined ? {} : { ipfsCid: opts.ipfsCid }),
      pageCache,
      serviceWorker,
    })) {
      if (bytes === REUSED) {
        const entry = current?.files[path];
        if (entry === undefined) throw new Error(`${path}: no previous copy to keep`);
        digests.set(path, entry);
        reused++;
        if (writer.holds(path, entry)) continue;
        const from = keptFrom(path);
        if (from === undefined) throw new Error(`${path}: no previous copy to keep`);
        try {
          await writer.link(path, from);
        } catch (e) {
          throw new PreviousCopyMissing(`${path}: the previous version's copy is gone or changed (${(e as Error).message})`);
        }
      } else {
        const digest = { sha256: nativeSha256(bytes), size: bytes.length };
        digests.set(path, digest);
        if (!writer.holds(path, digest)) await writer.write(path, bytes);
      }
    }
    progress('build', `${digests.size - reused} files rendered, ${reused} kept from version ${current?.version ?? 0}`);
    progress('sign', `signing version ${version}: ${digests.size} files`);
    const manifest = createManifestFromDigests({ version, created, expires, canonical, mirrors: opts.mirrors }, digests);
    for (const [path, bytes] of signedManifestFiles(manifest, opts.privateKey, await previousSignatures(opts.out), nativeSignEd25519)) {
      await writer.write(path, bytes);
    }
    progress('write', `swapping in version ${version}`);
    const { dir, prune } = await writer.commit();
    await rememberManifest(dir, manifest);
    return { manifest, fileCount: digests.size + 2, renderKeys, prune };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

interface Curated {
  meta: SiteMeta;
  posts: Post[];
  decision: Pick<GuardDecision, 'approvals' | 'quarantined'>;
  media: MediaResult;
  mediaStore: MediaStore;
  duplicates: string[];
  /** The origin declared a new id and every post is held for it. */
  originHeld: boolean;
  /** Post id -> reuse key, for the posts published now whose processing is complete. */
  reuseKeys: Map<string, string>;
  reads: { last: string; full: string };
}

interface CurateContext {
  fetch: LimitedFetch;
  progress: (stage: Stage, message: string) => void;
  settings: IngestSettings;
  state: StateStore;
  previous: SiteState;
  /** When this build began (an incremental read asks for what changed since the last one's). */
  started: Date;
  /** Every page is read again once this long has passed since the last full read. */
  fullReadMs: number;
}

/**
 * Ingest, sanitize, guard, copy media, localize links. Its own function so that the origin's raw
 * entries and the intermediate candidates can be collected before the build renders pages.
 */
async function curate(opts: BuildOptions, ctx: CurateContext): Promise<Curated> {
  const { progress, previous } = ctx;
  const prepared = await ingestAndPrepare(opts, ctx);
  const { originMeta, policy, candidates, duplicates, reuse, reuseKeys, siteReasons } = prepared;
  const decision = decide(candidates, previous, siteReasons);
  decision.quarantined.push(...prepared.carriedPending);
  const metaDecision = decideMeta(originMeta, previous.meta, previous.approvals);
  if (metaDecision.held !== undefined) decision.quarantined.push(metaDecision.held);
  const meta: SiteMeta = { ...originMeta, ...metaDecision.shown };
  for (const q of decision.quarantined) progress('sanitize', `held back: ${q.title} (${q.id}): ${q.reasons.join('; ')}`);

  const publishing = new Set(decision.publish.map((p) => p.id));
  const fresh = candidates.filter((c) => publishing.has(c.post.id) && !reuse.has(c.post.id));
  const mediaStore = await openMediaStore(join(opts.dataDir, 'media'));
  const media = await fetchMedia(
    fresh.flatMap((c) => c.images),
    {
      fetch: ctx.fetch,
      store: mediaStore,
      hosts: policy.mediaHosts,
      limits: { ...DEFAULT_MEDIA, ...opts.media },
      onProgress: (done, total) => progress('media', `${done}/${total} images`),
    },
  );
  for (const f of media.failures) progress('media', `image not copied: ${f.url}: ${f.error}`);

  const keysToSave = reuseKeysToSave({
    reuseKeys,
    publishing,
    fresh: fresh.map((c) => ({ id: c.post.id, images: c.images })),
    failures: media.failures,
  });
  const links = { originHosts: policy.originHosts, blockedHosts: policy.blockedHosts, media: media.map };
  const kept = await ctx.state.loadPosts(opts.source, decision.kept);
  // Localize one post at a time and let go of its unlocalized copy (memory holds one version).
  const localized: Post[] = [];
  const publish = decision.publish;
  candidates.length = 0;
  fresh.length = 0;
  for (let p = publish.pop(); p !== undefined; p = publish.pop()) {
    localized.push(reuse.get(p.id) === p ? p : localizePost(p, links));
  }
  return {
    meta,
    posts: sortPosts([...localized, ...kept]),
    decision: { approvals: decision.approvals, quarantined: decision.quarantined },
    media,
    mediaStore,
    duplicates,
    originHeld: siteReasons.length > 0,
    reuseKeys: keysToSave,
    reads: prepared.reads,
  };
}

interface Prepared {
  originMeta: SiteMeta;
  policy: OriginPolicy;
  candidates: PreparedCandidate[];
  duplicates: string[];
  reuse: Map<string, Post>;
  reuseKeys: Map<string, string>;
  siteReasons: string[];
  /** When this read began, and when the last full one did (to record). */
  reads: { last: string; full: string };
  /** Held-back posts an incremental read did not return: held as they were. */
  carriedPending: Quarantined[];
}

/**
 * Read the origin and prepare its entries. Its own function so the raw entries are garbage once
 * it returns: a large blog is then never held as raw, sanitized and localized copies at once.
 */
async function ingestAndPrepare(opts: BuildOptions, ctx: CurateContext): Promise<Prepared> {
  const { progress, previous, settings } = ctx;
  // Called per file of a Markdown folder, always with the same origin: decided once.
  const policyOf = memoize((meta: Pick<SiteMeta, 'originUrl'>, location: string) => originPolicyOf(settings, meta, location));
  const source = openSource(opts.source, {
    fetch: ctx.fetch,
    ...opts.sourceLimits,
    indexFile: join(opts.dataDir, 'cache', `markdown-index-${sha256Hex(opts.source).slice(0, 16)}.json`),
    onProgress: (m) => progress('ingest', m),
  });
  const readOptions: ReadOptions = {
    // A Markdown file as it was when its post was published is not read again.
    reusable: ({ meta, location }, id, digest) =>
      siteReasonsOf(previous, meta).length === 0 &&
      publishedReuseKey(previous, id) === reuseKeyOf(digest, policyOf({ originUrl: meta.originUrl }, location).processing),
  };
  const plan = readPlanOf({ source: opts.source, recorded: previous, now: ctx.started, fullReadMs: ctx.fullReadMs });
  const { origin, unchanged, full, carried } = await readOrigin(plan, {
    read: (updatedMin) => source.read(updatedMin === undefined ? readOptions : { ...readOptions, updatedMin }),
    complete: (origin, updatedMin) =>
      completeIncrementalRead({
        returned: origin.entries,
        updatedMin,
        recorded: previous,
        processing: policyOf({ originUrl: origin.meta.originUrl }, origin.location).processing,
        siteReasons: siteReasonsOf(previous, origin.meta),
        notPosts: [SITE_META_ID],
      }),
    progress: (m) => progress('ingest', m),
    location: opts.source,
  });
  const began = ctx.started.toISOString();
  const reads = { last: began, full: full ? began : (previous.reads?.full ?? began) };

  const siteReasons = siteReasonsOf(previous, origin.meta);
  const policy = policyOf({ originUrl: origin.meta.originUrl }, origin.location);
  // Incremental: an entry exactly as published last time, processed the same way, with every image
  // copied, is taken from the published state instead of being sanitized and localized again.
  const reuseKeys = reuseKeysOf([...origin.entries.map((e) => ({ id: e.id, digest: entryDigestOf(e) })), ...unchanged], policy.processing);
  const reuse = new Map((await ctx.state.loadPosts(opts.source, reusableIds(reuseKeys, previous, siteReasons))).map((p) => [p.id, p]));
  const fresh = origin.entries.filter((e) => !reuse.has(e.id)).length;
  progress('sanitize', `sanitizing ${fresh} posts (${reuse.size} unchanged since they were published)`);
  const { candidates, duplicates } = preparePosts(origin.entries, origin.meta, {
    baseUrl: policy.baseUrl,
    reuse,
    unchanged,
    published: publishedPaths(previous),
  });
  const carriedPending = previous.pending.filter((q) => carried.has(q.id));
  return { originMeta: origin.meta, policy, candidates, duplicates, reuse, reuseKeys, siteReasons, reads, carriedPending };
}

/**
 * Read the origin as planned: only what changed since the last read, completed with the published
 * posts it did not return, or every page (also when an incremental read cannot stand for the
 * whole origin).
 */
async function readOrigin(
  plan: ReadPlan,
  io: {
    read: (updatedMin?: string) => Promise<OriginSnapshot>;
    complete: (origin: OriginSnapshot, updatedMin: string) => IncrementalResult;
    progress: (message: string) => void;
    location: string;
  },
): Promise<{ origin: OriginSnapshot; unchanged: UnchangedEntry[]; full: boolean; carried: Set<string> }> {
  const readAll = async (why?: string) => {
    io.progress(why === undefined ? `reading ${io.location}` : `reading every page of ${io.location}: ${why}`);
    const origin = await io.read();
    const unchanged = origin.unchanged ?? [];
    io.progress(`${origin.entries.length + unchanged.length} posts read`);
    return { origin, unchanged, full: true, carried: new Set<string>() };
  };
  if (plan.kind === 'full') return readAll();
  io.progress(`reading ${io.location}: posts updated since ${plan.updatedMin} (every page once the periodic full read is due)`);
  const origin = await io.read(plan.updatedMin);
  const completed = io.complete(origin, plan.updatedMin);
  if (completed.kind === 'read-all') return readAll(completed.reason);
  if (completed.kind === 'served-all') {
    io.progress(`the origin served every post (it does not filter by updated-min): ${origin.entries.length} posts read`);
    return { origin, unchanged: origin.unchanged ?? [], full: true, carried: new Set() };
  }
  io.progress(`${origin.entries.length} posts updated since then, ${completed.unchanged.length} as published`);
  return {
    origin,
    unchanged: [...(origin.unchanged ?? []), ...completed.unchanged],
    full: false,
    carried: new Set(completed.carried),
  };
}

/** fn with its result remembered per distinct arguments (compared as JSON). */
function memoize<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const seen = new Map<string, R>();
  return (...args) => {
    const key = JSON.stringify(args);
    const hit = seen.get(key);
    if (hit !== undefined) return hit;
    const result = fn(...args);
    seen.set(key, result);
    return result;
  };
}

/** The signatures of the snapshot at out (current version first), to carry into the next one. */
async function previousSignatures(out: string): Promise<Uint8Array[]> {
  try {
    return decodeSignatures(await readFile(join(out, 'manifest.json.sig'), 'utf8')).slice(0, MAX_SIGNATURE_LINES - 1);
  } catch {
    return []; // none yet, or unreadable: the new file then holds the new signature only
  }
}
