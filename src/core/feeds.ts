// The snapshot's feeds: RSS 2.0 and Atom 1.0 built with the `feed` package (then corrected), and
// JSON Feed 1.1 written directly. Pure: the output depends only on the site and the options, so the
// same input gives byte-identical feeds (no build time anywhere).
//
// What `feed` 6.0.0 (with xml-js 1.6.11 underneath) gets wrong, and how it is fixed here:
// - Atom entry titles are written as type="html" CDATA: a plain-text title such as `a <b> & c` would
//   be read as markup. They become type="text", escaped.
// - Text is "desanitized" (a literal `&amp;` in a title turns into `&`), attributes escape only `"`
//   (a `<` in a tag breaks the XML), CDATA splits only the first `]]>`, ids go through `new URL`
//   (which throws on ids that are not URLs and may normalize those that are), and characters that
//   XML 1.0 forbids pass through.
//   So every string from the site reaches the package as an opaque slot token and is written back
//   here, escaped for its context.
// - Without `updated` it stamps the build time (Atom <updated>, RSS <lastBuildDate>): it always gets
//   the newest `updated` of the posts in the feed. The generator element is omitted.
// - Atom has no language and entries no xml:lang: both are added. RSS items get <atom:updated> (RSS
//   has no modified date of its own) and <dc:creator> (RSS <author> must be an e-mail address).
// - Its JSON Feed is version 1 with a single `author`: JSON Feed 1.1 is written here instead.
import { Feed } from 'feed';
import { mapUrlAttributes } from './html-urls.ts';
import { sortPosts, type Post, type Site, type SiteMeta } from './model.ts';

export interface FeedOptions {
  /** Canonical mirror base URL, always ends with '/', e.g. 'https://blog.example.org/'. */
  canonical: string;
  /** Newest N posts (default 50). */
  limit?: number;
}

export const FEED_PATHS = { rss: '/rss.xml', atom: '/atom.xml', json: '/feed.json' } as const;

export const DEFAULT_FEED_LIMIT = 50;
export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';
const EXCERPT_LENGTH = 200;
/** `updated` of a feed with no posts: a fixed instant, never the build time. */
const EMPTY_FEED_UPDATED = '1970-01-01T00:00:00.000Z';

export class FeedError extends Error {
  override name = 'FeedError';
}

/** Render the three feeds; keys are the FEED_PATHS values. */
export function renderFeeds(site: Site, opts: FeedOptions): Map<string, string> {
  const canonical = checkCanonical(opts.canonical);
  const limit = checkLimit(opts.limit ?? DEFAULT_FEED_LIMIT);
  const posts = sortPosts(site.posts)
    .slice(0, limit)
    .map((post) => toFeedPost(post, canonical));
  const updated = newestUpdated(posts);
  const meta: SiteMeta = {
    ...site.meta,
    id: toXmlChars(site.meta.id),
    title: toXmlChars(site.meta.title),
    subtitle: toXmlChars(site.meta.subtitle),
    language: toXmlChars(site.meta.language),
  };
  const input: FeedInput = { meta, canonical, posts, updated };
  return new Map<string, string>([
    [FEED_PATHS.rss, renderRss(input)],
    [FEED_PATHS.atom, renderAtom(input)],
    [FEED_PATHS.json, renderJsonFeed(input)],
  ]);
}

interface FeedPost {
  /** The post with every string the feeds carry cleaned of characters XML 1.0 cannot hold. */
  post: Post;
  url: string;
  html: string;
  excerpt: string;
  published: Date;
  updated: Date;
  /** The post's own RFC 3339 strings when valid (offset kept), else UTC. */
  publishedText: string;
  updatedText: string;
}

interface FeedInput {
  meta: SiteMeta;
  canonical: string;
  posts: FeedPost[];
  updated: Date;
}

function checkCanonical(canonical: string): string {
  if (!/^https?:\/\/[^/?#\s&"'<>]+\/(?:[^?#\s&"'<>]*\/)?$/.test(canonical)) {
    throw new FeedError(
      `feeds: canonical must be an absolute http(s) URL ending with '/' and without query or fragment, got ${JSON.stringify(canonical)}`,
    );
  }
  return canonical;
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new FeedError(`feeds: limit must be a whole number of at least 1, got ${String(limit)}`);
  }
  return limit;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function toInstant(value: string, post: Post, field: string): { date: Date; text: string } {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new FeedError(`feeds: post ${JSON.stringify(post.id)} has an invalid ${field} date ${JSON.stringify(value)}`);
  }
  return { date, text: RFC3339.test(value) ? value : date.toISOString() };
}

