// Reads a whole feed: over HTTP every page, following rel="next" (Blogger pages its feed), or one
// local .xml file. Every request has a deadline and a size limit; a feed that loops, never ends or
// has no entries at all is an error, because a blanked feed must never replace a published blog.
import { readFile, stat } from 'node:fs/promises';
import type { OriginSnapshot, RawEntry } from '../../core/model.ts';
import type { LimitedFetch } from '../../ports/fetch.ts';
import { SourceError, type OriginSource, type ReadOptions } from '../../ports/source.ts';
import { parseAtomPage } from './atom-source.ts';
import type { FeedPage, FeedPageContext } from './feed-page.ts';
import { parseRssPage } from './rss-source.ts';
import { toSourceError } from './source-error.ts';
import { decodeFeedBytes, parseFeedXml } from './xml.ts';

export interface FeedLimits {
  /** Deadline for each request, in milliseconds. */
  timeoutMs: number;
  /** Largest page accepted, in bytes. */
  maxBytes: number;
  /** Most pages followed before giving up. */
  maxPages: number;
}

const ACCEPT = 'application/atom+xml, application/rss+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1';

/** Parses one feed document (Atom or RSS, sniffed from its root element). */
export function parseFeedPage(bytes: Uint8Array, ctx: FeedPageContext): FeedPage {
  const { kind, root } = parseFeedXml(decodeFeedBytes(bytes, ctx.location), ctx.location);
  return kind === 'atom' ? parseAtomPage(root, ctx) : parseRssPage(root, ctx);
}

export interface FeedUrlSourceOptions extends FeedLimits {
  fetch: LimitedFetch;
  onProgress?: (msg: string) => void;
}

/** A feed at an http(s) URL, read page by page. */
export function createFeedUrlSource(url: string, { fetch, timeoutMs, maxBytes, maxPages, onProgress }: FeedUrlSourceOptions): OriginSource {
  return {
    async read(options?: ReadOptions): Promise<OriginSnapshot> {
      const fetched = new Set<string>();
      const pages: FeedPage[] = [];
      const updatedMin = options?.updatedMin;
      let next: string | undefined = updatedMin === undefined ? url : withQuery(url, 'updated-min', updatedMin);
      while (next !== undefined) {
        const pageUrl: string = next;
        const key = normalizeUrl(pageUrl);
        if (fetched.has(key)) {
          throw new SourceError(pageUrl, `rel="next" loops back to this page, already fetched (after ${pages.length} pages of ${url})`);
        }
        if (pages.length >= maxPages) {
          throw new SourceError(
            url,
            `more than ${maxPages} pages (the next would be ${pageUrl}); raise maxPages if the blog really is this large`,
          );
        }
        fetched.add(key);
        let response;
        try {
          response = await fetch(pageUrl, { timeoutMs, maxBytes, headers: { accept: ACCEPT } });
        } catch (e) {
          throw toSourceError(e, pageUrl);
        }
        if (response.status < 200 || response.status > 299) {
          throw new SourceError(pageUrl, `HTTP ${response.status}${statusHint(response.status)}`);
        }
        const page = parseFeedPage(response.body, { location: pageUrl, baseUrl: response.url || pageUrl });
        pages.push(page);
        onProgress?.(`read page ${pages.length} (${page.entries.length} entries): ${pageUrl}`);
        next = page.next;
      }
      return toSnapshot(pages, url, onProgress, updatedMin !== undefined);
    },
  };
}

/** url with one query parameter set (Blogger's rel="next" links carry it on to the next pages). */
function withQuery(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.href;
}

export interface FeedFileSourceOptions {
  maxBytes: number;
  onProgress?: (msg: string) => void;
}

/** A feed saved as a local .xml file: one document, links are not followed. */
export function createFeedFileSource(path: string, { maxBytes, onProgress }: FeedFileSourceOptions): OriginSource {
  return {
    async read(): Promise<OriginSnapshot> {
      let bytes: Uint8Array;
      try {
        const info = await stat(path);
        if (!info.isFile()) throw new SourceError(path, 'not a file');
        if (info.size > maxBytes) throw new SourceError(path, `file of ${info.size} bytes is over the limit of ${maxBytes}`);
        bytes = await readFile(path);
      } catch (e) {
        throw toSourceError(e, path);
      }
      const page = parseFeedPage(bytes, { location: path });
      onProgress?.(`read ${path} (${page.entries.length} entries)`);
      return toSnapshot([page], path, onProgress);
    },
  };
}

function toSnapshot(
  pages: FeedPage[],
  location: string,
  onProgress: ((msg: string) => void) | undefined,
  /** Only entries updated since a time were asked for: none is an answer, not a blanked feed. */
  partial = false,
): OriginSnapshot {
  const first = pages[0];
  if (first === undefined) throw new SourceError(location, 'feed has no entries');
  const seen = new Set<string>();
  const entries: RawEntry[] = [];
  for (const page of pages) {
    for (const entry of page.entries) {
      if (seen.has(entry.id)) {
        // A post published while the pages were read shifts later pages by one: keep the first copy.
        onProgress?.(`entry ${entry.id} appears twice; kept the first`);
        continue;
      }
      seen.add(entry.id);
      entries.push(entry);
    }
  }
  if (entries.length === 0 && !partial) {
    throw new SourceError(location, 'feed has no entries (refusing to treat the blog as empty)');
  }
  return { meta: first.meta, entries, location };
}

function normalizeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}

function statusHint(status: number): string {
  if (status === 404) return ' (not found: is the feed URL right?)';
  if (status === 401 || status === 403) return ' (access denied: is the blog private?)';
  if (status === 429) return ' (rate limited: try again later)';
  if (status >= 500) return ' (the origin server failed)';
  return '';
}
