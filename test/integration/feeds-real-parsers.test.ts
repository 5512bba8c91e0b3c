// The feeds as real readers see them: two independent npm parsers (rss-parser, feedsmith) and
// Debian's python3-feedparser (the Universal Feed Parser, used by many readers and planets).
// Without python3-feedparser its part is skipped loudly (and fails under FERRY_TEST_STRICT=1, as in CI).
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import Parser from 'rss-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_PATHS, renderFeeds } from '../../src/core/feeds.ts';
import { isRecord as isObj } from '../../src/core/is-record.ts';
import type { Post } from '../../src/core/model.ts';
import { SAMPLE_CANONICAL, SPECIAL_TITLE, createSampleSite } from '../helpers/sample-site.ts';
import { runChild } from '../helpers/child-process.ts';
import { PYTHON, needSystem } from '../helpers/system-deps.ts';

const CANONICAL = SAMPLE_CANONICAL;
const SITE = createSampleSite();
const FEEDS = renderFeeds(SITE, { canonical: CANONICAL });
const POSTS: readonly Post[] = SITE.posts; // already newest first

function feed(path: string): string {
  const body = FEEDS.get(path);
  if (body === undefined) throw new Error(`no ${path}`);
  return body;
}

const RSS = feed(FEED_PATHS.rss);
const ATOM = feed(FEED_PATHS.atom);
const JSON_FEED = feed(FEED_PATHS.json);

/** What every reader must get for each post, worked out from the post alone. */
interface Expected {
  id: string;
  title: string;
  link: string;
  published: number;
  updated: number;
  /** The sample HTML's root-relative URLs (all written `="/...`) made absolute. */
  html: string;
}

const EXPECTED: Expected[] = POSTS.map((p) => ({
  id: p.id,
  title: p.title,
  link: CANONICAL + p.path.slice(1),
  published: Date.parse(p.published),
  updated: Date.parse(p.updated),
  html: p.html.replaceAll('="/', `="${CANONICAL}`),
}));

const NEWEST_UPDATE = Math.max(...EXPECTED.map((e) => e.updated));

function instant(value: string | undefined): number {
  if (value === undefined) throw new Error('missing date');
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`unparsable date ${value}`);
  return t;
}

/** Text content of HTML, for comparing HTML a parser re-serialized. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The absolute URLs an HTML fragment points at (href/src). */
function urlsOf(html: string): string[] {
  return [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1] ?? '').sort();
}

it('the expectations cover the cases that matter', () => {
  expect(EXPECTED.map((e) => e.title)).toContain(SPECIAL_TITLE);
  expect(EXPECTED.some((e) => /[\u4e00-\u9fff]/.test(e.title))).toBe(true);
  expect(POSTS.map((p) => p.published.slice(-6))).toEqual(expect.arrayContaining(['-07:00', '+08:00']));
  expect(EXPECTED.flatMap((e) => urlsOf(e.html))).toEqual(
    expect.arrayContaining([`${CANONICAL}media/s320/protest-1.png`, `${CANONICAL}2015/12/cccr-remembers-67th-anniversary.html`]),
  );
});

describe('rss-parser', () => {
  const parser = new Parser<
    { lastBuildDate?: string },
    { updated?: string; 'atom:updated'?: string; 'content:encoded'?: string; id?: string }
  >({
    customFields: { item: ['updated', 'atom:updated'] },
  });

  it('reads the RSS feed', async () => {
    const out = await parser.parseString(RSS);
    expect(out.title).toBe(SITE.meta.title);
    expect(out.link).toBe(CANONICAL);
    expect(out.items).toHaveLength(EXPECTED.length);
    out.items.forEach((item, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(item.guid).toBe(want.id);
      expect(item.title).toBe(want.title);
      expect(item.link).toBe(want.link);
      expect(instant(item.isoDate)).toBe(want.published);
      expect(instant(item['atom:updated'])).toBe(want.updated);
      expect(item['content:encoded']).toBe(want.html);
    });
  });

  it('reads the Atom feed', async () => {
    const out = await parser.parseString(ATOM);
    expect(out.title).toBe(SITE.meta.title);
    expect(out.link).toBe(CANONICAL);
    expect(out.feedUrl).toBe(`${CANONICAL}atom.xml`);
    expect(instant(out.lastBuildDate)).toBe(NEWEST_UPDATE);
    expect(out.items).toHaveLength(EXPECTED.length);
    out.items.forEach((item, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(item.id).toBe(want.id);
      expect(item.title).toBe(want.title);
      expect(item.link).toBe(want.link);
      expect(instant(item.isoDate)).toBe(want.published);
      expect(instant(item.updated)).toBe(want.updated);
      expect(item.content).toBe(want.html);
    });
  });
});

