import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FEED_PATHS, FeedError, JSON_FEED_VERSION, absolutizeHtml, renderFeeds, toExcerpt, toXmlChars } from '../../src/core/feeds.ts';
import { isRecord } from '../../src/core/is-record.ts';
import type { Post, Site } from '../../src/core/model.ts';
import {
  SAMPLE_CANONICAL,
  SAMPLE_IDS,
  SPECIAL_TITLE,
  createChinesePost,
  createSamplePost,
  createSampleSite,
  createSpecialPost,
} from '../helpers/sample-site.ts';

const CANONICAL = SAMPLE_CANONICAL;

function feedsOf(site: Site, limit?: number): { rss: string; atom: string; json: string } {
  const out = renderFeeds(site, limit === undefined ? { canonical: CANONICAL } : { canonical: CANONICAL, limit });
  const get = (path: string): string => {
    const text = out.get(path);
    if (text === undefined) throw new Error(`no ${path}`);
    return text;
  };
  return { rss: get(FEED_PATHS.rss), atom: get(FEED_PATHS.atom), json: get(FEED_PATHS.json) };
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name, jpath) => ['item', 'entry', 'category', 'author'].includes(name) || jpath === 'feed.link' || jpath === 'feed.entry.link',
});

function rec(v: unknown, what: string): Record<string, unknown> {
  if (!isRecord(v)) throw new Error(`${what} is not an object`);
  return v;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not an array`);
  return v;
}

/** The element's text whether the parser gave a string or { '#text', '@attr' }. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (isRecord(v) && typeof v['#text'] === 'string') return v['#text'];
  throw new Error(`no text in ${JSON.stringify(v)}`);
}

function atomEntries(atom: string): Record<string, unknown>[] {
  const feed = rec(rec(xml.parse(atom), 'document').feed, 'feed');
  return arr(feed.entry ?? [], 'entries').map((e, i) => rec(e, `entry ${i}`));
}

function rssItems(rss: string): Record<string, unknown>[] {
  const channel = rec(rec(rec(xml.parse(rss), 'document').rss, 'rss').channel, 'channel');
  return arr(channel.item ?? [], 'items').map((e, i) => rec(e, `item ${i}`));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks a parsed document against JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/). */
function jsonFeed11Problems(doc: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, msg: string): void => {
    if (!ok) problems.push(msg);
  };
  if (!isRecord(doc)) return ['top level is not an object'];
  const isUrl = (v: unknown): boolean => typeof v === 'string' && /^https?:\/\/\S+$/.test(v);
  const authorsOk = (v: unknown): boolean =>
    Array.isArray(v) &&
    v.length > 0 &&
    v.every(
      (a) =>
        isRecord(a) &&
        ['name', 'url', 'avatar'].some((k) => typeof a[k] === 'string') &&
        Object.values(a).every((x) => typeof x === 'string'),
    );
  need(doc.version === 'https://jsonfeed.org/version/1.1', 'version must be https://jsonfeed.org/version/1.1');
  need(typeof doc.title === 'string' && doc.title !== '', 'title is required');
  need(doc.home_page_url === undefined || isUrl(doc.home_page_url), 'home_page_url must be a URL');
  need(doc.feed_url === undefined || isUrl(doc.feed_url), 'feed_url must be a URL');
  need(doc.description === undefined || typeof doc.description === 'string', 'description must be a string');
  need(
    doc.language === undefined || (typeof doc.language === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$/.test(doc.language)),
    'language must be a language tag',
  );
  need(doc.authors === undefined || authorsOk(doc.authors), 'authors must be a non-empty array of author objects');
  need(doc.author === undefined, 'author (1.0) is deprecated in 1.1: use authors');
  if (!Array.isArray(doc.items)) return [...problems, 'items must be an array'];
  const ids = new Set<string>();
  doc.items.forEach((item: unknown, i) => {
    if (!isRecord(item)) {
      problems.push(`items[${i}] is not an object`);
      return;
    }
    need(typeof item.id === 'string' && item.id !== '', `items[${i}].id must be a non-empty string`);
    if (typeof item.id === 'string') {
      need(!ids.has(item.id), `items[${i}].id is duplicated`);
      ids.add(item.id);
    }
    need(typeof item.content_html === 'string' || typeof item.content_text === 'string', `items[${i}] needs content_html or content_text`);
    need(item.url === undefined || isUrl(item.url), `items[${i}].url must be a URL`);
    need(item.title === undefined || typeof item.title === 'string', `items[${i}].title must be a string`);
    need(item.summary === undefined || typeof item.summary === 'string', `items[${i}].summary must be a string`);
    for (const k of ['date_published', 'date_modified']) {
      const v = item[k];
      need(v === undefined || (typeof v === 'string' && RFC3339.test(v)), `items[${i}].${k} must be RFC 3339`);
    }
    need(item.authors === undefined || authorsOk(item.authors), `items[${i}].authors must be author objects`);
    need(item.author === undefined, `items[${i}].author (1.0) is deprecated in 1.1`);
    need(
      item.tags === undefined || (Array.isArray(item.tags) && item.tags.every((t) => typeof t === 'string')),
      `items[${i}].tags must be strings`,
    );
    need(item.language === undefined || typeof item.language === 'string', `items[${i}].language must be a string`);
  });
  return problems;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('renderFeeds', () => {
  it('renders exactly the three feed paths', () => {
    expect([...renderFeeds(createSampleSite(), { canonical: CANONICAL }).keys()].sort()).toEqual(['/atom.xml', '/feed.json', '/rss.xml']);
  });

  it('is deterministic and never reads the clock', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2001-02-03T04:05:06Z'));
    const first = renderFeeds(createSampleSite(), { canonical: CANONICAL });
    vi.setSystemTime(new Date('2039-08-09T10:11:12Z'));
    const second = renderFeeds(createSampleSite(), { canonical: CANONICAL });
    expect([...second.entries()]).toEqual([...first.entries()]);
    for (const body of first.values()) {
      expect(body).not.toMatch(/2001|2039|Feb 2001|Aug 2039/);
      expect(body).not.toContain('jpmonette');
      expect(body).not.toContain('<generator');
    }
  });

  it('writes well-formed XML whatever the strings hold', () => {
    const site = createSampleSite({
      meta: { title: 'Blog \u0001 & <co>', subtitle: 'a ]]> b &amp; c' },
      posts: [
        createSpecialPost({ html: '<p>raw ]]> and ]]> twice</p>', title: 'ctl\u0007char \uD800lone' }),
        createSamplePost({ id: 'my-markdown-post', tags: ['x"y', "it's"], authors: ['A & B <ab@example.org>'] }),
      ],
    });
    const { rss, atom, json } = feedsOf(site);
    expect(XMLValidator.validate(rss)).toBe(true);
    expect(XMLValidator.validate(atom)).toBe(true);
    const items = rssItems(rss);
    const entries = atomEntries(atom);
    // Sorted newest first: the Markdown-style post (2016) before the special one (2015).
    expect(text(entries[0]?.id)).toBe('my-markdown-post');
    expect(text(items[0]?.guid)).toBe('my-markdown-post');
    expect(text(entries[1]?.title)).toBe('ctlchar lone');
    // Two `]]>` survive CDATA intact (xml-js alone splits only the first).
    const content = xml.parse(atom);
    expect(JSON.stringify(content)).toContain('raw ]]> and ]]> twice');
    expect(text(items[1]?.['content:encoded'])).toBe('<p>raw ]]> and ]]> twice</p>');
    const parsed: unknown = JSON.parse(json);
    expect(jsonFeed11Problems(parsed)).toEqual([]);
    expect(rec(parsed, 'json').title).toBe('Blog  & <co>');
  });

  it('keeps a literal &amp; in a title (xml-js alone would turn it into &)', () => {
    const { rss, atom } = feedsOf(createSampleSite());
    expect(atom).toContain('&amp;amp; more');
    expect(rss).toContain('&amp;amp; more');
    const entries = atomEntries(atom);
    expect(text(entries[2]?.title)).toBe(SPECIAL_TITLE);
    expect(text(rssItems(rss)[2]?.title)).toBe(SPECIAL_TITLE);
  });
});

describe('Atom', () => {
  const { atom } = feedsOf(createSampleSite());

  it('marks titles as plain text, with the post language', () => {
    expect(atom).not.toContain('type="html"><![CDATA[27th');
    expect(atom).toContain('<title type="text" xml:lang="zh">朴日: 拆除中国网络防火墙</title>');
    expect(atom).toContain(
      `<title type="text" xml:lang="en">Rights &amp; &quot;Freedom&quot; &lt;Now&gt;: it's 'time' ]]&gt; &amp;amp; more</title>`,
    );
    expect(atom).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom" xml:lang="zh">/);
  });

  it('uses origin ids, canonical links, and UTC dates of the same instant', () => {
    const posts = [createSamplePost(), createChinesePost(), createSpecialPost()];
    const entries = atomEntries(atom);
    expect(entries.map((e) => text(e.id))).toEqual([SAMPLE_IDS.english, SAMPLE_IDS.chinese, SAMPLE_IDS.special]);
    entries.forEach((e, i) => {
      const post = posts[i];
      if (post === undefined) throw new Error('missing post');
      expect(Date.parse(text(e.published))).toBe(Date.parse(post.published));
      expect(Date.parse(text(e.updated))).toBe(Date.parse(post.updated));
      const links = arr(e.link, 'link').map((l) => rec(l, 'link')['@href']);
      expect(links).toEqual([CANONICAL + post.path.slice(1)]);
    });
  });

  it('takes the feed updated from the data: the latest post update, not the build', () => {
    const feed = rec(rec(xml.parse(atom), 'doc').feed, 'feed');
    // The Chinese post is older but was updated last.
    expect(text(feed.updated)).toBe(new Date('2016-06-10T09:30:00.000+08:00').toISOString());
    const links = arr(feed.link, 'links').map((l) => rec(l, 'link'));
    expect(links).toContainEqual({ '@rel': 'self', '@href': `${CANONICAL}atom.xml` });
    expect(links).toContainEqual({ '@rel': 'alternate', '@href': CANONICAL });
    expect(text(feed.id)).toBe('tag:blogger.com,1999:blog-4409253621830214786');
  });

  it('gives entries without authors the feed author', () => {
    const { atom: noAuthors } = feedsOf(createSampleSite({ posts: [createSamplePost({ authors: [] })] }));
    const entry = atomEntries(noAuthors)[0];
    expect(entry?.author).toBeUndefined();
    expect(noAuthors).toMatch(/<feed[^>]*>\s*<id>[^<]*<\/id>\s*<title>[^<]*<\/title>\s*<updated>[^<]*<\/updated>\s*<author>/);
  });
});

