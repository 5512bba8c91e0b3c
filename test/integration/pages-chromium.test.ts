// The rendered pages in a real browser: headless Chromium loads them from a loopback server that
// sends a strict CSP, at phone and desktop widths.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Post, Site } from '../../src/core/model.ts';
import { renderPages } from '../../src/core/render.ts';
import { PAGE_CSP, SERVICE_WORKER_PATH } from '../../src/core/render-html.ts';
import { serviceWorkerScript } from '../../src/core/build.ts';
import { bundleServiceWorker } from '../../src/node/service-worker-bundle.ts';
import { testKeyPair } from '../helpers/signed-snapshot.ts';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { CLEAN } from '../helpers/fixtures.ts';
import { needSystem } from '../helpers/system-deps.ts';

const system = needSystem(['chromium', 'fonts-wqy-microhei'], 'test/integration/pages-chromium.test.ts');

const MEDIA = join(CLEAN, 'blogger/media/s1600/protest-1.png');
/** The pages' own policy, as a host sends it: no script but the service worker's registration. */
const CSP = PAGE_CSP;
const CJK_FAMILIES = /PingFang SC|Hiragino Sans GB|Microsoft YaHei|WenQuanYi Micro Hei|Noto Sans CJK SC/;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const ZH_TITLE = '朴日: 拆除中国网络防火墙';

function post(over: Partial<Post> & Pick<Post, 'id' | 'path' | 'title' | 'published'>): Post {
  return {
    slug: over.path.replace(/^.*\/|\.html$/g, ''),
    updated: over.published,
    authors: ['公民自由联盟'],
    tags: [],
    language: 'en',
    html: '<p>Text.</p>',
    originUrl: '',
    contentHash: '0'.repeat(64),
    ...over,
  };
}

const zhPost = post({
  id: 'tag:blogger.com,1999:blog-1.post-2',
  path: '/2015/10/blog-post.html',
  title: ZH_TITLE,
  published: '2015-10-18T21:03:00.000-07:00',
  language: 'zh-Hans',
  tags: ['人权', 'Internet Freedom'],
  html:
    '<p>来到美国也5年了。在这5年的时间里 我 深深的体会到了 美国的 人性化 法制体系，在这里 就算最底层的 平民 也能 享受到 最基本的 医疗保障。</p>' +
    '<p>在这里 我呼吁大家 能够 让 中国的 同胞们 了解 中国公民 应有的 权利，强烈 呼吁 中国政府 拆除 网络防火墙。</p>' +
    '<p><a href="/media/protest-1.png"><img src="/media/protest-1.png" width="480" height="360" alt="抗议"></a></p>' +
    '<p>一个很长的地址：http://gongminziyoulianmeng.blogspot.com/2015/10/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.html</p>' +
    '<pre>a preformatted line that is much wider than any phone screen could ever show without scrolling it</pre>',
});

const site: Site = {
  meta: {
    id: 'tag:blogger.com,1999:blog-1',
    title: '公民自由联盟 Coalition for Citizens Rights',
    subtitle:
      'Coalition for Citizens Rights is a human rights organization dedicated to freedom of speech and press, and internet freedom, in China.\n\n公民自由联盟',
    originUrl: 'http://gongminziyoulianmeng.blogspot.com/',
    language: 'en',
  },
  posts: [
    zhPost,
    post({
      id: 'p1',
      path: '/2016/06/27th-anniversary.html',
      title: '27th Anniversary of Tiananmen Square Massacre',
      published: '2016-06-08T21:03:00.000-07:00',
      tags: ['Human Rights'],
    }),
    post({
      id: 'p3',
      path: '/2015/12/udhr.html',
      title: 'CCCR Remembers 67th Anniversary of "Universal Declaration of Human Rights"',
      published: '2015-12-11T21:03:00.000-07:00',
      tags: ['Human Rights'],
    }),
    post({
      id: 'p4',
      path: '/2015/09/blog-post.html',
      title: '柳京男:抗议习近平主席访问美国',
      published: '2015-09-16T21:03:00.000-07:00',
      language: 'zh-Hans',
      tags: ['人权'],
    }),
  ],
};