describe('feedsmith', () => {
  it('reads the RSS feed', () => {
    const out = parseRssFeed(RSS);
    expect(out.title).toBe(SITE.meta.title);
    expect(out.language).toBe(SITE.meta.language);
    expect(out.atom?.links?.find((l) => l.rel === 'self')?.href).toBe(`${CANONICAL}rss.xml`);
    expect(instant(out.lastBuildDate)).toBe(NEWEST_UPDATE);
    expect(out.generator).toBeUndefined();
    const items = out.items ?? [];
    expect(items).toHaveLength(EXPECTED.length);
    items.forEach((item, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(item.guid).toEqual({ value: want.id, isPermaLink: false });
      expect(item.title).toBe(want.title);
      expect(item.link).toBe(want.link);
      expect(instant(item.pubDate)).toBe(want.published);
      expect(instant(item.atom?.updated)).toBe(want.updated);
      expect(item.content?.encoded).toBe(want.html);
      expect(item.categories?.map((c) => c.name)).toEqual(POSTS[i]?.tags);
    });
  });

  it('reads the Atom feed', () => {
    const out = parseAtomFeed(ATOM);
    expect(out.id).toBe(SITE.meta.id);
    expect(out.title).toEqual({ value: SITE.meta.title });
    expect(out.links?.find((l) => l.rel === 'self')?.href).toBe(`${CANONICAL}atom.xml`);
    expect(instant(out.updated)).toBe(NEWEST_UPDATE);
    const entries = out.entries ?? [];
    expect(entries).toHaveLength(EXPECTED.length);
    entries.forEach((entry, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(entry.id).toBe(want.id);
      expect(entry.title?.value).toBe(want.title);
      expect(entry.title?.type).toBe('text');
      expect(entry.title?.xml?.lang).toBe(POSTS[i]?.language);
      expect(entry.links?.map((l) => l.href)).toEqual([want.link]);
      expect(instant(entry.published)).toBe(want.published);
      expect(instant(entry.updated)).toBe(want.updated);
      expect(entry.content).toMatchObject({ type: 'html', value: want.html });
      expect(entry.authors?.map((a) => a.name)).toEqual(POSTS[i]?.authors);
    });
  });

  it('reads the JSON Feed', () => {
    const raw: unknown = JSON.parse(JSON_FEED);
    const out = parseJsonFeed(raw);
    expect(out.title).toBe(SITE.meta.title);
    expect(out.feed_url).toBe(`${CANONICAL}feed.json`);
    expect(out.home_page_url).toBe(CANONICAL);
    expect(out.language).toBe(SITE.meta.language);
    expect(out.authors).toEqual([{ name: SITE.meta.title }]);
    const items = out.items ?? [];
    expect(items).toHaveLength(EXPECTED.length);
    items.forEach((item, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(item.id).toBe(want.id);
      expect(item.title).toBe(want.title);
      expect(item.url).toBe(want.link);
      expect(instant(item.date_published)).toBe(want.published);
      expect(instant(item.date_modified)).toBe(want.updated);
      expect(item.content_html).toBe(want.html);
      expect(item.authors?.map((a) => a.name)).toEqual(POSTS[i]?.authors);
      expect(item.language).toBe(POSTS[i]?.language);
    });
    // feedsmith does not report the version: read it from the document itself.
    expect(typeof raw === 'object' && raw !== null && 'version' in raw ? raw.version : undefined).toBe('https://jsonfeed.org/version/1.1');
  });
});

// ---------------------------------------------------------------------------------------------
// python3-feedparser (Debian), run with the system interpreter.

const system = needSystem(['python3-feedparser'], 'test/integration/feeds-real-parsers.test.ts (python3-feedparser)');

const FEEDPARSER_SCRIPT = String.raw`
import calendar, json, sys
try:
    import feedparser
except ImportError:
    print("feedparser is not importable by " + sys.executable, file=sys.stderr)
    sys.exit(3)
if len(sys.argv) > 1 and sys.argv[1] == "--version":
    print(feedparser.__version__)
    sys.exit(0)

def ms(t):
    return None if t is None else calendar.timegm(t) * 1000

out = {}
for name, doc in json.load(sys.stdin).items():
    d = feedparser.parse(doc["body"].encode("utf-8"), response_headers={"content-type": doc["type"], "content-location": doc["url"]})
    out[name] = {
        "version": d.get("version", ""),
        "bozo": bool(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "feed": {
            "title": d.feed.get("title", ""),
            "language": d.feed.get("language", ""),
            "updated": ms(d.feed.get("updated_parsed")),
            "self": [l.get("href", "") for l in d.feed.get("links", []) if l.get("rel") == "self"],
        },
        "entries": [
            {
                "id": e.get("id", ""),
                "title": e.get("title", ""),
                "title_type": e.get("title_detail", {}).get("type", ""),
                "link": e.get("link", ""),
                "published": ms(e.get("published_parsed")),
                "updated": ms(e.get("updated_parsed")),
                "content": [c.get("value", "") for c in e.get("content", [])],
                "tags": [t.get("term", "") for t in e.get("tags", [])],
            }
            for e in d.entries
        ],
    }
print(json.dumps(out))
`;

interface FpEntry {
  id: string;
  title: string;
  title_type: string;
  link: string;
  published: number | null;
  updated: number | null;
  content: string[];
  tags: string[];
}

