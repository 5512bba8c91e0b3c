// Atom 1.0 (RFC 4287) pages, Blogger's /feeds/posts/default included, into RawEntry and SiteMeta.
// HTML is passed on exactly as the feed carries it: sanitizing happens later.
import type { RawEntry, SiteMeta } from '../../core/model.ts';
import { SourceError } from '../../ports/source.ts';
import type { FeedPage, FeedPageContext } from './feed-page.ts';
import {
  attrOf,
  childrenOf,
  collapseWhitespace,
  htmlToText,
  isRfc3339,
  isXmlNode,
  rawOf,
  textOf,
  textToHtml,
  toAbsoluteUrl,
  xmlToText,
  type XmlNode,
} from './xml.ts';

/** Blogger (GData) marks each entry's kind with a category in this scheme; it is not a label. */
const KIND_SCHEME = 'http://schemas.google.com/g/2005#kind';

/** Reads one parsed <feed> element. Throws SourceError naming the page and the entry at fault. */
export function parseAtomPage(feed: XmlNode, ctx: FeedPageContext): FeedPage {
  const feedLang = attrOf(feed, 'xml:lang')?.trim() || undefined;
  const meta: SiteMeta = {
    id: textOf(feed['id']) || ctx.location,
    title: readTextConstruct(feed, 'title'),
    subtitle: readTextConstruct(feed, 'subtitle'),
    originUrl: findLink(feed, 'alternate', ctx.baseUrl) ?? '',
    language: feedLang ?? 'zh',
  };
  const feedAuthors = readAuthors(feed);
  const entries = childrenOf(feed, 'entry').map((entry, index) =>
    readEntry(isXmlNode(entry) ? entry : {}, index, { ctx, feedLang, feedAuthors }),
  );
  const next = findLink(feed, 'next', ctx.baseUrl);
  return next === undefined ? { meta, entries } : { meta, entries, next };
}

interface EntryContext {
  ctx: FeedPageContext;
  feedLang: string | undefined;
  feedAuthors: string[];
}

function readEntry(entry: XmlNode, index: number, { ctx, feedLang, feedAuthors }: EntryContext): RawEntry {
  const id = textOf(entry['id']);
  const title = readTextConstruct(entry, 'title');
  const fail = (problem: string): SourceError => {
    const label = id ? `entry ${index + 1} (${id})` : `entry ${index + 1}${title ? ` ("${title}")` : ''}`;
    return new SourceError(ctx.location, `${label}: ${problem}`);
  };
  if (!id) throw fail('has no <id>');
  const updatedRaw = textOf(entry['updated']) || undefined;
  const published = textOf(entry['published']) || updatedRaw;
  if (published === undefined) throw fail('has neither <published> nor <updated>');
  const updated = updatedRaw ?? published;
  if (!isRfc3339(published)) throw fail(`<published> "${published}" is not an RFC 3339 date-time`);
  if (!isRfc3339(updated)) throw fail(`<updated> "${updated}" is not an RFC 3339 date-time`);

  const authors = readAuthors(entry);
  const language = attrOf(entry, 'xml:lang')?.trim() || feedLang;
  const result: RawEntry = {
    id,
    title,
    published,
    updated,
    authors: authors.length > 0 ? authors : feedAuthors,
    tags: readCategories(entry),
    html: readContent(entry),
    originUrl: findLink(entry, 'alternate', ctx.baseUrl) ?? '',
  };
  if (language !== undefined) result.language = language;
  return result;
}

/** An Atom text construct (title, subtitle) as one line of plain text. */
function readTextConstruct(node: XmlNode, name: string): string {
  const element = node[name];
  const raw = rawOf(element);
  if (raw === undefined) return '';
  const type = (attrOf(element, 'type') ?? 'text').trim().toLowerCase();
  if (type === 'html' || type === 'text/html') return htmlToText(xmlToText(raw));
  if (type === 'xhtml' || type === 'application/xhtml+xml') return htmlToText(raw);
  return collapseWhitespace(xmlToText(raw));
}

/** The entry's HTML: <content>, or <summary> when the content is absent, out of line or not text. */
function readContent(entry: XmlNode): string {
  return readHtmlConstruct(entry, 'content') ?? readHtmlConstruct(entry, 'summary') ?? '';
}

function readHtmlConstruct(node: XmlNode, name: string): string | undefined {
  const element = node[name];
  const raw = rawOf(element);
  if (raw === undefined || attrOf(element, 'src') !== undefined) return undefined;
  const type = (attrOf(element, 'type') ?? 'text').trim().toLowerCase();
  if (type === 'html' || type === 'text/html') return xmlToText(raw);
  if (type === 'xhtml' || type === 'application/xhtml+xml') return unwrapXhtmlDiv(raw);
  if (type === 'text' || type === 'text/plain') return textToHtml(xmlToText(raw));
  return undefined;
}

/** RFC 4287 wraps xhtml content in one <div xmlns="http://www.w3.org/1999/xhtml">; it is not content. */
function unwrapXhtmlDiv(markup: string): string {
  const match = /^\s*<div\b[^>]*>([\s\S]*)<\/div>\s*$/.exec(markup);
  return (match?.[1] ?? markup).trim();
}

function readAuthors(node: XmlNode): string[] {
  const names: string[] = [];
  for (const author of childrenOf(node, 'author')) {
    const name = isXmlNode(author) ? textOf(author['name']) : undefined;
    if (name) names.push(name);
  }
  return names;
}

/** Category terms (Blogger labels), in feed order, without duplicates. */
function readCategories(entry: XmlNode): string[] {
  const tags: string[] = [];
  for (const category of childrenOf(entry, 'category')) {
    if (attrOf(category, 'scheme') === KIND_SCHEME) continue;
    const term = attrOf(category, 'term')?.trim();
    if (term && !tags.includes(term)) tags.push(term);
  }
  return tags;
}

/** The href of the first link with this rel (rel="alternate" prefers type text/html), absolute. */
function findLink(node: XmlNode, rel: string, baseUrl: string | undefined): string | undefined {
  const links = childrenOf(node, 'link').filter((link) => (attrOf(link, 'rel')?.trim() || 'alternate') === rel);
  const preferred =
    rel === 'alternate' ? (links.find((link) => attrOf(link, 'type')?.trim().toLowerCase() === 'text/html') ?? links[0]) : links[0];
  return toAbsoluteUrl(attrOf(preferred, 'href'), baseUrl);
}