const files = renderPages(site, {
  canonical: 'https://mirror-a.example.org/',
  mirrors: [{ id: 'gh-pages', kind: 'http', url: 'https://ferry.github.io/blog/', priority: 1 }],
  ipfsCid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
  pageSize: 2,
});

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

function typeOf(path: string): string {
  return TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

async function serve(pages: Map<string, string>, png: Uint8Array): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path === '/') path = '/index.html';
    const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' };
    const text = pages.get(path);
    if (text !== undefined) {
      res.writeHead(200, { ...headers, 'content-type': typeOf(path) }).end(text);
    } else if (path === '/media/protest-1.png') {
      res.writeHead(200, { ...headers, 'content-type': 'image/png' }).end(png);
    } else {
      res.writeHead(404, { ...headers, 'content-type': TYPES.html }).end(pages.get('/404.html'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

interface Watch {
  requests: string[];
  errors: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { requests: [], errors: [] };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.location().url.endsWith('/favicon.ico') && m.text().includes('404')) w.errors.push(`HTTP 404: ${m.location().url}`);
    else if (m.type() === 'error' || m.type() === 'warning') w.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => w.errors.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) w.errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return w;
}

async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement?.scrollWidth ?? Number.POSITIVE_INFINITY,
    innerWidth: window.innerWidth,
  }));
}

/**
 * The anti-tofu check. Draws each distinct Chinese character of the <h1> on a canvas in the h1's
 * computed font, plus a code point no font has (U+F0000, which renders as the .notdef box), and
 * returns how many distinct bitmaps the characters produced and how many equal the .notdef one.
 * Real glyphs differ from each other; tofu boxes are all the same.
 */
async function glyphCheck(page: Page): Promise<{ chars: number; distinct: number; tofu: number }> {
  return page.evaluate(() => {
    const h1 = document.querySelector('h1');
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 64;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!h1 || !ctx) return { chars: 0, distinct: 0, tofu: -1 };
    const style = getComputedStyle(h1);
    ctx.font = `${style.fontWeight} 40px ${style.fontFamily}`;
    const bitmap = (c: string): string => {
      ctx.clearRect(0, 0, 64, 64);
      ctx.fillText(c, 4, 48);
      return Array.from(ctx.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3)).join(',');
    };
    const chars = [...new Set(Array.from(h1.textContent ?? '').filter((c) => /\p{Script=Han}/u.test(c)))];
    const notdef = bitmap('\u{F0000}');
    const maps = chars.map(bitmap);
    return { chars: chars.length, distinct: new Set(maps).size, tofu: maps.filter((m) => m === notdef).length };
  });
}

/** The platform fonts Chromium actually used for the <h1>, from the DevTools protocol. */
async function platformFonts(page: Page): Promise<Array<{ familyName: string; glyphCount: number }>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'h1' });
  const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  await cdp.detach();
  return fonts.map((f) => ({ familyName: f.familyName, glyphCount: f.glyphCount }));
}

