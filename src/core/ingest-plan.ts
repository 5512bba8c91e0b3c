// What a build decides before and between its I/O, as plain functions of plain data: the
// canonical URL, which hosts are the origin's and which images are copied, what shapes a
// processed post (its reuse key), which posts are taken as published, the next version, what
// the state store records. The build (src/node/build-pipeline.ts) only loads, fetches, renders
// and writes around these. Pure.
import type { MirrorRef, SiteMeta } from './model.ts';
import { reuseKeyOf, type GuardState } from './guard.ts';
import { PREPARE_VERSION } from './prepare.ts';
import { BLOGGER_MEDIA_HOSTS } from './media.ts';
import { sha256Hex } from './bytes.ts';

/** What the state store recorded for the site (the parts plans read; see SiteState in ports/state.ts). */
export interface Recorded {
  published: GuardState['published'];
  version: number;
  /** The origin id a maintainer accepted (or the first one seen). */
  originId?: string;
  /** The snapshot folder the recorded page keys describe. */
  renderOut?: string;
}

/** Where no mirror has a URL and none is configured. */
export const DEFAULT_CANONICAL = 'http://127.0.0.1:8787/';

/** The canonical base URL: the configured one, else the first mirror by priority; ends with '/'. */
export function canonicalOf(mirrors: readonly MirrorRef[], explicit?: string): string {
  const chosen = explicit ?? [...mirrors].sort((a, b) => a.priority - b.priority)[0]?.url ?? DEFAULT_CANONICAL;
  return chosen.endsWith('/') ? chosen : `${chosen}/`;
}

/** Whether a host name or IP literal is on this machine or its network (see limited-fetch.ts). */
export type IsLocalHost = (hostname: string) => boolean;

/** The hosts of these URLs, without "www." and in order, once each; a folder has none. */
export function hostsOf(urls: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const u of urls) {
    try {
      const h = new URL(u).hostname.replace(/^www\./, '');
      if (h !== '') hosts.add(h);
    } catch {
      // a folder or an empty URL has no host
    }
  }
  return [...hosts];
}

/** A folder or file, or a feed on a local address: the maintainers' own machine or network. */
export function isLocalSource(source: string, isLocalHost: IsLocalHost): boolean {
  const host = /^https?:\/\//i.test(source) ? hostsOf([source])[0] : undefined;
  return host === undefined || isLocalHost(host);
}

/** What the configuration says about reading and processing the origin. */
export interface IngestSettings {
  /** The configured source: feed URL, Markdown folder or feed file. */
  source: string;
  canonical: string;
  blockedHosts: readonly string[];
  mediaHosts: readonly string[];
  isLocalHost: IsLocalHost;
}

/** How the origin's posts are processed, as decided from what the origin says about itself. */
export interface OriginPolicy {
  /** Base for relative URLs in post HTML: the feed's URL, or the canonical for a folder. */
  baseUrl: string;
  /** Hosts of the origin blog: links to them become snapshot-relative. */
  originHosts: string[];
  /** Hosts whose images are copied into the snapshot. */
  mediaHosts: string[];
  blockedHosts: readonly string[];
  /** A digest of everything above that shapes a processed post (part of every reuse key). */
  processing: string;
}

/**
 * The origin's hosts and the image hosts: the origin's, Blogger's image hosts and the configured
 * ones. The origin's feed names its own home page, and a compromised origin could name a local
 * address there: one is trusted only when the configured source is local itself.
 */
export function originPolicyOf(settings: IngestSettings, meta: Pick<SiteMeta, 'originUrl'>, location: string): OriginPolicy {
  const baseUrl = /^https?:\/\//.test(location) ? location : settings.canonical;
  const originHosts = hostsOf([meta.originUrl, location]);
  const trustLocal = isLocalSource(settings.source, settings.isLocalHost);
  const mediaHosts = [...originHosts, ...BLOGGER_MEDIA_HOSTS, ...settings.mediaHosts].filter((h) => trustLocal || !settings.isLocalHost(h));
  const processing = sha256Hex(
    JSON.stringify([PREPARE_VERSION, baseUrl, originHosts, [...mediaHosts].sort(), [...settings.blockedHosts].sort()]),
  );
  return { baseUrl, originHosts, mediaHosts, blockedHosts: settings.blockedHosts, processing };
}

