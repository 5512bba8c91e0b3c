// Where each post lives in the snapshot. A post keeps its origin path (a Blogger post at
// /2016/06/<slug>.html stays there) so old links keep working on every mirror.
import { isSafeSnapshotPath } from './manifest.ts';
import { sha256Hex } from './bytes.ts';

/** Paths the build writes itself; a post may not take them. */
const RESERVED =
  /^\/(index\.html|archive\.html|about\.html|mirrors\.html|mirrors\.json|404\.html|offline\.html|style\.css|rss\.xml|atom\.xml|feed\.json|manifest\.json(\.sig)?|sw\.js|(page|labels|media|_ferry|ipfs)\/.*|\d{4}\/\d{2}\/index\.html)$/;

/** The year and month of an RFC 3339 time in its own offset ("2016-06-08T21:03-07:00" -> 2016, 06). */
export function yearMonth(rfc3339: string): { year: string; month: string } {
  const m = /^(\d{4})-(\d{2})/.exec(rfc3339);
  if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`not an RFC 3339 time: ${rfc3339}`);
  return { year: m[1], month: m[2] };
}

/** ASCII slug from a title or id; empty when nothing usable is left. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** The origin's own path for a post, decoded, when it is a safe .html path; otherwise undefined. */
export function originPath(originUrl: string): string | undefined {
  if (originUrl === '') return undefined;
  let url: URL;
  try {
    url = new URL(originUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  let path: string;
  try {
    path = url.pathname
      .split('/')
      .map((s: string) => decodeURIComponent(s))
      .join('/');
  } catch {
    return undefined;
  }
  if (!path.endsWith('.html') || !isSafeSnapshotPath(path) || RESERVED.test(path)) return undefined;
  if (path.split('/').some((s) => s.includes('/') || s.startsWith('.'))) return undefined;
  return path;
}

export interface PathInput {
  id: string;
  title: string;
  published: string;
  originUrl: string;
}

/**
 * Assign each post a unique, safe snapshot path. Order-independent: posts are considered oldest
 * first (then by id), so an older post keeps its path when a newer one would collide. `reserved`:
 * paths already taken (by published posts that keep theirs).
 */
export function assignPaths(
  posts: readonly PathInput[],
  reserved: ReadonlySet<string> = new Set(),
): Map<string, { path: string; slug: string }> {
  const ordered = posts
    .map((p) => ({ p, t: Date.parse(p.published) }))
    .sort((a, b) => a.t - b.t || (a.p.id < b.p.id ? -1 : a.p.id > b.p.id ? 1 : 0))
    .map(({ p }) => p);
  const taken = new Set<string>(reserved);
  const out = new Map<string, { path: string; slug: string }>();
  for (const p of ordered) {
    let base = originPath(p.originUrl);
    if (base === undefined) {
      const { year, month } = yearMonth(p.published);
      const fromId = p.id.startsWith('markdown:') ? slugify(p.id.slice('markdown:'.length)) : '';
      const slug = fromId || slugify(p.title) || sha256Hex(p.id).slice(0, 12);
      base = `/${year}/${month}/${slug}.html`;
    }
    let path = base;
    for (let n = 2; taken.has(path); n++) path = base.replace(/\.html$/, `-${n}.html`);
    taken.add(path);
    const file = path.slice(path.lastIndexOf('/') + 1);
    out.set(p.id, { path, slug: file.replace(/\.html$/, '') });
  }
  return out;
}

/** A snapshot path as a root-relative href: each segment percent-encoded ('/labels/人权.html' ->
 * '/labels/%E4%BA%BA%E6%9D%83.html'), the slashes kept. ASCII slugs are unchanged. */
export function hrefOf(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** A page path that is not a snapshot path was given as the page a link starts from. */
export class LinkError extends Error {
  override name = 'LinkError';
}

/** A site path ('/x', never '//host/x' or '/\\host/x'), as opposed to an absolute or relative URL. */
export function isRootRelative(href: string): boolean {
  return href.startsWith('/') && !/^\/[/\\]/.test(href);
}

/**
 * The link from the page at `from` to the site path `href`, relative to the page, so that it finds
 * the same file wherever the snapshot is served: at a domain root, under a sub-path (/blog/) or an
 * IPFS path gateway (/ipfs/<cid>/).
 *
 * `from` is the page's snapshot path, decoded as in the manifest ('/labels/人权.html'). A directory
 * index ('/2016/06/index.html') has the same base whether it is asked for by that name or as
 * '/2016/06/' (browsers resolve against the directory either way); a path ending in '/' is taken as
 * that directory. `href` is root-relative as written in a page (percent-encoded; its ?query and
 * #fragment are kept as they are); anything else ('https://…', '//host/…', '#top', 'a.html',
 * 'mailto:…') is returned unchanged. Dot segments ('..', '%2e%2e') are resolved first and never
 * climb above the snapshot's root. Pure string work: the same arguments give the same link.
 */
export function relativeHref(from: string, href: string): string {
  if (!from.startsWith('/')) throw new LinkError(`relativeHref: the page path must start with '/', got ${JSON.stringify(from)}`);
  if (!isRootRelative(href)) return href;
  const cut = href.search(/[?#]/);
  const path = cut < 0 ? href : href.slice(0, cut);
  const suffix = cut < 0 ? '' : href.slice(cut);
  // Browsers read '\\' in an http(s) path as '/'.
  const target = withoutDotSegments(path.replaceAll('\\', '/').slice(1).split('/'));
  const base = from.split('/').slice(1, -1);
  // Shared leading directories (never the target's last segment, which names a file or is '').
  let shared = 0;
  while (shared < base.length && shared < target.length - 1 && decodeSegment(target[shared] ?? '') === base[shared]) shared++;
  let rel = '../'.repeat(base.length - shared) + target.slice(shared).join('/');
  // '' would mean this very page, '/…' the host's root, and 'a:b' a URL scheme.
  if (rel === '' || rel.startsWith('/') || /^[^/]*:/.test(rel)) rel = `./${rel}`;
  return rel + suffix;
}

/** RFC 3986 remove_dot_segments on the segments after the root; '%2e' counts as '.' (as in browsers). */
function withoutDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  segments.forEach((segment, i) => {
    const dots = segment.toLowerCase().replaceAll('%2e', '.');
    if (dots !== '.' && dots !== '..') {
      out.push(segment);
      return;
    }
    if (dots === '..') out.pop();
    if (i === segments.length - 1) out.push('');
  });
  return out;
}

/** A segment as the name it encodes; undefined when it is not valid percent-encoding. */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