describe.skipIf(system.skip)('rendered pages in headless Chromium', () => {
  let chromium: LaunchedChromium;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    // As in every snapshot: the service worker the pages register (with no manifest here, it
    // leaves every request to the network).
    files.set(SERVICE_WORKER_PATH, serviceWorkerScript(await bundleServiceWorker(), testKeyPair(1).publicKey));
    ({ server, origin } = await serve(files, new Uint8Array(await readFile(MEDIA))));
    chromium = await launchChromium({ viewport: PHONE });
  });

  afterAll(async () => {
    await chromium?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('shows the Chinese post at phone and desktop width: no overflow, CJK glyphs, no errors, nothing leaves 127.0.0.1', async () => {
    const page = await chromium.context.newPage();
    const w = watch(page);
    for (const viewport of [PHONE, DESKTOP]) {
      await page.setViewportSize(viewport);
      const response = await page.goto(origin + zhPost.path, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-Hans');
      expect(await page.locator('h1').innerText()).toBe(ZH_TITLE);

      const { scrollWidth, innerWidth } = await overflow(page);
      expect(innerWidth).toBe(viewport.width);
      expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).toBeLessThanOrEqual(innerWidth);

      // The stylesheet applied (no inline style is allowed, so this is the only way it can).
      const bodyMaxWidth = await page.evaluate(() => getComputedStyle(document.body).maxWidth);
      expect(bodyMaxWidth).toBe('672px');
      // The 480px photo fits the column and loaded from the snapshot.
      const img = await page.evaluate(() => {
        const el = document.querySelector('.content img');
        return el instanceof HTMLImageElement ? { natural: el.naturalWidth, shown: el.getBoundingClientRect().width } : undefined;
      });
      expect(img?.natural).toBe(480);
      expect(img?.shown ?? Infinity).toBeLessThanOrEqual(Math.min(480, viewport.width));

      const box = await page.locator('h1').boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(100);

      const glyphs = await glyphCheck(page);
      // 朴日拆除中国网络防火墙: 11 distinct Han characters, each its own glyph, none the .notdef box.
      expect(glyphs).toEqual({ chars: 11, distinct: 11, tofu: 0 });

      const fonts = await platformFonts(page);
      const cjk = fonts.filter((f) => CJK_FAMILIES.test(f.familyName));
      expect(
        cjk.reduce((n, f) => n + f.glyphCount, 0),
        JSON.stringify(fonts),
      ).toBeGreaterThanOrEqual(11);
    }
    await page.setViewportSize(PHONE);
    await page.goto(origin + zhPost.path, { waitUntil: 'load' });
    await page.screenshot({ path: '/tmp/ferry-post.png', fullPage: true });

    expect(w.errors).toEqual([]);
    const outside = w.requests.filter((u) => !u.startsWith(`${origin}/`));
    expect(outside).toEqual([]);
    expect(w.requests).toContain(`${origin}/style.css`);
    expect(w.requests).toContain(`${origin}/media/protest-1.png`);
    await page.close();
  });

  it('loads every rendered page at phone width without overflow, errors or outside requests', async () => {
    const page = await chromium.context.newPage();
    await page.setViewportSize(PHONE);
    const w = watch(page);
    const paths = [...files.keys()].filter((p) => p.endsWith('.html'));
    expect(paths.length).toBeGreaterThan(10);
    for (const path of paths) {
      const url = origin + path.split('/').map(encodeURIComponent).join('/');
      const response = await page.goto(url, { waitUntil: 'load' });
      expect(response?.status(), path).toBe(200);
      const { scrollWidth, innerWidth } = await overflow(page);
      expect(scrollWidth, path).toBeLessThanOrEqual(innerWidth);
      // Every link on the page that stays on this site resolves (200, not the 404 page); the
      // others are the canonical mirror's (the 404 and offline pages) and the mirrors' addresses.
      const links = await page.evaluate(() =>
        Array.from(document.querySelectorAll('a[href], link[href]'), (a) =>
          a instanceof HTMLAnchorElement || a instanceof HTMLLinkElement ? a.href : '',
        ),
      );
      for (const link of links) {
        if (!link.startsWith(`${origin}/`)) {
          expect(
            ['/404.html', '/offline.html', '/mirrors.html'].includes(path) || link.startsWith('https://mirror-a.example.org/'),
            `${path} -> ${link}`,
          ).toBe(true);
          continue;
        }
        const target = decodeURIComponent(new URL(link).pathname).replace(/\/$/, '/index.html');
        expect(
          files.has(target) || target === '/media/protest-1.png' || /^\/(atom\.xml|rss\.xml|feed\.json)$/.test(target),
          `${path} -> ${link}`,
        ).toBe(true);
      }
    }
    // The 404 page loads nothing (it is shown at any address), so the browser asks for the
    // origin's /favicon.ico on its own; that is not a link of the page.
    expect(w.errors.filter((e) => e !== `HTTP 404: ${origin}/favicon.ico`)).toEqual([]);
    expect(w.requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    await page.close();
  });
});