function toFeedPost(raw: Post, canonical: string): FeedPost {
  const post: Post = {
    ...raw,
    id: toXmlChars(raw.id),
    title: toXmlChars(raw.title),
    authors: raw.authors.map(toXmlChars),
    tags: raw.tags.map(toXmlChars),
    language: toXmlChars(raw.language),
  };
  const url = canonical + encodeUrlPath(post.path.replace(/^\/+/, ''));
  const published = toInstant(post.published, post, 'published');
  const updated = toInstant(post.updated, post, 'updated');
  const html = absolutizeHtml(toXmlChars(raw.html), canonical, url);
  return {
    post,
    url,
    html,
    excerpt: toExcerpt(html, EXCERPT_LENGTH),
    published: published.date,
    updated: updated.date,
    publishedText: published.text,
    updatedText: updated.text,
  };
}

function newestUpdated(posts: readonly FeedPost[]): Date {
  let newest = new Date(EMPTY_FEED_UPDATED);
  for (const p of posts) if (p.updated.getTime() > newest.getTime()) newest = p.updated;
  return newest;
}

// ---------------------------------------------------------------------------------------------
// Slots: site strings never reach the package; opaque tokens do, and are replaced afterwards.

/** Collects the strings handed to `feed` as tokens (`ferry-slot:N:` survives `new URL` unchanged). */
class Slots {
  private readonly slots: Slot[] = [];

  token(value: string, lang = ''): string {
    this.slots.push({ value: toXmlChars(value), lang });
    return `ferry-slot:${this.slots.length - 1}:`;
  }

  /**
   * Replace every token: first where a rule matches, then CDATA-wrapped and bare tokens as escaped
   * text. Each token must be written exactly once (guards against changes in the package).
   */
  fill(xml: string, rules: readonly SlotRule[]): string {
    const seen = new Array<number>(this.slots.length).fill(0);
    const slot = (n: string): Slot => {
      const i = Number(n);
      const found = this.slots[i];
      if (found === undefined) throw new FeedError(`feeds: unknown slot ${n}`);
      seen[i] = (seen[i] ?? 0) + 1;
      return found;
    };
    let out = xml;
    for (const rule of rules) {
      out = out.replace(rule.pattern, (_match: string, n: string) => rule.write(slot(n)));
    }
    out = out.replace(/<!\[CDATA\[ferry-slot:(\d+):\]\]>|ferry-slot:(\d+):/g, (_match: string, a?: string, b?: string) =>
      escapeXml(slot(a ?? b ?? '').value),
    );
    seen.forEach((count, i) => {
      if (count !== 1) throw new FeedError(`feeds: slot ${i} was written ${count} times by the feed package`);
    });
    return out;
  }
}

interface Slot {
  value: string;
  /** BCP 47 tag to write as xml:lang, or ''. */
  lang: string;
}

interface SlotRule {
  /** The slot number must be the first group; the g flag must be set. */
  pattern: RegExp;
  write: (slot: Slot) => string;
}

function xmlLang(lang: string): string {
  return lang === '' ? '' : ` xml:lang="${escapeXml(toXmlChars(lang))}"`;
}

// ---------------------------------------------------------------------------------------------
// RSS 2.0

