// The site model: plain data that flows from ingest to build. No I/O here.

/** One post as it came from the origin, before sanitizing. */
export interface RawEntry {
  /** The origin's stable id (Atom <id>, RSS <guid>, a Markdown file's `id` or name). */
  id: string;
  title: string;
  /** RFC 3339 with the origin's own offset, e.g. 2016-06-08T21:03:00.000-07:00. */
  published: string;
  updated: string;
  authors: string[];
  tags: string[];
  /** BCP 47 tag when the origin says it (Markdown `lang`); otherwise detected later. */
  language?: string;
  /** The entry's HTML exactly as the origin served it (not yet sanitized). */
  html: string;
  /** The entry's alternate (HTML) link at the origin, absolute. Empty when there is none. */
  originUrl: string;
}

/** Site-wide metadata read from the origin. */
export interface SiteMeta {
  /** The origin feed's id (Atom <id>) or URL. */
  id: string;
  title: string;
  /** Plain text (the feed's subtitle / description). */
  subtitle: string;
  /** The origin's home page (the feed's alternate link). */
  originUrl: string;
  /** Default language for site pages (BCP 47). */
  language: string;
}

/** What a source adapter returns. */
export interface OriginSnapshot {
  meta: SiteMeta;
  entries: RawEntry[];
  /** The URL or folder it was read from, for messages. */
  location: string;
  /**
   * Entries the source did not read again (see ReadOptions.reusable): only a source that can tell
   * an entry is unchanged without reading it (a Markdown folder) returns these.
   */
  unchanged?: UnchangedEntry[];
}

/** An entry known to be exactly as when it was last read: its id and the digest of it then. */
export interface UnchangedEntry {
  id: string;
  /** sha256 hex of entryDigestInput(entry) (see guard.ts). */
  digest: string;
}

/** A post ready to publish: sanitized, with a stable path. */
export interface Post {
  id: string;
  slug: string;
  /** Snapshot path, e.g. /2016/06/27th-anniversary.html */
  path: string;
  title: string;
  published: string;
  updated: string;
  authors: string[];
  tags: string[];
  language: string;
  /** Sanitized HTML, with media pointing at the snapshot's own copies. */
  html: string;
  originUrl: string;
  /** Hash of what the origin served for this post, naming its scheme: see contentHashOf (guard.ts). */
  contentHash: string;
}

/** A mirror as the maintainers list it (mirrors/mirrors.json). */
export interface MirrorRef {
  id: string;
  kind: string;
  url: string;
  priority: number;
  channel?: string;
}

export interface Site {
  meta: SiteMeta;
  /** Newest first (see sortPosts). */
  posts: Post[];
}

// A post's publication time, parsed once per post object (posts are never changed in place; a
// build thread sorts the same published posts build after build).
const publishedTimes = new WeakMap<Post, number>();
function publishedTime(post: Post): number {
  let t = publishedTimes.get(post);
  if (t === undefined) publishedTimes.set(post, (t = Date.parse(post.published)));
  return t;
}

/** Newest first; ties broken by id so the order never depends on input order. */
export function sortPosts(posts: readonly Post[]): Post[] {
  const keyed = posts.map((post) => ({ post, t: publishedTime(post) }));
  keyed.sort((a, b) => {
    if (a.t !== b.t) return b.t - a.t;
    return a.post.id < b.post.id ? -1 : a.post.id > b.post.id ? 1 : 0;
  });
  return keyed.map((k) => k.post);
}
