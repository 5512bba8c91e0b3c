// The compromised-origin guard. Ferry remembers what it published (a content hash per post id).
// A post that was published before and whose content changed, a post from which the sanitizer had
// to remove active content, or a published post that vanished from the origin is held back until
// a maintainer approves exactly that version. Pure: state in, decision out.
import type { Post, RawEntry, SiteMeta } from './model.ts';
import { sha256Hex } from './bytes.ts';

/** What the guard remembers of a published post (the post itself is kept by the state store). */
export interface PublishedRecord {
  hash: string;
  title: string;
  updated: string;
  /** Hash of the whole entry as the origin served it, and of how it was processed (see reuseKeyOf). */
  reuseKey?: string;
  /** Where the post was published: it keeps this path (its public URL) from then on. */
  path?: string;
}

export interface Quarantined {
  id: string;
  title: string;
  /** The content hash a maintainer approves with `ferry approve <id>`. */
  hash: string;
  reasons: string[];
  /** The held-back version's sanitized HTML (cut at HELD_HTML_LIMIT), for a maintainer's diff. */
  html?: string;
}

/** Held-back HTML kept for the dashboard's diff, characters: the state file stays bounded. */
export const HELD_HTML_LIMIT = 100_000;

export interface GuardState {
  /** What the last good build published, by post id. */
  published: Readonly<Record<string, PublishedRecord>>;
  /** Post id -> the content hash a maintainer approved. */
  approvals: Readonly<Record<string, string>>;
}

/** A post from the origin, sanitized, before the guard decides. */
export interface Candidate {
  post: Post;
  /** Reasons the sanitizer gave for active content it removed. */
  removed: readonly string[];
  /** The origin's updated time, for the report. */
  updated: string;
  /**
   * The entry's content hash under earlier schemes (see POST_HASH_SCHEMES), when it was hashed
   * from what the origin served: what a store written before an upgrade recorded is compared
   * with these.
   */
  earlierHashes?: Readonly<Partial<Record<PostHashScheme, string>>>;
}

export interface GuardDecision {
  /** Posts to publish now (new, unchanged, or approved). */
  publish: Post[];
  /** Ids of posts whose previously published version stays in place of a quarantined change. */
  kept: string[];
  quarantined: Quarantined[];
  /** Approvals still relevant after this build (an approval of a version no longer offered lapses). */
  approvals: Record<string, string>;
}

/**
 * The schemes a post's content hash has had, oldest first. A hash names its scheme: the first one
 * is bare hex (what stores written before schemes were named hold), later ones are
 * `<scheme>:<hex>`. A record or approval made under an earlier scheme is compared with the entry's
 * hash under that scheme once, and the post is then recorded under the current one.
 */
export const POST_HASH_SCHEMES = ['ferry-post/1', 'ferry-post/2'] as const;
export type PostHashScheme = (typeof POST_HASH_SCHEMES)[number];
export const POST_HASH_SCHEME: PostHashScheme = 'ferry-post/2';

/**
 * What a post's content hash covers: every field of the entry that pages show or feeds carry
 * (the title, the HTML as the origin served it, before sanitizing, tags, authors, the published
 * and updated times, the origin link, which also gives a new post its slug) and the language the
 * post is published in (the origin's, or the detected one).
 */
export type HashedEntry = Pick<RawEntry, 'title' | 'html' | 'tags' | 'originUrl' | 'authors' | 'published' | 'updated'> & {
  language: string;
};

/** The hash that decides whether a post "changed" (see HashedEntry), under a scheme. */
export function contentHashOf(entry: HashedEntry, scheme: PostHashScheme = POST_HASH_SCHEME): string {
  if (scheme === 'ferry-post/1') return sha256Hex(JSON.stringify(['ferry-post/1', entry.title, entry.html, entry.tags, entry.originUrl]));
  const { title, html, tags, originUrl, authors, published, updated, language } = entry;
  return `${scheme}:${sha256Hex(JSON.stringify([scheme, title, html, tags, originUrl, authors, published, updated, language]))}`;
}

/** The scheme a content hash was made under (undefined: not a content hash Ferry makes). */
export function postHashSchemeOf(hash: string): PostHashScheme | undefined {
  if (/^[0-9a-f]{64}$/.test(hash)) return 'ferry-post/1';
  const colon = hash.lastIndexOf(':');
  const scheme = POST_HASH_SCHEMES.find((s) => s === hash.slice(0, colon));
  return scheme !== undefined && /^[0-9a-f]{64}$/.test(hash.slice(colon + 1)) ? scheme : undefined;
}

/** The entry's hashes under the schemes before the current one (see Candidate.earlierHashes). */
export function earlierHashesOf(entry: HashedEntry): Partial<Record<PostHashScheme, string>> {
  const out: Partial<Record<PostHashScheme, string>> = {};
  for (const scheme of POST_HASH_SCHEMES) if (scheme !== POST_HASH_SCHEME) out[scheme] = contentHashOf(entry, scheme);
  return out;
}

/**
 * Whether a recorded hash (what was published, or what a maintainer approved) is this candidate's:
 * compared under the scheme it was recorded with.
 */