function renderRss({ meta, canonical, posts, updated }: FeedInput): string {
  const slots = new Slots();
  const feed = new Feed({
    title: slots.token(meta.title),
    description: slots.token(meta.subtitle),
    link: canonical,
    language: slots.token(meta.language),
    updated,
    generator: false,
    feedLinks: { rss: canonical + FEED_PATHS.rss.slice(1) },
  });
  for (const p of posts) {
    const extensions = [{ name: 'atom:updated', objects: { _text: p.updated.toISOString() } }];
    if (p.post.authors.length > 0) {
      extensions.push({ name: 'dc:creator', objects: { _text: slots.token(p.post.authors.join(', ')) } });
    }
    feed.addItem({
      title: slots.token(p.post.title),
      guid: slots.token(p.post.id),
      link: p.url,
      date: p.updated,
      published: p.published,
      description: slots.token(escapeHtml(p.excerpt)),
      content: slots.token(p.html),
      category: p.post.tags.map((tag) => ({ name: slots.token(tag) })),
      extensions,
    });
  }
  return slots.fill(feed.rss2(), [
    {
      pattern: /<content:encoded><!\[CDATA\[ferry-slot:(\d+):\]\]><\/content:encoded>/g,
      write: (slot) => `<content:encoded>${cdata(slot.value)}</content:encoded>`,
    },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Atom 1.0

function renderAtom({ meta, canonical, posts, updated }: FeedInput): string {
  const slots = new Slots();
  const feed = new Feed({
    id: slots.token(meta.id),
    title: slots.token(meta.title),
    description: slots.token(meta.subtitle),
    link: canonical,
    updated,
    generator: false,
    // Entries without authors of their own inherit this one, as Atom requires.
    author: { name: slots.token(meta.title) },
    feedLinks: { atom: canonical + FEED_PATHS.atom.slice(1) },
  });
  for (const p of posts) {
    feed.addItem({
      id: slots.token(p.post.id),
      title: slots.token(p.post.title, p.post.language),
      link: p.url,
      date: p.updated,
      published: p.published,
      content: slots.token(p.html, p.post.language),
      author: p.post.authors.map((name) => ({ name: slots.token(name) })),
      category: p.post.tags.map((tag) => ({ term: slots.token(tag) })),
    });
  }
  const xml = slots.fill(feed.atom1(), [
    {
      pattern: /<title type="html"><!\[CDATA\[ferry-slot:(\d+):\]\]><\/title>/g,
      write: (slot) => `<title type="text"${xmlLang(slot.lang)}>${escapeXml(slot.value)}</title>`,
    },
    {
      pattern: /<content type="html"><!\[CDATA\[ferry-slot:(\d+):\]\]><\/content>/g,
      write: (slot) => `<content type="html"${xmlLang(slot.lang)}>${cdata(slot.value)}</content>`,
    },
  ]);
  const root = '<feed xmlns="http://www.w3.org/2005/Atom">';
  if (!xml.includes(root)) throw new FeedError('feeds: the feed package wrote an unexpected Atom root element');
  return xml.replace(root, `<feed xmlns="http://www.w3.org/2005/Atom"${xmlLang(meta.language)}>`);
}

// ---------------------------------------------------------------------------------------------
// JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)

function renderJsonFeed({ meta, canonical, posts }: FeedInput): string {
  const feed = {
    version: JSON_FEED_VERSION,
    title: meta.title,
    home_page_url: canonical,
    feed_url: canonical + FEED_PATHS.json.slice(1),
    description: meta.subtitle,
    language: meta.language,
    authors: [{ name: meta.title }],
    items: posts.map((p) => ({
      id: p.post.id,
      url: p.url,
      title: p.post.title,
      content_html: p.html,
      summary: p.excerpt,
      date_published: p.publishedText,
      date_modified: p.updatedText,
      ...(p.post.authors.length > 0 ? { authors: p.post.authors.map((name) => ({ name })) } : {}),
      ...(p.post.tags.length > 0 ? { tags: [...p.post.tags] } : {}),
      language: p.post.language,
    })),
  };
  return JSON.stringify(feed, null, 2);
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Remove what XML 1.0 cannot carry: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/F. */
export function toXmlChars(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '',
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const escapeHtml = escapeXml;

/** A CDATA section holding `text` exactly, whatever `]]>` it contains. */
function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** Percent-encode what a URL path may not carry, leaving existing %XX escapes alone. */
function encodeUrlPath(path: string): string {
  return path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (ch) => encodeURIComponent(ch));
}

/**
 * Make the URLs in sanitized HTML absolute: root-relative ones (snapshot paths such as
 * /media/abc.png) against the canonical base, others against the post's own URL.
 */
export function absolutizeHtml(html: string, canonical: string, pageUrl: string): string {
  return mapUrlAttributes(html, (url) => resolveUrl(url, canonical, pageUrl));
}

/** Resolve a (still HTML-escaped) URL reference; `canonical` and `pageUrl` are absolute. */
function resolveUrl(ref: string, canonical: string, pageUrl: string): string {
  const trimmed = ref.trim();
  if (trimmed === '' || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(trimmed)) return ref;
  if (trimmed.startsWith('//')) return canonical.slice(0, canonical.indexOf(':') + 1) + trimmed;
  // Root-relative: a snapshot path, which lives under the canonical base.
  if (trimmed.startsWith('/')) return canonical + trimmed.replace(/^\/+/, '');
  const pagePath = pageUrl.slice(canonical.length).replace(/[?#].*$/, '');
  if (trimmed.startsWith('#')) return canonical + pagePath + trimmed;
  if (trimmed.startsWith('?')) return canonical + pagePath + trimmed;
  const split = trimmed.search(/[?#]/);
  const path = split === -1 ? trimmed : trimmed.slice(0, split);
  const suffix = split === -1 ? '' : trimmed.slice(split);
  return canonical + removeDotSegments(pagePath.replace(/[^/]*$/, '') + path) + suffix;
}

/** RFC 3986 remove_dot_segments on a path relative to the canonical base (never goes above it). */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '..' || seg === '.') {
      if (seg === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  });
  return out.join('/');
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Plain-text excerpt of sanitized HTML: tags dropped, entities decoded, whitespace collapsed. */
export function toExcerpt(html: string, maxChars: number): string {
  const text = html
    .replace(/<(?:br|\/p|\/div|\/li|\/h[1-6]|\/blockquote|\/tr)\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z]+);/g, (entity: string, body: string) => {
      if (body.startsWith('#')) {
        const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? toXmlChars(String.fromCodePoint(code)) : '';
      }
      return NAMED_ENTITIES[body] ?? entity;
    })
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  return chars.length <= maxChars
    ? text
    : `${chars
        .slice(0, maxChars - 1)
        .join('')
        .trimEnd()}…`;
}
