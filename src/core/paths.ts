// Where each post lives in the snapshot. A post keeps its origin path (a Blogger post at
// /2016/06/<slug>.html stays there) so old links keep working on every mirror.
import { isSafeSnapshotPath } from './manifest.ts';
import { sha256Hex } from './bytes.ts';

/** Paths the build writes itself; a post may not take them. */
const RESERVED =
  /^\/(index\.html|archive\.html|about\.html|mirrors\.html|mirrors\.json|404\.html|style\.css|rss\.xml|atom\.xml|feed\.json|manifest\.json(\.sig)?|sw\.js|(page|labels|media|_ferry|ipfs)\/.*|\d{4}\/\d{2}\/index\.html)$/;

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

/** Percent-encode a snapshot path for use in an href (keeps the slashes). */
export function hrefOf(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
