import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildSnapshotFiles } from '../../src/core/build.ts';
import { isSafeSnapshotPath } from '../../src/core/manifest.ts';
import type { MirrorRef, Post, Site } from '../../src/core/model.ts';
import { RenderError, labelPath, renderPages, type RenderOptions } from '../../src/core/render.ts';
import { excerptOf, htmlToText, toLocalDate } from '../../src/core/render-text.ts';
import { REGISTER_SCRIPT } from '../../src/core/render-html.ts';

const CANONICAL = 'https://mirror-a.example.org/';
const FEEDS = ['/atom.xml', '/rss.xml', '/feed.json'];
/** Pages shown at any address (the 404 page, the worker's offline page): absolute links, nothing loaded, no script. */
const ANY_ADDRESS = ['/404.html', '/offline.html'];
/** The build takes the worker's bundled code as a parameter (src/node/service-worker-bundle.ts); its text does not matter here. */
const WORKER = { code: '/* the readers’ service worker */', publicKey: new Uint8Array(32).fill(7) };

/**
 * The page without its one script, the service worker's registration (exactly once, naming sw.js
 * relative to the page, in every page but those shown at any address, which have none).
 */
function withoutRegistration(path: string, text: string): string {
  const tag = `<script data-sw="${'../'.repeat(path.split('/').length - 2)}sw.js">${REGISTER_SCRIPT}</script>\n`;
  const count = text.split(tag).length - 1;
  expect(count, path).toBe(!path.endsWith('.html') || ANY_ADDRESS.includes(path) ? 0 : 1);
  return text.replace(tag, '');
}

const MIRRORS: MirrorRef[] = [
  { id: 'gh-pages', kind: 'http', url: 'https://ferry.github.io/blog/', priority: 2 },
  { id: 'cf', kind: 'kv', url: 'https://mirror-a.example.org/', priority: 1 },
  { id: 'local', kind: 'directory', url: 'javascript:alert(1)', priority: 3 },
  { id: '<b>evil</b>', kind: 'http', url: 'https://x.example/?a=1&b=2', priority: 4 },
  { id: 'quote', kind: 'http', url: 'https://q.example/"><script>x()</script>', priority: 5 },
];

function makePost(i: number, over: Partial<Post> = {}): Post {
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, '0');
  return {
    id: `post-${String(i).padStart(3, '0')}`,
    slug: `post-${i}`,
    path: `/2016/${month}/post-${i}.html`,
    title: `Post number ${i}`,
    published: `2016-${month}-${day}T10:00:00.000-07:00`,
    updated: `2016-${month}-${day}T10:00:00.000-07:00`,
    authors: ['CCCR'],
    tags: i % 2 === 0 ? ['even', 'Human Rights'] : ['odd'],
    language: 'en',
    html: `<p>Body of post ${i}.</p>`,
    originUrl: `http://gongminziyoulianmeng.blogspot.com/2016/${month}/post-${i}.html`,
    contentHash: '0'.repeat(64),
    ...over,
  };
}

function makeSite(posts: Post[], subtitle = 'Who we are.'): Site {
  return {
    meta: {
      id: 'tag:blogger.com,1999:blog-1',
      title: '公民自由联盟 Coalition for Citizens Rights',
      subtitle,
      originUrl: 'http://gongminziyoulianmeng.blogspot.com/',
      language: 'en',
    },
    posts,
  };
}

const OPTS: RenderOptions = {
  canonical: CANONICAL,
  mirrors: MIRRORS,
  ipfsCid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
};

function decodeAttr(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** Every href/src value of a page, decoded from HTML. */
function urlsOf(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => decodeAttr(m[1] ?? ''));
}

/** Where a page's links are resolved in these tests: the snapshot under a sub-path. */
const ROOT = 'https://host.example/some/root/';

/**
 * The snapshot path a link of the page at `from` reaches, resolved the way a browser does with the
 * snapshot under ROOT (a directory as its index.html); undefined when it leaves the snapshot.
 */
function targetOf(from: string, url: string): string | undefined {
  const page = new URL(encodeURI(from.slice(1)), ROOT);
  const resolved = url.startsWith(CANONICAL) ? new URL(url.slice(CANONICAL.length), ROOT) : new URL(url, page);
  if (!resolved.href.startsWith(ROOT)) return undefined;
  const path = `/${decodeURIComponent(resolved.pathname.slice(new URL(ROOT).pathname.length))}`;
  return path.endsWith('/') ? `${path}index.html` : path;
}

