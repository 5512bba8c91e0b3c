// From what the origin served to posts ready for the guard: sanitize, assign paths, hash, and
// (after media is fetched) point links and images at the snapshot's own copies. Pure.
import type { Post, RawEntry, SiteMeta, UnchangedEntry } from './model.ts';
import type { Candidate } from './guard.ts';
import { contentHashOf, earlierHashesOf } from './guard.ts';
import { assignPaths, hrefOf, originPath } from './paths.ts';
import { detectLanguage } from './language.ts';
import { rewriteUrls, sanitizePostHtml, type UrlDecision } from './sanitize.ts';
import { hostMatches } from './media.ts';

/**
 * Bump when sanitizing or localizing changes its output for the same input: it is part of every
 * post's reuse key, so the next build processes every post again.
 */
export const PREPARE_VERSION = 'prepare/2';
// prepare/2: content hashes cover every field shown or put in a feed (ferry-post/2): every post is
// processed, compared under the scheme it was published with, and recorded under the new one.

export interface PreparedCandidate extends Candidate {
  /** Absolute URLs of images the post loads or links to (from the sanitizer). */
  images: string[];
}

export interface PrepareOptions {
  /** Base for relative URLs in post HTML: the feed page the entries came from. */
  baseUrl: string;
  /** Posts already processed from exactly these entries (see reuseKeyOf): taken as they are. */
  reuse?: ReadonlyMap<string, Post>;
  /** Entries the source did not read again; each must have its post in `reuse`. */
  unchanged?: readonly UnchangedEntry[];
  /** Post id -> the path it was published at: a published post keeps its URL. */
  published?: ReadonlyMap<string, string>;
}

export function preparePosts(
  entries: readonly RawEntry[],
  meta: SiteMeta,
  opts: PrepareOptions,
): { candidates: PreparedCandidate[]; duplicates: string[] } {
  const unique: RawEntry[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const e of entries) {
    if (seen.has(e.id)) duplicates.push(e.id);
    else {
      seen.add(e.id);
      unique.push(e);
    }
  }
  const kept: Post[] = [];
  for (const u of opts.unchanged ?? []) {
    const post = opts.reuse?.get(u.id);
    if (post === undefined) throw new Error(`unchanged entry ${u.id} has no published post to take`);
    if (seen.has(u.id)) duplicates.push(u.id);
    else {
      seen.add(u.id);
      kept.push(post);
    }
  }
  // A published post keeps its path (its public URL), whether it is taken as published or
  // processed again; a new post never takes one of them.
  const reserved = new Set([...kept.map((p) => p.path), ...(opts.published?.values() ?? [])]);
  const paths = new Map<string, { path: string; slug: string }>();
  const fresh: RawEntry[] = [];
  for (const e of unique) {
    const reused = opts.reuse?.get(e.id);
    const path = reused?.path ?? opts.published?.get(e.id);
    if (path === undefined) fresh.push(e);
    else {
      reserved.add(path);
      paths.set(e.id, { path, slug: path.slice(path.lastIndexOf('/') + 1).replace(/\.html$/, '') });
    }
  }
  for (const [id, place] of assignPaths(fresh, reserved)) paths.set(id, place);
  const candidates = unique.map((entry): PreparedCandidate => {
    const reused = opts.reuse?.get(entry.id);
    if (reused !== undefined) return { post: reused, removed: [], updated: entry.updated, images: [] };
    const clean = sanitizePostHtml(entry.html, { baseUrl: opts.baseUrl });
    const place = paths.get(entry.id);
    if (place === undefined) throw new Error(`no path for ${entry.id}`);
    const language = entry.language ?? detectLanguage(`${entry.title} ${entry.html}`, meta.language);
    const hashed = { ...entry, language };
    const post: Post = {
      id: entry.id,
      slug: place.slug,
      path: place.path,
      title: entry.title,
      published: entry.published,
      updated: entry.updated,
      authors: [...entry.authors],
      tags: [...entry.tags],
      language,
      html: clean.html,
      originUrl: entry.originUrl,
      contentHash: contentHashOf(hashed),
    };
    return { post, removed: clean.removed, updated: entry.updated, images: clean.images, earlierHashes: earlierHashesOf(hashed) };
  });
  for (const post of kept) candidates.push({ post, removed: [], updated: post.updated, images: [] });
  return { candidates, duplicates };
}

export interface LinkPolicy {
  /** Hosts of the origin blog: absolute links to them become snapshot-relative. */
  originHosts: readonly string[];
  /** Hosts readers must never be sent to (a compromised former site): links are removed. */
  blockedHosts: readonly string[];
  /** Absolute image URL -> snapshot media path, for images the build carries. */
  media: ReadonlyMap<string, string>;
}

/** Point a post's links and images at the snapshot; pure given the media map. */
export function localizePost(post: Post, policy: LinkPolicy): Post {
  const decide = (url: string, kind: 'link' | 'image'): UrlDecision => {
    const local = policy.media.get(url);
    if (local !== undefined) return { action: 'replace', url: local };
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { action: 'remove' };
    }
    if (parsed.protocol === 'mailto:') return { action: 'keep' };
    if (hostMatches(parsed.hostname, policy.blockedHosts)) return { action: 'remove' };
    if (kind === 'image') return { action: 'link' };
    if (hostMatches(parsed.hostname, policy.originHosts)) {
      const path = originPath(url);
      if (path !== undefined) return { action: 'replace', url: `${hrefOf(path)}${parsed.hash}` };
      return { action: 'replace', url: parsed.pathname === '' ? '/' : `${parsed.pathname}${parsed.search}${parsed.hash}` };
    }
    return { action: 'keep' };
  };
  return { ...post, html: rewriteUrls(post.html, decide) };
}

/** The snapshot media paths a post's HTML references. */
export function mediaRefs(html: string): string[] {
  const refs = new Set<string>();
  for (const m of html.matchAll(/(?:src|href)="(\/media\/[0-9a-f]{32}\.[a-z]+)"/g)) {
    if (m[1] !== undefined) refs.add(m[1]);
  }
  return [...refs].sort();
}