interface FpResult {
  version: string;
  bozo: boolean;
  bozo_exception: string;
  feed: { title: string; language: string; updated: number | null; self: string[] };
  entries: FpEntry[];
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`feedparser output: ${what} is not a string`);
  return v;
}
function strs(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) throw new Error(`feedparser output: ${what} is not an array`);
  return v.map((x, i) => str(x, `${what}[${i}]`));
}
function msOrNull(v: unknown, what: string): number | null {
  if (v === null || typeof v === 'number') return v;
  throw new Error(`feedparser output: ${what} is not a number`);
}

function toFpResult(v: unknown, what: string): FpResult {
  if (!isObj(v) || !isObj(v.feed) || !Array.isArray(v.entries) || typeof v.bozo !== 'boolean') {
    throw new Error(`feedparser output: ${what} has the wrong shape`);
  }
  const f = v.feed;
  return {
    version: str(v.version, 'version'),
    bozo: v.bozo,
    bozo_exception: str(v.bozo_exception, 'bozo_exception'),
    feed: {
      title: str(f.title, 'title'),
      language: str(f.language, 'language'),
      updated: msOrNull(f.updated, 'updated'),
      self: strs(f.self, 'self'),
    },
    entries: v.entries.map((e: unknown, i) => {
      if (!isObj(e)) throw new Error(`feedparser output: ${what} entry ${i} is not an object`);
      return {
        id: str(e.id, 'id'),
        title: str(e.title, 'title'),
        title_type: str(e.title_type, 'title_type'),
        link: str(e.link, 'link'),
        published: msOrNull(e.published, 'published'),
        updated: msOrNull(e.updated, 'updated'),
        content: strs(e.content, 'content'),
        tags: strs(e.tags, 'tags'),
      };
    }),
  };
}

async function runPython(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await runChild(PYTHON, ['-c', FEEDPARSER_SCRIPT, ...args], { timeoutMs: 20_000, input });
  const code = run.code ?? -1;
  return { code, stdout: run.stdout, stderr: run.timedOut ? `no answer within 20 s: ${run.stderr}` : run.stderr };
}

describe.skipIf(system.skip)('python3-feedparser (Debian)', () => {
  let results: Record<'rss' | 'atom', FpResult> | undefined;

  beforeAll(async () => {
    const version = await runPython(['--version'], '');
    if (version.code !== 0) throw new Error(`feedparser --version failed (${version.code}): ${version.stderr.trim()}`);
    const input = JSON.stringify({
      rss: { body: RSS, type: 'application/rss+xml; charset=utf-8', url: `${CANONICAL}rss.xml` },
      atom: { body: ATOM, type: 'application/atom+xml; charset=utf-8', url: `${CANONICAL}atom.xml` },
    });
    const run = await runPython([], input);
    if (run.code !== 0) throw new Error(`feedparser run failed (${run.code}): ${run.stderr}`);
    const parsed: unknown = JSON.parse(run.stdout);
    if (!isObj(parsed)) throw new Error('feedparser output is not an object');
    results = { rss: toFpResult(parsed.rss, 'rss'), atom: toFpResult(parsed.atom, 'atom') };
  });

  function result(name: 'rss' | 'atom'): FpResult {
    if (results === undefined) throw new Error('feedparser results missing: beforeAll failed');
    return results[name];
  }

  it.each([
    ['rss', 'rss20'],
    ['atom', 'atom10'],
  ] as const)('%s: well-formed (strict parser, no bozo), recognised as %s', (name, version) => {
    const r = result(name);
    expect(r.bozo_exception).toBe('');
    expect(r.bozo).toBe(false);
    expect(r.version).toBe(version);
    expect(r.feed.title).toBe(SITE.meta.title);
    expect(r.feed.language).toBe(SITE.meta.language);
    expect(r.feed.self).toEqual([CANONICAL + (name === 'rss' ? 'rss.xml' : 'atom.xml')]);
    // struct_time has whole seconds.
    expect(r.feed.updated).toBe(Math.floor(NEWEST_UPDATE / 1000) * 1000);
  });

  it.each(['rss', 'atom'] as const)('%s: ids, plain-text titles, links, dates, content', (name) => {
    const entries = result(name).entries;
    expect(entries).toHaveLength(EXPECTED.length);
    entries.forEach((e, i) => {
      const want = EXPECTED[i];
      expect(want).toBeDefined();
      if (want === undefined) return;
      expect(e.id).toBe(want.id);
      expect(e.title).toBe(want.title);
      expect(e.title_type).toBe('text/plain');
      expect(e.link).toBe(want.link);
      expect(e.published).toBe(Math.floor(want.published / 1000) * 1000);
      expect(e.updated).toBe(Math.floor(want.updated / 1000) * 1000);
      // feedparser re-serializes (and sanitizes) HTML: compare what it means.
      expect(e.content).toHaveLength(1);
      const html = e.content[0] ?? '';
      expect(urlsOf(html)).toEqual(urlsOf(want.html));
      expect(textOf(html)).toBe(textOf(want.html));
      expect(e.tags).toEqual(POSTS[i]?.tags);
    });
  });
});