export function sameContent(recorded: string | undefined, candidate: Pick<Candidate, 'post' | 'earlierHashes'>): boolean {
  if (recorded === undefined) return false;
  if (recorded === candidate.post.contentHash) return true;
  const scheme = postHashSchemeOf(recorded);
  return scheme !== undefined && scheme !== postHashSchemeOf(candidate.post.contentHash) && candidate.earlierHashes?.[scheme] === recorded;
}

/**
 * What an entry's digest is taken over: the whole entry exactly as the origin served it. Sources
 * and the pipeline hash this text (natively, on Node) to tell an unchanged entry without
 * processing it again.
 */
export function entryDigestInput(entry: RawEntry): string {
  return JSON.stringify(['ferry-entry/1', entry]);
}

/**
 * When an entry's reuse key equals the published record's, the published post (sanitized, media
 * copied, links localized) is exactly what processing the entry again would give: a rebuild can
 * take it as is. `entryDigest` is the sha256 of entryDigestInput(entry) and `processing` a digest
 * of everything else that shapes the result; both are digests already, so the key is the two
 * side by side (no hashing: a build compares one per post).
 */
export function reuseKeyOf(entryDigest: string, processing: string): string {
  return `${processing.slice(0, 16)}:${entryDigest.slice(0, 32)}`;
}

/** A marker hash for approving the removal of a post that vanished from the origin. */
export function removalHashOf(id: string): string {
  return sha256Hex(JSON.stringify(['ferry-removed/1', id]));
}

/** An own property only: post ids come from the origin and may be "__proto__" or "constructor". */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * @param siteReasons reasons that hold back every post of this build (e.g. the origin's feed id
 *   changed: a compromised origin must not get a fresh start by renaming itself).
 */
export function decide(candidates: readonly Candidate[], state: GuardState, siteReasons: readonly string[] = []): GuardDecision {
  const publish: Post[] = [];
  const kept: string[] = [];
  const quarantined: Quarantined[] = [];
  const approvals: Record<string, string> = Object.create(null) as Record<string, string>;
  const seen = new Set<string>();

  for (const candidate of candidates) {
    const { post, removed, updated } = candidate;
    seen.add(post.id);
    const previous = own(state.published, post.id);
    const reasons: string[] = [];
    if (previous !== undefined && !sameContent(previous.hash, candidate)) {
      reasons.push(`content changed since it was published (origin updated ${previous.updated} -> ${updated})`);
    }
    if (removed.length > 0) reasons.push(`active content removed: ${removed.join(', ')}`);
    reasons.push(...siteReasons);
    // An approval made under an earlier scheme is carried over under the current one.
    const approved = sameContent(own(state.approvals, post.id), candidate);
    if (approved) approvals[post.id] = post.contentHash;
    if (reasons.length === 0 || approved) {
      publish.push(post);
      continue;
    }
    quarantined.push({ id: post.id, title: post.title, hash: post.contentHash, reasons, html: post.html.slice(0, HELD_HTML_LIMIT) });
    if (previous !== undefined) kept.push(post.id);
  }

  for (const id of Object.keys(state.published).sort()) {
    if (seen.has(id)) continue;
    const previous = own(state.published, id);
    if (previous === undefined) continue;
    const hash = removalHashOf(id);
    if (own(state.approvals, id) === hash) continue; // removal approved: drop it
    kept.push(id);
    quarantined.push({
      id,
      title: previous.title,
      hash,
      reasons: ['no longer at the origin (deleted there, or the origin was tampered with); approve to remove it'],
    });
  }
  return { publish, kept, quarantined, approvals };
}

/** The id under which a change of the site's own title or description is held back. */
export const SITE_META_ID = 'site:meta';

export interface MetaDecision {
  /** What the pages show: the new title and description, or the published ones while held. */
  shown: Pick<SiteMeta, 'title' | 'subtitle'>;
  held?: Quarantined;
}

/**
 * The site's title and description appear on every page: a compromised origin must not change
 * them silently either. A change is held (the published ones stay) until `ferry approve site:meta`.
 */
export function decideMeta(
  now: Pick<SiteMeta, 'title' | 'subtitle'>,
  published: Pick<SiteMeta, 'title' | 'subtitle'> | undefined,
  approvals: Readonly<Record<string, string>>,
): MetaDecision {
  const shown = { title: now.title, subtitle: now.subtitle };
  if (published === undefined || (published.title === now.title && published.subtitle === now.subtitle)) return { shown };
  const hash = sha256Hex(JSON.stringify(['ferry-meta/1', now.title, now.subtitle]));
  if ((Object.hasOwn(approvals, SITE_META_ID) ? approvals[SITE_META_ID] : undefined) === hash) return { shown };
  const changed = [
    published.title !== now.title ? `title "${published.title}" -> "${now.title}"` : '',
    published.subtitle !== now.subtitle ? 'description' : '',
  ]
    .filter((x) => x !== '')
    .join(' and ');
  return {
    shown: { title: published.title, subtitle: published.subtitle },
    held: { id: SITE_META_ID, title: 'the site title and description', hash, reasons: [`the origin changed the site's ${changed}`] },
  };
}