describe('RSS', () => {
  const { rss } = feedsOf(createSampleSite());

  it('uses origin ids as guid isPermaLink="false" and escaped text titles', () => {
    expect(rss).toContain(`<guid isPermaLink="false">${SAMPLE_IDS.english}</guid>`);
    expect(rss).toContain(`<title>Rights &amp; &quot;Freedom&quot; &lt;Now&gt;: it's 'time' ]]&gt; &amp;amp; more</title>`);
    expect(rss).not.toMatch(/<title><!\[CDATA\[/);
  });

  it('has a self link, language and a lastBuildDate from the data', () => {
    expect(rss).toContain(`<atom:link href="${CANONICAL}rss.xml" rel="self" type="application/rss+xml"/>`);
    expect(rss).toContain('<language>zh</language>');
    expect(rss).toContain('<lastBuildDate>Fri, 10 Jun 2016 01:30:00 GMT</lastBuildDate>');
  });

  it('dates every item: pubDate and atom:updated', () => {
    const posts = [createSamplePost(), createChinesePost(), createSpecialPost()];
    rssItems(rss).forEach((item, i) => {
      const post = posts[i];
      if (post === undefined) throw new Error('missing post');
      expect(Date.parse(text(item.pubDate))).toBe(Date.parse(post.published));
      expect(Date.parse(text(item['atom:updated']))).toBe(Date.parse(post.updated));
      expect(text(item.link)).toBe(CANONICAL + post.path.slice(1));
    });
  });

  it('carries full HTML in content:encoded and an excerpt in description', () => {
    const item = rssItems(rss)[0];
    expect(text(item?.['content:encoded'])).toContain(`<img src="${CANONICAL}media/s320/protest-1.png"`);
    expect(text(item?.description)).toBe(
      'On June 7, 2016, a meeting was held in Flushing, New York &amp; online. See also last year and HRW.',
    );
    expect(text(item?.['dc:creator'])).toBe('Coalition for Citizens Rights');
  });
});

describe('JSON Feed', () => {
  const { json } = feedsOf(createSampleSite());
  const doc = rec(JSON.parse(json), 'json feed');

  it('is valid JSON Feed 1.1', () => {
    expect(jsonFeed11Problems(doc)).toEqual([]);
    expect(doc.version).toBe(JSON_FEED_VERSION);
    expect(doc.feed_url).toBe(`${CANONICAL}feed.json`);
    expect(doc.home_page_url).toBe(CANONICAL);
    expect(doc.language).toBe('zh');
  });

  it('keeps the posts own offsets and ids', () => {
    const items = arr(doc.items, 'items').map((x) => rec(x, 'item'));
    expect(items.map((x) => x.id)).toEqual([SAMPLE_IDS.english, SAMPLE_IDS.chinese, SAMPLE_IDS.special]);
    expect(items[1]?.date_published).toBe('2016-05-20T12:03:00.000+08:00');
    expect(items[0]?.date_modified).toBe('2016-06-08T21:10:31.123-07:00');
    expect(items[2]?.title).toBe(SPECIAL_TITLE);
    expect(items[1]?.authors).toEqual([{ name: '朴日' }]);
    expect(items[1]?.language).toBe('zh');
  });

  it('the validator itself catches 1.0 feeds and bad items', () => {
    expect(
      jsonFeed11Problems({
        version: 'https://jsonfeed.org/version/1',
        title: 't',
        author: { name: 'x' },
        items: [{ id: 'a' }, { id: 'a', content_text: '', date_published: 'yesterday' }],
      }),
    ).toEqual([
      'version must be https://jsonfeed.org/version/1.1',
      'author (1.0) is deprecated in 1.1: use authors',
      'items[0] needs content_html or content_text',
      'items[1].id is duplicated',
      'items[1].date_published must be RFC 3339',
    ]);
  });
});

describe('limits, order and errors', () => {
  const many = (n: number): Post[] =>
    Array.from({ length: n }, (_, i) =>
      createSamplePost({
        id: `tag:example.org,2020:post-${i}`,
        path: `/2020/01/post-${i}.html`,
        published: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
        updated: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
      }),
    );

  it('keeps the newest 50 by default, or the given limit, newest first', () => {
    const site = createSampleSite({ posts: many(60) });
    const items = rssItems(feedsOf(site).rss);
    expect(items).toHaveLength(50);
    expect(text(items[0]?.guid)).toBe('tag:example.org,2020:post-59');
    const two = atomEntries(feedsOf(site, 2).atom);
    expect(two.map((e) => text(e.id))).toEqual(['tag:example.org,2020:post-59', 'tag:example.org,2020:post-58']);
  });

  it('renders an empty site with a fixed updated date', () => {
    const { rss, atom, json } = feedsOf(createSampleSite({ posts: [] }));
    expect(atom).toContain('<updated>1970-01-01T00:00:00.000Z</updated>');
    expect(rss).toContain('<lastBuildDate>Thu, 01 Jan 1970 00:00:00 GMT</lastBuildDate>');
    expect(jsonFeed11Problems(JSON.parse(json))).toEqual([]);
  });

  it.each([
    ['https://blog.example.org', 'ending with'],
    ['ftp://blog.example.org/', 'http(s)'],
    ['https://blog.example.org/?a=1/', 'without query'],
    ['/relative/', 'absolute'],
  ])('rejects canonical %s', (canonical, message) => {
    expect(() => renderFeeds(createSampleSite(), { canonical })).toThrow(message);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects limit %s', (limit) => {
    expect(() => renderFeeds(createSampleSite(), { canonical: CANONICAL, limit })).toThrow(FeedError);
  });

  it('names the post with an invalid date', () => {
    const site = createSampleSite({ posts: [createSamplePost({ id: 'tag:x,2020:bad', updated: 'yesterday' })] });
    expect(() => renderFeeds(site, { canonical: CANONICAL })).toThrow(/tag:x,2020:bad.*updated.*yesterday/);
  });

  it('accepts a canonical base with a path', () => {
    const out = renderFeeds(createSampleSite(), { canonical: 'https://mirror.example.net/blog/' }).get(FEED_PATHS.json) ?? '';
    expect(out).toContain('"url": "https://mirror.example.net/blog/2016/06/27th-anniversary-of-tiananmen-square.html"');
    expect(out).toContain('src=\\"https://mirror.example.net/blog/media/s320/protest-1.png\\"');
  });
});

describe('absolutizeHtml', () => {
  const page = `${CANONICAL}2016/06/post.html`;
  it.each([
    ['<img src="/media/a.png">', `<img src="${CANONICAL}media/a.png">`],
    ['<a href="/2016/06/x.html?a=1&amp;b=2#c">x</a>', `<a href="${CANONICAL}2016/06/x.html?a=1&amp;b=2#c">x</a>`],
    ['<a href="other.html">x</a>', `<a href="${CANONICAL}2016/06/other.html">x</a>`],
    ['<a href="../../../../up.html">x</a>', `<a href="${CANONICAL}up.html">x</a>`],
    ['<a href="./a/../b/">x</a>', `<a href="${CANONICAL}2016/06/b/">x</a>`],
    ['<a href="#top">x</a>', `<a href="${page}#top">x</a>`],
    ['<a href="//cdn.example.com/x.png">x</a>', '<a href="https://cdn.example.com/x.png">x</a>'],
    ['<a href="https://example.com/x">x</a>', '<a href="https://example.com/x">x</a>'],
    ['<a href="mailto:a@example.org">x</a>', '<a href="mailto:a@example.org">x</a>'],
    ["<img src='/a.png' alt='/b.png' />", `<img src="${CANONICAL}a.png" alt='/b.png' />`],
    ['<img srcset="/a.png 1x, /b.png 2x">', `<img srcset="${CANONICAL}a.png 1x, ${CANONICAL}b.png 2x">`],
    ['<p>write href="/x" in text</p>', '<p>write href="/x" in text</p>'],
    ['<p title="/x">t</p>', '<p title="/x">t</p>'],
  ])('%s', (input, expected) => {
    expect(absolutizeHtml(input, CANONICAL, page)).toBe(expected);
  });
});

describe('toExcerpt and toXmlChars', () => {
  it.each([
    ['<p>a &amp; b</p><p>c&#39;s &#x4e2d; &lt;x&gt;</p>', 100, "a & b c's 中 <x>"],
    ['<p>中国的网络防火墙</p>', 4, '中国的…'],
    ['<p>one two three</p>', 8, 'one two…'],
    ['<br>  <br/>', 10, ''],
  ])('%s -> %s', (html, max, expected) => {
    expect(toExcerpt(html, max)).toBe(expected);
  });

  it('drops characters XML 1.0 cannot carry but keeps astral ones', () => {
    expect(toXmlChars('a\u0000b\u0008c\td\ne\rf\uFFFEg\uD83D\uDE00h\uDC00i')).toBe('abc\td\ne\rfg\uD83D\uDE00hi');
  });
});
