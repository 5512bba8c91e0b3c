// Writes a Blogger-style paged Atom feed (feed-page<N>.xml with {BASE} for the server's origin, as
// test/helpers/blogger-server.ts serves it) from plain post data: a test's own origin, without
// ../shared/fixtures. Entries are in Blogger's order (newest published first); pages link the next
// one with start-index/max-results, as Blogger's do.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FeedPost {
  /** The post number: its id is tag:blogger.com,1999:blog-<blogId>.post-<n>. */
  n: number;
  title: string;
  /** HTML, as Blogger serves it (escaped into the XML here). */
  html: string;
  published: string;
  updated: string;
  authors?: string[];
  tags?: string[];
}

export interface FeedSite {
  blogId: string;
  title: string;
  subtitle?: string;
  posts: readonly FeedPost[];
  /** Entries per page (Blogger's default is 25). */
  perPage?: number;
}

export const postId = (blogId: string, n: number): string => `tag:blogger.com,1999:blog-${blogId}.post-${n}`;

const esc = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll("'", '&apos;');

function entryXml(blogId: string, p: FeedPost): string {
  const slug = `post-${p.n}`;
  const year = p.published.slice(0, 4);
  const month = p.published.slice(5, 7);
  return (
    `<entry><id>${postId(blogId, p.n)}</id><published>${p.published}</published><updated>${p.updated}</updated>` +
    (p.tags ?? []).map((t) => `<category scheme='http://www.blogger.com/atom/ns#' term='${esc(t)}'/>`).join('') +
    `<title type='text'>${esc(p.title)}</title><content type='html'>${esc(p.html)}</content>` +
    `<link rel='alternate' type='text/html' href='{BASE}/${year}/${month}/${slug}.html' title='${esc(p.title)}'/>` +
    (p.authors ?? ['Coalition for Citizens Rights']).map((a) => `<author><name>${esc(a)}</name></author>`).join('') +
    `</entry>`
  );
}

/** The feed's pages, as text. */
export function bloggerFeedPages({ blogId, title, subtitle = '', posts, perPage = 25 }: FeedSite): string[] {
  const sorted = [...posts].sort((a, b) => Date.parse(b.published) - Date.parse(a.published) || b.n - a.n);
  const pages: string[] = [];
  for (let start = 0; start === 0 || start < sorted.length; start += perPage) {
    const next = start + perPage < sorted.length ? start + perPage + 1 : undefined;
    pages.push(
      `<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>` +
        `<id>tag:blogger.com,1999:blog-${blogId}</id><updated>2026-01-01T00:00:00.000Z</updated>` +
        `<title type='text'>${esc(title)}</title><subtitle type='html'>${esc(subtitle)}</subtitle>` +
        `<link rel='alternate' type='text/html' href='{BASE}/'/>` +
        `<link rel='self' type='application/atom+xml' href='{BASE}/feeds/posts/default?start-index=${start + 1}&amp;max-results=${perPage}'/>` +
        (next === undefined
          ? ''
          : `<link rel='next' type='application/atom+xml' href='{BASE}/feeds/posts/default?start-index=${next}&amp;max-results=${perPage}'/>`) +
        `<generator version='7.00' uri='http://www.blogger.com'>Blogger</generator>` +
        sorted
          .slice(start, start + perPage)
          .map((p) => entryXml(blogId, p))
          .join('') +
        `</feed>`,
    );
  }
  return pages;
}

/** Writes the pages into folder (replacing what was there). */
export async function writeBloggerFeed(folder: string, site: FeedSite): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const pages = bloggerFeedPages(site);
  for (const [i, text] of pages.entries()) await writeFile(join(folder, `feed-page${i + 1}.xml`), text);
}
