// RSS 2.0 channels into RawEntry and SiteMeta, with RFC 822 dates turned into RFC 3339 that keep
// the origin's offset. HTML is passed on exactly as the feed carries it: sanitizing happens later.
import type { RawEntry, SiteMeta } from '../../core/model.ts';
import { SourceError } from '../../ports/source.ts';
import type { FeedPage, FeedPageContext } from './feed-page.ts';
import {
  attrOf,
  childrenOf,
  htmlToText,
  isCalendarTime,
  isRfc3339,
  isXmlNode,
  rawOf,
  textOf,
  toAbsoluteUrl,
  xmlToText,
  type XmlNode,
} from './xml.ts';

/** Reads one parsed <rss> element. Throws SourceError naming the feed and the item at fault. */
export function parseRssPage(rss: XmlNode, ctx: FeedPageContext): FeedPage {
  const channelValue = childrenOf(rss, 'channel')[0];
  if (!isXmlNode(channelValue)) throw new SourceError(ctx.location, 'RSS feed has no <channel>');
  const channel = channelValue;
  const language = textOf(channel['language']) || undefined;
  const atomLinks = childrenOf(channel, 'atom:link');
  const linkWithRel = (rel: string): string | undefined =>
    toAbsoluteUrl(
      attrOf(
        atomLinks.find((link) => attrOf(link, 'rel')?.trim() === rel),
        'href',
      ),
      ctx.baseUrl,
    );
  const meta: SiteMeta = {
    id: linkWithRel('self') ?? ctx.location,
    title: htmlToText(xmlToText(rawOf(channel['title']) ?? '')),
    subtitle: htmlToText(xmlToText(rawOf(channel['description']) ?? '')),
    originUrl: toAbsoluteUrl(textOf(channel['link']), ctx.baseUrl) ?? '',
    language: language ?? 'zh',
  };
  const entries = childrenOf(channel, 'item').map((item, index) => readItem(isXmlNode(item) ? item : {}, index, ctx, language));
  const next = linkWithRel('next');
  return next === undefined ? { meta, entries } : { meta, entries, next };
}

function readItem(item: XmlNode, index: number, ctx: FeedPageContext, language: string | undefined): RawEntry {
  const title = htmlToText(xmlToText(rawOf(item['title']) ?? ''));
  const link = textOf(item['link']) || undefined;
  const id = textOf(item['guid']) || link;
  const fail = (problem: string): SourceError => {
    const label = `item ${index + 1}${title ? ` ("${title}")` : id ? ` (${id})` : ''}`;
    return new SourceError(ctx.location, `${label}: ${problem}`);
  };
  if (id === undefined) throw fail('has neither <guid> nor <link>');

  const pubDate = textOf(item['pubDate']) || undefined;
  const dcDate = textOf(item['dc:date']) || undefined;
  const atomUpdated = textOf(item['atom:updated']) || undefined;
  let published: string;
  if (pubDate !== undefined) {
    const converted = rfc822ToRfc3339(pubDate);
    if (converted === undefined) throw fail(`<pubDate> "${pubDate}" is not an RFC 822 date`);
    published = converted;
  } else if (dcDate !== undefined) {
    published = dcDate;
  } else {
    throw fail('has no <pubDate>');
  }
  const updated = atomUpdated ?? dcDate ?? published;
  for (const [name, value] of [
    ['dc:date', dcDate],
    ['atom:updated', atomUpdated],
  ] as const) {
    if (value !== undefined && !isRfc3339(value)) throw fail(`<${name}> "${value}" is not an RFC 3339 date-time`);
  }

  const authors: string[] = [];
  for (const value of [...childrenOf(item, 'author'), ...childrenOf(item, 'dc:creator')]) {
    const name = authorName(textOf(value) ?? '');
    if (name && !authors.includes(name)) authors.push(name);
  }
  const tags: string[] = [];
  for (const value of childrenOf(item, 'category')) {
    const tag = textOf(value);
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  const encoded = rawOf(item['content:encoded']);
  const description = rawOf(item['description']);
  const entry: RawEntry = {
    id,
    title,
    published,
    updated,
    authors,
    tags,
    html: xmlToText(encoded !== undefined && encoded.trim() !== '' ? encoded : (description ?? '')).trim(),
    originUrl: toAbsoluteUrl(link, ctx.baseUrl) ?? '',
  };
  if (language !== undefined) entry.language = language;
  return entry;
}

/** RSS <author> is "email (Name)" by the spec; keep the name when there is one. */
function authorName(value: string): string {
  const named = /^\S+@\S+\s+\((.+)\)$/.exec(value);
  return (named?.[1] ?? value).trim();
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** RFC 822 section 5.1 zone names (military letters other than Z are ambiguous in practice). */
const NAMED_ZONES: Record<string, string> = {
  UT: 'Z',
  UTC: 'Z',
  GMT: 'Z',
  Z: 'Z',
  EST: '-05:00',
  EDT: '-04:00',
  CST: '-06:00',
  CDT: '-05:00',
  MST: '-07:00',
  MDT: '-06:00',
  PST: '-08:00',
  PDT: '-07:00',
};

/**
 * An RFC 822 / RFC 1123 date (RSS pubDate) as RFC 3339 with the same offset:
 * 'Wed, 08 Jun 2016 21:03:00 -0700' -> '2016-06-08T21:03:00-07:00'. Undefined when it is not one.
 * The weekday, when present, must be a day name but is not checked against the date.
 */
export function rfc822ToRfc3339(value: string): string | undefined {
  const m =
    /^\s*(?:([A-Za-z]+)\s*,\s*)?(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4}|\d{2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-]\d{4}|[A-Za-z]{1,3})\s*$/.exec(
      value,
    );
  if (m === null) return undefined;
  const [, weekday, dayText, monthText, yearText, hourText, minuteText, secondText, zoneText] = m;
  if (weekday !== undefined && !DAYS.includes(weekday.slice(0, 3).toLowerCase())) return undefined;
  const monthIndex = MONTHS.indexOf((monthText ?? '').slice(0, 3).toLowerCase());
  if (monthIndex < 0) return undefined;
  const shortYear = Number(yearText);
  const year = (yearText ?? '').length === 2 ? (shortYear < 50 ? 2000 + shortYear : 1900 + shortYear) : shortYear;
  const [day, hour, minute, second] = [dayText, hourText, minuteText, secondText ?? '0'].map(Number) as [number, number, number, number];
  if (!isCalendarTime(year, monthIndex + 1, day, hour, minute, second)) return undefined;
  const zone = toRfc3339Offset(zoneText ?? '');
  if (zone === undefined) return undefined;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${String(year).padStart(4, '0')}-${two(monthIndex + 1)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${zone}`;
}

function toRfc3339Offset(zone: string): string | undefined {
  if (/^[+-]\d{4}$/.test(zone)) {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    return `${zone.slice(0, 3)}:${zone.slice(3, 5)}`;
  }
  return NAMED_ZONES[zone.toUpperCase()];
}