/**
 * Reasons that hold back every post: the origin declares another feed id than the one accepted
 * (state is kept under the configured source, never under an id the origin declares about itself).
 */
export function siteReasonsOf(previous: Pick<Recorded, 'originId'>, meta: Pick<SiteMeta, 'id'>): string[] {
  return previous.originId !== undefined && previous.originId !== meta.id
    ? [`the origin's feed id changed (${previous.originId} -> ${meta.id}); approve with ferry approve --all if the blog really moved`]
    : [];
}

/** The reuse key a published post was recorded with, if any. */
export function publishedReuseKey(previous: Pick<Recorded, 'published'>, id: string): string | undefined {
  return Object.hasOwn(previous.published, id) ? previous.published[id]?.reuseKey : undefined;
}

/** Post id -> reuse key, for entries read (id and entry digest) and entries the source did not read again. */
export function reuseKeysOf(digests: Iterable<{ id: string; digest: string }>, processing: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const { id, digest } of digests) keys.set(id, reuseKeyOf(digest, processing));
  return keys;
}

/**
 * The posts taken from the published state as they are: their entry and processing are exactly
 * as when they were published (with every image copied). None while the whole site is held.
 */
export function reusableIds(
  reuseKeys: ReadonlyMap<string, string>,
  previous: Pick<Recorded, 'published'>,
  siteReasons: readonly string[],
): string[] {
  if (siteReasons.length > 0) return [];
  return [...reuseKeys].filter(([id, key]) => publishedReuseKey(previous, id) === key).map(([id]) => id);
}

/** Post id -> the path it was published at: a published post keeps its URL. */
export function publishedPaths(previous: Pick<Recorded, 'published'>): Map<string, string> {
  const paths = new Map<string, string>();
  for (const [id, record] of Object.entries(previous.published)) if (record.path !== undefined) paths.set(id, record.path);
  return paths;
}

/**
 * The posts to record a reuse key for: published now, and with every image that can be copied
 * copied (a post whose image failed in a way worth retrying is processed again next time).
 */
export function reuseKeysToSave(input: {
  reuseKeys: ReadonlyMap<string, string>;
  publishing: ReadonlySet<string>;
  /** The posts processed now, with the images each loads. */
  fresh: ReadonlyArray<{ id: string; images: readonly string[] }>;
  failures: ReadonlyArray<{ url: string; retryable: boolean }>;
}): Map<string, string> {
  const retry = new Set(input.failures.filter((f) => f.retryable).map((f) => f.url));
  const incomplete = new Set(input.fresh.filter((c) => c.images.some((u) => retry.has(u))).map((c) => c.id));
  return new Map([...input.reuseKeys].filter(([id]) => input.publishing.has(id) && !incomplete.has(id)));
}

/** The next manifest version: above both what the state recorded and what the folder serves. */
export function nextVersion(recorded: number, serving: number | undefined): number {
  return Math.max(recorded, serving ?? 0) + 1;
}

/** When a manifest signed at `created` expires. */
export function expiresAt(created: Date, days: number): Date {
  return new Date(created.getTime() + days * 86_400_000);
}

/**
 * The origin ids to record: a changed origin id stays unaccepted (and every post held) until
 * `ferry approve --all`.
 */
export function originIdsToSave(
  previous: Pick<Recorded, 'originId'>,
  meta: Pick<SiteMeta, 'id'>,
  held: boolean,
): { originId: string; pendingOriginId?: string } {
  return held ? { originId: previous.originId ?? meta.id, pendingOriginId: meta.id } : { originId: meta.id };
}

/** Whether the page keys recorded with the state describe this folder at the version it serves. */
export function renderKeysHold(previous: Pick<Recorded, 'version' | 'renderOut'>, serving: number | undefined, out: string): boolean {
  return serving !== undefined && previous.version === serving && previous.renderOut === out;
}
