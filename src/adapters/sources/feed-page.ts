// One parsed page of a feed: the site metadata it declares, its entries, and the URL of the next
// page (Atom rel="next", RFC 5005), if any.
import type { RawEntry, SiteMeta } from '../../core/model.ts';

export interface FeedPage {
  meta: SiteMeta;
  entries: RawEntry[];
  /** Absolute URL of the next page, when the page links one. */
  next?: string;
}

export interface FeedPageContext {
  /** The URL or file the page was read from: named in every error. */
  location: string;
  /** Absolute URL that relative links resolve against (the page's URL); none for a local file. */
  baseUrl?: string;
}