/** Links to this site that do not resolve to a file in the map (or a feed built beside it). */
function brokenLinks(files: Map<string, string>): string[] {
  const broken: string[] = [];
  for (const [path, text] of files) {
    if (!path.endsWith('.html')) continue;
    for (const url of urlsOf(text)) {
      if (/^[a-z]+:/i.test(url) && !url.startsWith(CANONICAL)) continue;
      const target = targetOf(path, url);
      if (target === undefined || (!files.has(target) && !FEEDS.includes(target))) broken.push(`${path} -> ${url}`);
    }
  }
  return broken;
}

function postHrefs(html: string): string[] {
  return [...html.matchAll(/<h2><a href="([^"]+)">/g)].map((m) => m[1] ?? '');
}

describe('renderPages', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('paginates 23 posts: the newest 10 in front, archive pages numbered from the oldest', () => {
    const posts = Array.from({ length: 23 }, (_, i) => makePost(i));
    const files = renderPages(makeSite(posts), { ...OPTS, pageSize: 10 });
    const pages = ['/page/1.html', '/page/2.html', '/page/3.html'];
    for (const p of ['/index.html', ...pages]) expect(files.has(p), p).toBe(true);
    expect(files.has('/page/4.html')).toBe(false);

    const front = files.get('/index.html') ?? '';
    const [p1 = '', p2 = '', p3 = ''] = pages.map((p) => files.get(p) ?? '');
    // makePost dates grow with i: post 22 is the newest.
    // Links relative to each page: /index.html is at the root, /page/N.html one level down.
    const listed = (from: number, to?: number): string[] =>
      posts
        .slice(from, to)
        .map((p) => p.path.slice(1))
        .reverse();
    expect(postHrefs(front)).toEqual(listed(13));
    expect(postHrefs(p1)).toEqual(listed(0, 10).map((h) => `../${h}`));
    expect(postHrefs(p2)).toEqual(listed(10, 20).map((h) => `../${h}`));
    expect(postHrefs(p3)).toEqual(listed(20).map((h) => `../${h}`));

    // "Older" from the front goes to the page holding the first post not shown (post 12: page 2).
    expect(front).not.toMatch(/rel="prev"/);
    expect(front).toContain('<a rel="next" href="page/2.html">');
    expect(front).toContain('<link rel="next" href="page/2.html">');
    expect(p3).toContain('<a rel="prev" href="../index.html">');
    expect(p3).toContain('<link rel="prev" href="../index.html">');
    expect(p3).toContain('<a rel="next" href="2.html">');
    expect(p2).toContain('<a rel="prev" href="3.html">');
    expect(p2).toContain('<a rel="next" href="1.html">');
    expect(p1).not.toMatch(/rel="next"/);
    expect(brokenLinks(files)).toEqual([]);
  });

  it('a new post changes the front page and the newest archive page, no older one', () => {
    const posts = Array.from({ length: 25 }, (_, i) => makePost(i));
    const before = renderPages(makeSite(posts.slice(0, 24)), { ...OPTS, pageSize: 10 });
    const after = renderPages(makeSite(posts), { ...OPTS, pageSize: 10 });
    const changed = [...after.keys()].filter((p) => /^\/(index|page\/\d+)\.html$/.test(p) && before.get(p) !== after.get(p));
    expect(changed.sort()).toEqual(['/index.html', '/page/3.html']);
  });

  it('renders one index page without a pager for a few posts, and an empty site', () => {
    const few = renderPages(makeSite([makePost(1), makePost(2)]), OPTS);
    expect(few.has('/page/2.html')).toBe(false);
    expect(few.get('/index.html')).not.toContain('class="pager"');
    const empty = renderPages(makeSite([]), OPTS);
    expect(empty.get('/index.html')).toContain('No posts yet.');
    expect([...empty.keys()]).toEqual([
      '/404.html',
      '/about.html',
      '/archive.html',
      '/favicon.svg',
      '/index.html',
      '/mirrors.html',
      '/offline.html',
      '/style.css',
    ]);
    expect(brokenLinks(empty)).toEqual([]);
  });

  it('marks each post page with its own language and falls back to the site language', () => {
    const zh = makePost(1, { language: 'zh-Hans', title: '朴日: 拆除中国网络防火墙' });
    const en = makePost(2, { language: 'en' });
    const bad = makePost(3, { language: 'x" onload="1' });
    const files = renderPages(makeSite([zh, en, bad]), OPTS);
    expect(files.get(zh.path)).toContain('<html lang="zh-Hans">');
    expect(files.get(zh.path)).toContain('<h1>朴日: 拆除中国网络防火墙</h1>');
    expect(files.get(en.path)).toContain('<html lang="en">');
    expect(files.get(bad.path)).toContain('<html lang="en">');
    expect(files.get('/index.html')).toContain('<li lang="zh-Hans"><h2>');
  });

  it('puts a canonical link to CANONICAL + path on every page but 404 and offline, percent-encoded, indexes as directories', () => {
    const files = renderPages(makeSite([makePost(1, { tags: ['人权'] })]), OPTS);
    for (const [path, text] of files) {
      if (!path.endsWith('.html')) continue;
      const links = [...text.matchAll(/<link rel="canonical" href="([^"]*)">/g)].map((m) => m[1]);
      const expected = ANY_ADDRESS.includes(path) ? [] : [CANONICAL + encodeURI(path.slice(1).replace(/(^|\/)index\.html$/, '$1'))];
      expect(links, path).toEqual(expected);
    }
    expect(files.get('/index.html')).toContain(`<link rel="canonical" href="${CANONICAL}">`);
    expect(files.get('/2016/01/index.html')).toContain(`<link rel="canonical" href="${CANONICAL}2016/01/">`);
    expect(files.get('/labels/人权.html')).toContain(
      '<link rel="canonical" href="https://mirror-a.example.org/labels/%E4%BA%BA%E6%9D%83.html">',
    );
  });

  it('escapes a hostile title, label, subtitle and mirror and keeps labels on safe paths', () => {
    const post = makePost(1, {
      title: '<script>alert(1)</script>',
      tags: ['a/../b', '"><img src=x onerror=alert(1)>'],
      authors: ['<b onclick="x()">Mallory</b>'],
    });
    const files = renderPages(makeSite([post], '<script>alert(2)</script>\n\nSecond & last'), OPTS);
    const page = files.get(post.path) ?? '';
    expect(page).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(page).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt; · ');
    expect(page).toContain('&lt;b onclick=&quot;x()&quot;&gt;Mallory&lt;/b&gt;');
    expect(labelPath('a/../b')).toBe('/labels/a-b.html');
    expect(page).toContain('<a href="../../labels/a-b.html" rel="tag">a/../b</a>');
    const imgLabel = labelPath('"><img src=x onerror=alert(1)>');
    expect(isSafeSnapshotPath(imgLabel)).toBe(true);
    expect(imgLabel).toBe('/labels/img-src-x-onerror-alert-1.html');
    expect(files.get(imgLabel)).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(files.get('/about.html')).toContain('<p>&lt;script&gt;alert(2)&lt;/script&gt;</p>\n<p>Second &amp; last</p>');
    const mirrors = files.get('/mirrors.html') ?? '';
    expect(mirrors).toContain('<strong>&lt;b&gt;evil&lt;/b&gt;</strong>');
    expect(mirrors).toContain('<a href="https://x.example/?a=1&amp;b=2" rel="noreferrer">');
    expect(mirrors).toContain('<code>https://q.example/&quot;&gt;&lt;script&gt;x()&lt;/script&gt;</code>');
    for (const [path, page] of files) {
      const text = withoutRegistration(path, page);
      expect(text, path).not.toMatch(/<script/i);
      expect(text, path).not.toMatch(/<style/i);
      // The hostile text itself contains " onerror=" as escaped text; no real tag may carry it.
      for (const [tag] of text.matchAll(/<[a-zA-Z][^>]*>/g)) {
        expect(tag, path).not.toMatch(/\son\w+\s*=|\sstyle\s*=|javascript:/i);
      }
    }
  });

  it('files posts under the month of their own offset and lists months with counts', () => {
    const june = makePost(1, {
      path: '/2016/06/a.html',
      published: '2016-06-08T21:03:00.000-07:00',
      updated: '2016-06-08T21:03:00.000-07:00',
    });
    const juneToo = makePost(2, { path: '/2016/06/b.html', published: '2016-06-30T23:59:59Z', updated: '2016-06-30T23:59:59Z' });
    const july = makePost(3, { path: '/2016/07/c.html', published: '2016-07-01T00:30:00+08:00', updated: '2016-07-01T00:30:00+08:00' });
    const old = makePost(4, {
      path: '/2015/12/d.html',
      published: '2015-12-11T21:03:00.000-07:00',
      updated: '2015-12-11T21:03:00.000-07:00',
    });
    const files = renderPages(makeSite([june, juneToo, july, old]), OPTS);
    expect(files.get(june.path)).toContain('<time datetime="2016-06-08T21:03:00.000-07:00">2016-06-08</time>');
    const juneIndex = files.get('/2016/06/index.html') ?? '';
    expect(postHrefs(juneIndex)).toEqual(['b.html', 'a.html']);
    expect(juneIndex).toContain('<h1>2016年6月 · June 2016</h1>');
    expect(juneIndex).toContain('<a href="../../archive.html">');
    expect(postHrefs(files.get('/2016/07/index.html') ?? '')).toEqual(['c.html']);
    expect(postHrefs(files.get('/2015/12/index.html') ?? '')).toEqual(['d.html']);
    expect([...files.keys()].filter((k) => /^\/\d{4}\/\d{2}\/index\.html$/.test(k))).toEqual([
      '/2015/12/index.html',
      '/2016/06/index.html',
      '/2016/07/index.html',
    ]);
    const archive = files.get('/archive.html') ?? '';
    expect(archive).toContain('<a href="2016/06/index.html">2016年6月 · June 2016</a> <span class="count">(2)</span>');
    expect(archive).toContain('<a href="2016/07/index.html">2016年7月 · July 2016</a> <span class="count">(1)</span>');
    expect(archive.indexOf('"2016/07/')).toBeLessThan(archive.indexOf('"2016/06/'));
    expect(archive.indexOf('<h2>2016</h2>')).toBeLessThan(archive.indexOf('<h2>2015</h2>'));
  });

  it('shows the updated date only when it falls on another day', () => {
    const same = makePost(1, { published: '2016-06-08T10:00:00-07:00', updated: '2016-06-08T18:00:00-07:00' });
    const later = makePost(2, {
      path: '/2016/06/later.html',
      published: '2016-06-08T10:00:00-07:00',
      updated: '2017-01-02T03:04:05+08:00',
    });
    const files = renderPages(makeSite([same, later]), OPTS);
    expect(files.get(same.path)).not.toContain('Updated');
    expect(files.get(later.path)).toContain('更新于 Updated <time datetime="2017-01-02T03:04:05+08:00">2017-01-02</time>');
    expect(files.get(later.path)).toContain('作者 By CCCR');
  });

  it('renders a page for every label, sharing pages between labels that differ only in case', () => {
    const a = makePost(1, { tags: ['Human Rights', '人权'] });
    const b = makePost(2, { path: '/2016/01/b.html', tags: ['human rights', 'Internet Freedom'] });
    const files = renderPages(makeSite([a, b]), OPTS);
    expect(labelPath('Human Rights')).toBe('/labels/human-rights.html');
    expect(labelPath('human rights')).toBe('/labels/human-rights.html');
    expect(labelPath('人权')).toBe('/labels/人权.html');
    const up = (p: string): string => `..${p}`;
    expect(postHrefs(files.get('/labels/human-rights.html') ?? '').sort()).toEqual([up(a.path), up(b.path)].sort());
    expect(files.get('/labels/human-rights.html')).toContain('Human Rights / human rights');
    expect(files.get('/labels/human-rights.html')).toContain('<a href="../archive.html">');
    expect(postHrefs(files.get('/labels/人权.html') ?? '')).toEqual([up(a.path)]);
    expect(postHrefs(files.get('/labels/internet-freedom.html') ?? '')).toEqual([up(b.path)]);
    expect(files.get(a.path)).toContain('<a href="../../labels/%E4%BA%BA%E6%9D%83.html" rel="tag">人权</a>');
    expect(files.get('/archive.html')).toContain(
      '<a href="labels/human-rights.html" rel="tag">Human Rights / human rights</a> <span class="count">(2)</span>',
    );
    expect(files.get('/archive.html')).toContain('<a href="labels/%E4%BA%BA%E6%9D%83.html" rel="tag">人权</a>');
    expect([...files.keys()].filter((k) => k.startsWith('/labels/'))).toHaveLength(3);
    expect(brokenLinks(files)).toEqual([]);
  });

  it('gives labels stable, safe, distinct paths', () => {
    const cases = ['', '...', '../..', '人权 / Human Rights', 'x'.repeat(200), 'x'.repeat(201), 'café', 'cafe\u0301', 'Ünïcødé'];
    const paths = cases.map(labelPath);
    for (const p of paths) {
      expect(isSafeSnapshotPath(p), p).toBe(true);
      expect(p).toMatch(/^\/labels\/[^/]+\.html$/);
    }
    expect(labelPath('...')).toMatch(/^\/labels\/label-[0-9a-f]{10}\.html$/);
    expect(labelPath('...')).not.toBe(labelPath('../..'));
    expect(labelPath('x'.repeat(200))).not.toBe(labelPath('x'.repeat(201)));
    expect(labelPath('café')).toBe(labelPath('cafe\u0301')); // NFC
    expect(labelPath('人权 / Human Rights')).toBe('/labels/人权-human-rights.html');
    expect(labelPath('Ünïcødé')).toBe('/labels/ünïcødé.html');
  });

  it('is deterministic: same bytes whatever the input order, clock or time zone, keys sorted', () => {
    const posts = Array.from({ length: 15 }, (_, i) => makePost(i, { tags: [`t${i % 4}`, 'shared'] }));
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2020-01-01T00:00:00Z'));
    const first = renderPages(makeSite(posts), OPTS);
    vi.setSystemTime(new Date('2031-07-15T12:00:00Z'));
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    const second = renderPages(makeSite([...posts].reverse()), { ...OPTS, mirrors: [...MIRRORS].reverse() });
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    expect([...second.entries()]).toEqual([...first.entries()]);
    const keys = [...first.keys()];
    expect(keys).toEqual([...keys].sort());
    for (const text of first.values()) expect(text).not.toMatch(/2020|2031/);
  });

  it('links only to pages in the map, relative to each page; loads only its own resources; links outside only to mirrors', () => {
    const posts = Array.from({ length: 23 }, (_, i) =>
      makePost(i, {
        tags: ['a/../b', '人权', `t${i % 3}`],
        html: `<p><a href="/2016/01/post-${(i + 1) % 23}.html#c1">next</a> <img src="/media/x.png" alt=""></p>`,
      }),
    );
    const files = renderPages(makeSite(posts), { ...OPTS, pageSize: 4 });
    expect(brokenLinks(files).filter((l) => !l.endsWith('/media/x.png'))).toEqual([]);
    for (const [path, text] of files) {
      expect(withoutRegistration(path, text), path).not.toMatch(/<script|\son\w+=|style=|<style/i);
    }
    const mirrorUrls = MIRRORS.map((m) => m.url);
    for (const [path, text] of files) {
      if (!path.endsWith('.html')) continue;
      for (const url of urlsOf(text)) {
        // No page links to a site path: it would miss under /blog/ or /ipfs/<cid>/.
        expect(url.startsWith('/'), `${path}: ${url}`).toBe(false);
        if (!/^[a-z]+:/i.test(url)) continue;
        // Absolute: rel=canonical, the 404 page's links (to the canonical mirror) and mirror addresses.
        const allowed =
          text.includes(`<link rel="canonical" href="${url}">`) ||
          (ANY_ADDRESS.includes(path) && url.startsWith(CANONICAL)) ||
          ((path === '/mirrors.html' || ANY_ADDRESS.includes(path)) && mirrorUrls.includes(url)) ||
          (path === '/mirrors.html' && url === CANONICAL);
        expect(allowed, `${path}: ${url}`).toBe(true);
      }
    }
    const outside = urlsOf(files.get('/mirrors.html') ?? '').filter((u) => /^[a-z]+:/i.test(u) && !u.startsWith(CANONICAL));
    expect(outside.sort()).toEqual(['https://ferry.github.io/blog/', 'https://x.example/?a=1&b=2']);
  });

  it('mirrors.html gives every way in: the canonical with its QR code, mirrors, onion, IPFS through each gateway, feeds', () => {
    const cid = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
    const page =
      renderPages(makeSite([]), {
        canonical: CANONICAL,
        mirrors: MIRRORS,
        ipfsCid: cid,
        ipfsGateways: ['https://gw.example/', 'https://ipfs.example.net'],
        onion: 'http://ferryexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion/',
      }).get('/mirrors.html') ?? '';
    const main = page.slice(page.indexOf('<h1>'));
    const order = [
      '<h2>本站主地址',
      '<figure class="qr"',
      '<ul class="mirror-list">',
      '<h2>Tor',
      `ipfs://${cid}`,
      'https://gw.example/ipfs/',
      'type="application/atom+xml"',
    ].map((s) => main.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page).toContain(`<a href="https://ipfs.example.net/ipfs/${cid}/" rel="noreferrer">`);
    expect(page).toMatch(
      /<figure class="qr" role="img" aria-label="QR: [^"]+"><svg width="180" height="180" aria-hidden="true" xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 \d+ \d+"><rect fill="white"[^>]*\/><path fill="black" d="M[0-9,hvzM.-]+"\/><\/svg>/,
    );
    expect(withoutRegistration('/mirrors.html', page)).not.toMatch(/<script/i);
    // The QR code holds the canonical address: the same text gives the same code, another text another.
    const other = renderPages(makeSite([]), { canonical: 'https://other.example/', mirrors: MIRRORS }).get('/mirrors.html') ?? '';
    const path = (html: string) => /<path fill="black" d="([^"]+)"/.exec(html)?.[1];
    expect(path(page)).toBeDefined();
    expect(path(other)).not.toBe(path(page));
  });

  it('the build reads the onion address and the IPFS gateways for mirrors.html off the mirror list', () => {
    const onion = 'http://ferryexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion/';
    const cid = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
    const mirrors: MirrorRef[] = [
      ...MIRRORS,
      { id: 'tor', kind: 'http', url: onion, priority: 5 },
      { id: 'gw', kind: 'ipfs-gateway', url: 'https://gw.example/', priority: 6 },
      { id: 'gw-again', kind: 'ipfs-gateway', url: 'https://gw.example/', priority: 7 },
    ];
    const bytes = buildSnapshotFiles({
      site: makeSite([]),
      media: new Map(),
      canonical: CANONICAL,
      mirrors,
      ipfsCid: cid,
      serviceWorker: WORKER,
    }).get('/mirrors.html');
    const page = new TextDecoder().decode(bytes);
    expect(page).toContain(`<h2>Tor 洋葱地址`);
    expect(page).toContain(`<p><code>${onion}</code></p>`);
    expect(page.split(`https://gw.example/ipfs/${cid}/"`).length - 1).toBe(1);
    // Without such mirrors, neither section claims one.
    const plain = new TextDecoder().decode(
      buildSnapshotFiles({
        site: makeSite([]),
        media: new Map(),
        canonical: CANONICAL,
        mirrors: MIRRORS,
        ipfsCid: cid,
        serviceWorker: WORKER,
      }).get('/mirrors.html'),
    );
    expect(plain).not.toContain('Tor 洋葱地址');
    expect(plain).not.toContain('gw.example');
  });

  it('makes site paths in post HTML relative to the post page, keeping fragments, queries and outside links', () => {
    const zhPath = '/文章/人权观察.html';
    const a = makePost(1, {
      path: zhPath,
      html:
        '<p><a href="/2016/01/post-2.html#c1" rel="noopener noreferrer">b</a> <a href="/%E6%96%87%E7%AB%A0/other.html?x=1&amp;y=2">c</a> ' +
        '<a href="/">home</a> <a href="/2016/01/">month</a> <a href="https://example.org/x">out</a> <a href="mailto:a@example.org">m</a> ' +
        '<a href="#top">top</a></p><p>text that says href="/x" stays</p>' +
        '<a href="/media/big.png"><img src="/media/small.png" alt="/media/alt.png" width="320"></a><blockquote cite="/2016/01/post-2.html">q</blockquote>',
    });
    const files = renderPages(makeSite([a, makePost(2)]), OPTS);
    const page = files.get(zhPath) ?? '';
    expect(page).toContain(
      '<div class="content">\n' +
        '<p><a href="../2016/01/post-2.html#c1" rel="noopener noreferrer">b</a> <a href="other.html?x=1&amp;y=2">c</a> ' +
        '<a href="../">home</a> <a href="../2016/01/">month</a> <a href="https://example.org/x">out</a> <a href="mailto:a@example.org">m</a> ' +
        '<a href="#top">top</a></p><p>text that says href="/x" stays</p>' +
        '<a href="../media/big.png"><img src="../media/small.png" alt="/media/alt.png" width="320"></a><blockquote cite="../2016/01/post-2.html">q</blockquote>\n' +
        '</div>',
    );
    // The stored post keeps its site paths (feeds make them absolute, other pages relative to themselves).
    expect(a.html).toContain('href="/2016/01/post-2.html#c1"');
  });

  it('gives the 404 page only absolute links to the canonical mirror and the mirrors, and nothing to load', () => {
    const files = renderPages(makeSite([makePost(1)]), OPTS);
    const notFound = files.get('/404.html') ?? '';
    const urls = urlsOf(notFound);
    expect(urls.length).toBeGreaterThan(8);
    for (const url of urls) expect(/^https:\/\//.test(url), url).toBe(true);
    expect(notFound).not.toMatch(/rel="(stylesheet|icon|canonical)"/);
    expect(notFound).toContain(`<a href="${CANONICAL}">首页 Home</a>`);
    expect(notFound).toContain(`<a href="${CANONICAL}archive.html">归档 Archive</a>`);
    expect(notFound).toContain(`<link rel="alternate" type="application/atom+xml" href="${CANONICAL}atom.xml"`);
    // Public web mirrors by priority; the javascript: one is not a link.
    const listed = [...notFound.matchAll(/<li><a href="([^"]*)" rel="noreferrer">/g)].map((m) => decodeAttr(m[1] ?? ''));
    expect(listed).toEqual(['https://mirror-a.example.org/', 'https://ferry.github.io/blog/', 'https://x.example/?a=1&b=2']);
    expect(notFound).not.toContain('javascript:');
    expect(notFound).not.toContain('<script>x()');
  });

  it('has the doctype, charset, viewport, feeds, stylesheet, header nav and footer on every page', () => {
    const files = renderPages(makeSite([makePost(1, { tags: ['人权'] })]), OPTS);
    for (const [path, text] of files) {
      if (!path.endsWith('.html')) continue;
      expect(text.startsWith('<!doctype html>\n'), path).toBe(true);
      expect(text).toContain('<meta charset="utf-8">');
      expect(text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      // From the page back to the snapshot's root: '' at the root, '../' per directory below it.
      const root = ANY_ADDRESS.includes(path) ? CANONICAL : '../'.repeat(path.split('/').length - 2);
      expect(text, path).toContain(`<link rel="alternate" type="application/atom+xml" href="${root}atom.xml"`);
      expect(text, path).toContain(`<link rel="alternate" type="application/rss+xml" href="${root}rss.xml"`);
      expect(text, path).toContain(`<link rel="alternate" type="application/feed+json" href="${root}feed.json"`);
      if (!ANY_ADDRESS.includes(path)) {
        expect(text, path).toContain(`<link rel="stylesheet" href="${root}style.css">`);
        expect(text, path).toContain(`<link rel="icon" type="image/svg+xml" href="${root}favicon.svg">`);
      }
      const home = ANY_ADDRESS.includes(path) ? CANONICAL : `${root}index.html`;
      expect(text, path).toContain(`<a class="site-title" href="${home}">公民自由联盟 Coalition for Citizens Rights</a>`);
      for (const nav of ['首页 Home', '归档 Archive', '关于 About', '镜像 Mirrors']) expect(text, path).toContain(`${nav}</a>`);
      expect(text, path).toContain(`<footer class="site-footer">\n<p><a href="${root}mirrors.html">`);
    }
    expect([...files.keys()]).toContain('/labels/人权.html');
  });

  it('lists mirrors, feeds, the IPFS address and a bookmark note on mirrors.html, bilingual 404', () => {
    const files = renderPages(makeSite([makePost(1)]), OPTS);
    const page = files.get('/mirrors.html') ?? '';
    const order = ['<strong>cf</strong>', '<strong>gh-pages</strong>', '<strong>local</strong>', '<strong>&lt;b&gt;evil'];
    const at = order.map((s) => page.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((x, y) => x - y));
    expect(page).toContain('<a href="https://ferry.github.io/blog/" rel="noreferrer">https://ferry.github.io/blog/</a>');
    expect(page).toContain('<code>javascript:alert(1)</code>');
    expect(page).toContain('(directory)');
    for (const feed of FEEDS) {
      expect(page).toContain(`href="${feed.slice(1)}"`);
      expect(page).toContain(`<code>${CANONICAL}${feed.slice(1)}</code>`);
    }
    expect(page).toContain(`<code>ipfs://${OPTS.ipfsCid ?? ''}</code>`);
    expect(page).toContain(`<code>/ipfs/${OPTS.ipfsCid ?? ''}/</code>`);
    expect(page).toMatch(/收藏/);
    expect(page).toMatch(/Bookmark several/);
    const noIpfs = renderPages(makeSite([]), { canonical: CANONICAL, mirrors: [] });
    expect(noIpfs.get('/mirrors.html')).not.toContain('ipfs://');
    expect(noIpfs.get('/mirrors.html')).toContain('No other mirrors yet.');
    const notFound = files.get('/404.html') ?? '';
    expect(notFound).toContain('找不到该页面 Page not found');
  });

  it('ships a small phone-friendly stylesheet with CJK system fonts and no remote resources', () => {
    const css = renderPages(makeSite([]), OPTS).get('/style.css') ?? '';
    expect(css).toContain('max-width: 42rem');
    expect(css).toContain('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei"');
    expect(css).toMatch(/img[^{]*\{[^}]*max-width: 100%/);
    expect(css).not.toMatch(/url\(|@import|@font-face|https?:/);
  });

  it('rejects unsafe post paths, colliding paths, bad dates and a bad canonical with named errors', () => {
    const r =
      (posts: Post[], opts: RenderOptions = OPTS) =>
      () =>
        renderPages(makeSite(posts), opts);
    expect(r([makePost(1, { path: '/2016/../etc/passwd' })])).toThrow(/post "post-001" has an unsafe path/);
    expect(r([makePost(1), makePost(2, { path: makePost(1).path })])).toThrow(/post "post-00[12]" and post "post-00[12]" both want/);
    expect(r([makePost(1, { path: '/archive.html' })])).toThrow(RenderError);
    expect(r([makePost(1, { path: '/2016/01/index.html' })])).toThrow(
      /post "post-001" and a generated page both want \/2016\/01\/index.html/,
    );
    expect(r([makePost(1, { published: 'June 8, 2016' })])).toThrow(/published "June 8, 2016" is not an RFC 3339 date/);
    expect(r([], { ...OPTS, canonical: 'https://x.example' })).toThrow(/canonical must be/);
    expect(r([], { ...OPTS, canonical: 'javascript:alert(1)/' })).toThrow(/canonical must be/);
    expect(r([], { ...OPTS, pageSize: 0 })).toThrow(/pageSize/);
    expect(r([], { ...OPTS, ipfsCid: '"><x' })).toThrow(/ipfsCid/);
  });

  it('inserts the sanitized post HTML with its site paths made relative, and links neighbouring posts', () => {
    const a = makePost(1, { html: '<p>Hello <a href="/2016/01/post-2.html">next</a></p><img src="/media/x.png" alt="">' });
    const b = makePost(2);
    const c = makePost(3, { path: '/2016/02/post-3.html' });
    const files = renderPages(makeSite([a, b, c]), OPTS);
    expect(files.get(a.path)).toContain(
      '<div class="content">\n<p>Hello <a href="post-2.html">next</a></p><img src="../../media/x.png" alt="">\n</div>',
    );
    const middle = files.get(b.path) ?? '';
    expect(middle).toContain(`<a href="../02/post-3.html">← 较新文章 Newer post: <span lang="en">Post number 3</span></a>`);
    expect(middle).toContain(`<a href="post-1.html">较旧文章 Older post: <span lang="en">Post number 1</span> →</a>`);
  });
});

describe('dates and excerpts', () => {
  it('reads the calendar date in the timestamp own offset', () => {
    expect(toLocalDate('2016-06-08T21:03:00.000-07:00')).toEqual({ year: '2016', month: '06', day: '08' });
    expect(toLocalDate('2016-02-29T00:00:00Z')).toEqual({ year: '2016', month: '02', day: '29' });
    expect(toLocalDate('2015-02-29T00:00:00Z')).toBeUndefined();
    expect(toLocalDate('2016-13-01T00:00:00Z')).toBeUndefined();
    expect(toLocalDate('2016-06-08')).toBeUndefined();
  });

  it('extracts visible text, decoding entities and separating blocks', () => {
    expect(htmlToText('<p>A&amp;B <b>bo</b>ld</p><p>next&#x4e2d;&#25991;&nbsp;x</p><!-- c --><style>p{}</style>')).toBe(
      'A&B bold next中文 x',
    );
  });

  it('cuts excerpts at about 200 Latin characters or 100 Chinese ones', () => {
    const latin = excerptOf(`<p>${'word '.repeat(100)}</p>`);
    expect(latin.endsWith('word…')).toBe(true);
    expect(Array.from(latin).length).toBeLessThanOrEqual(201);
    expect(Array.from(latin).length).toBeGreaterThan(160);
    const chinese = excerptOf(`<p>${'拆除中国网络防火墙'.repeat(30)}</p>`);
    expect(Array.from(chinese).length).toBe(101);
    expect(chinese.endsWith('…')).toBe(true);
    expect(excerptOf('<p>short</p>')).toBe('short');
    const emoji = excerptOf('😀'.repeat(300));
    expect(emoji).not.toMatch(/[\ud800-\udbff]…$/);
  });
});
