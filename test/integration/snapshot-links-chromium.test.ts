// A built snapshot in headless Chromium wherever it is served: at a domain root (the Node edge over
// the built folder), under a sub-path (a static host serving it at /blog/, like a GitHub Pages
// project site) and under /ipfs/<cid>/ (imported into the embedded block store as the republisher
// does, served by the edge's trustless gateway, read by browsers through a path gateway). Every
// page is crawled from the home page; every link, stylesheet, icon, feed and image of every page
// must resolve (HTTP 200 without relying on a redirect, images decoded, the stylesheet applied),
// and the 404 page must work at any depth.
import { cp, lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { importSnapshotIncremental } from '../../src/adapters/ipfs/unixfs-import.ts';
import { openSnapshotFiles } from '../../src/adapters/node/snapshot-source.ts';
import { utf8ToString } from '../../src/core/bytes.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { startEdgeServer, type EdgeServer } from '../../src/node/edge-server.ts';
import { readPublicKey } from '../../src/node/keys.ts';
import { FEED_PATH, startBloggerServer, type BloggerServer } from '../helpers/blogger-server.ts';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { startPathGateway, type PathGateway } from '../helpers/fake-path-gateway.ts';
import { BLOG_ID, CLEAN, FIRST_PATH, ZH_PATH as ZH_POST_PATH } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { needSystem } from '../helpers/system-deps.ts';

const system = needSystem(['chromium', 'fonts-wqy-microhei'], 'test/integration/snapshot-links-chromium.test.ts');

const ORIGIN = 'http://gongminziyoulianmeng.blogspot.com';
/** A Chinese post path on the origin (percent-encoded there, decoded in the snapshot). */
const ZH_ORIGIN_PATH = '/2016/07/%E4%BA%BA%E6%9D%83%E8%A7%82%E5%AF%9F.html';
const ZH_PATH = '/2016/07/人权观察.html';

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');

function entry(
  n: number,
  { path, published, title, html, labels = [] }: { path: string; published: string; title: string; html: string; labels?: string[] },
): string {
  return (
    `<entry><id>${BLOG_ID}.post-90000000000000000${n}</id><published>${published}</published><updated>${published}</updated>` +
    `<category scheme='http://schemas.google.com/g/2005#kind' term='http://schemas.google.com/blogger/2008/kind#post'/>` +
    labels.map((l) => `<category scheme='http://www.blogger.com/atom/ns#' term='${escapeXml(l)}'/>`).join('') +
    `<title type='text'>${escapeXml(title)}</title><content type='html'>${escapeXml(html)}</content>` +
    `<link rel='alternate' type='text/html' href='${ORIGIN}${path}' title='${escapeXml(title)}'/>` +
    `<author><name>Coalition for Citizens Rights</name></author></entry>`
  );
}

/**
 * Entries added to the real fixture: a post at a Chinese path linking the origin's other posts
 * (with a fragment), a month archive and the home page, with a photo; a post linking it back; and
 * enough short ones for the front page to need archive pages.
 */
const EXTRA = [
  entry(1, {
    path: ZH_ORIGIN_PATH,
    published: '2016-07-01T10:00:00.000+08:00',
    title: '人权观察：链接',
    labels: ['人权', 'Human Rights'],
    html:
      `<p>请阅读<a href="${ORIGIN}${FIRST_PATH}#more">六四纪念</a>、` +
      `<a href="https://gongminziyoulianmeng.blogspot.com${ZH_POST_PATH}">金明哲</a>、` +
      `<a href="${ORIGIN}/2016/06/">2016年6月</a>和<a href="${ORIGIN}/">首页</a>。</p>` +
      `<p><a href="{BASE}/media/s1600/protest-2.png"><img src="{BASE}/media/s320/protest-2.png" alt="抗议" width="320" height="240"></a></p>`,
  }),
  entry(2, {
    path: '/2016/08/links-back.html',
    published: '2016-08-02T09:00:00.000-07:00',
    title: 'Links back',
    labels: ['Human Rights'],
    html: `<p>See <a href="${ORIGIN}${ZH_ORIGIN_PATH}#top">人权观察</a> and <a href="${ORIGIN}/2016/07/">July</a>.</p>`,
  }),
  ...Array.from({ length: 5 }, (_, i) =>
    entry(3 + i, {
      path: `/2014/0${i + 1}/short-${i}.html`,
      published: `2014-0${i + 1}-15T12:00:00.000Z`,
      title: `Short ${i}`,
      html: `<p>Short post ${i}.</p>`,
    }),
  ),
].join('');

let work: string;
let out: string;
let blogger: BloggerServer;
let site: StaticHost;
let blog: StaticHost;
let edge: EdgeServer;
let gateway: PathGateway;
let cid: string;
let htmlPaths: string[];
let chromium: LaunchedChromium;

beforeAll(async () => {
  if (system.skip) return;
  work = await mkdtemp(join(tmpdir(), 'ferry-links-'));
  out = join(work, 'site');
  const origin = join(work, 'origin');
  await cp(join(CLEAN, 'blogger'), origin, { recursive: true });
  const page2 = join(origin, 'feed-page2.xml');
  await writeFile(page2, (await readFile(page2, 'utf8')).replace('</feed>', `${EXTRA}</feed>`));
  blogger = await startBloggerServer(origin);

  // The project site is the canonical mirror (the first in the list); it reads the folder per request.
  blog = await startStaticHost(out, '/blog/');
  await writeFile(
    join(work, 'mirrors.json'),
    JSON.stringify({ mirrors: [{ id: 'project-site', kind: 'http', url: blog.url, priority: 1 }] }),
  );
  expect((await runCli(['keygen', '--out', join(work, 'keys')])).code).toBe(0);
  const built = await runCli(
    [
      'build',
      ...['--source', `${blogger.base}${FEED_PATH}`, '--out', out, '--key', join(work, 'keys', 'ferry.key')],
      ...['--data', join(work, 'data'), '--mirrors', join(work, 'mirrors.json'), '--json', '--quiet'],
    ],
    { cwd: work },
  );
  expect(built.code, built.err).toBe(0);
  // What every server below is given: the link `ferry build --out` makes to the versioned folder.
  expect((await lstat(out)).isSymbolicLink()).toBe(true);
  const manifest = parseManifest(utf8ToString(new Uint8Array(await readFile(join(out, 'manifest.json'))), 'manifest.json'));
  htmlPaths = Object.keys(manifest.files).filter((p) => p.endsWith('.html'));

  // As the republisher does: the built folder (the out link) into the embedded block store.
  const store = createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) });
  cid = (await importSnapshotIncremental(await openSnapshotFiles(out), store)).root.toString();
  edge = await startEdgeServer({
    mirrors: [{ id: 'local', kind: 'directory', path: out, priority: 1 }],
    publicKey: await readPublicKey(join(work, 'keys', 'ferry.pub')),
    ipfs: store,
  });
  gateway = await startPathGateway({ upstream: edge.url });
  site = await startStaticHost(out, '/');
  chromium = await launchChromium({ viewport: { width: 390, height: 844 } });
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await gateway?.close();
  await edge?.close();
  await blog?.close();
  await site?.close();
  await blogger?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Seen {
  /** Console errors, failed requests and answers of 400 or more, as they happened. */
  problems: string[];
  requests: string[];
}

function watch(page: Page): Seen {
  const seen: Seen = { problems: [], requests: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => seen.problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText ?? 'unknown error';
    // The browser asks for the page's icon after 'load', so the crawl's next navigation can cancel
    // that request (ERR_ABORTED); the icon itself is fetched and checked like every other link.
    if (r.resourceType() === 'other' && /\/favicon\.(svg|ico)$/.test(r.url()) && error === 'net::ERR_ABORTED') return;
    seen.problems.push(`requestfailed (${error}): ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) seen.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return seen;
}

interface PageReport {
  status: number;
  redirected: boolean;
  links: Array<{ kind: string; url: string }>;
  images: Array<{ url: string; width: number }>;
  stylesheets: number;
  bodyMaxWidth: string;
  h1: string;
}

/** Opens url and reports what the page links to and loads, every image made eager and decoded. */
async function open(page: Page, url: string): Promise<PageReport> {
  const response = await page.goto(url, { waitUntil: 'load' });
  const facts = await page.evaluate(async () => {
    const images: Array<{ url: string; width: number }> = [];
    for (const img of Array.from(document.images)) {
      img.loading = 'eager';
      await img.decode().catch(() => undefined);
      images.push({ url: img.currentSrc || img.src, width: img.complete ? img.naturalWidth : 0 });
    }
    const links: Array<{ kind: string; url: string }> = [];
    for (const a of Array.from(document.querySelectorAll('a[href]')))
      if (a instanceof HTMLAnchorElement) links.push({ kind: 'a', url: a.href });
    for (const l of Array.from(document.querySelectorAll('link[href]')))
      if (l instanceof HTMLLinkElement) links.push({ kind: `link ${l.rel}`, url: l.href });
    return {
      links,
      images,
      stylesheets: document.styleSheets.length,
      bodyMaxWidth: getComputedStyle(document.body).maxWidth,
      h1: document.querySelector('h1')?.textContent ?? '',
    };
  });
  return { status: response?.status() ?? 0, redirected: response?.request().redirectedFrom() !== null, ...facts };
}

/** The snapshot path a URL under root names (a directory as its index.html), or undefined. */
function snapshotPath(root: string, url: string): string | undefined {
  const bare = url.replace(/#.*$/, '');
  if (!bare.startsWith(root)) return undefined;
  const path = `/${decodeURIComponent(new URL(bare).pathname.slice(new URL(root).pathname.length))}`;
  return path.endsWith('/') ? `${path}index.html` : path;
}

/**
 * Crawls every page reachable from root, and checks every link of each page: pages under root are
 * opened, anything else (feeds, full-size images, the canonical mirror, mirror addresses) is
 * fetched, and must answer 200 itself (no redirect, no 404 page). Returns the pages visited.
 */
async function crawl(
  page: Page,
  root: string,
  extra: readonly string[] = [],
): Promise<{ visited: Set<string>; problems: string[]; images: number; fetched: number }> {
  const seen = watch(page);
  const problems: string[] = [];
  const queue = [root, ...extra];
  const queued = new Set(queue.map((u) => u.replace(/#.*$/, '')));
  const fetched = new Map<string, number>();
  const visited = new Set<string>();
  let images = 0;
  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    const path = snapshotPath(root, url) ?? url;
    const report = await open(page, url);
    visited.add(path);
    if (report.status !== 200) problems.push(`${path}: HTTP ${report.status}`);
    if (report.redirected && !extra.includes(url)) problems.push(`${path}: reached through a redirect`);
    // The 404 page loads nothing (see the 404 test below); every other page is styled.
    // The pages shown at any address (the 404 page, the worker's offline page) load no stylesheet.
    if (
      path === '/404.html' || path === '/offline.html'
        ? report.stylesheets !== 0
        : report.stylesheets !== 1 || report.bodyMaxWidth !== '672px'
    ) {
      problems.push(`${path}: stylesheet ${report.stylesheets}, body max-width ${report.bodyMaxWidth}`);
    }
    for (const img of report.images) if (!(img.width > 0)) problems.push(`${path}: image ${img.url} not decoded`);
    images += report.images.length;
    for (const { kind, url: link } of report.links) {
      const bare = link.replace(/#.*$/, '');
      if (!bare.startsWith('http://127.0.0.1:')) {
        problems.push(`${path}: ${kind} ${link} leaves the loopback test network`);
        continue;
      }
      const target = snapshotPath(root, bare);
      if (kind === 'a' && target !== undefined && target.endsWith('.html')) {
        if (!queued.has(bare)) {
          queued.add(bare);
          queue.push(bare);
        }
        continue;
      }
      let status = fetched.get(bare);
      if (status === undefined) {
        const res = await page.request.get(bare, { maxRedirects: 0 });
        status = res.status();
        await res.dispose();
        fetched.set(bare, status);
      }
      if (status !== 200) problems.push(`${path}: ${kind} ${link} answers ${status}`);
    }
  }
  // The 404 page names no icon (see below), so the browser asks for the origin's /favicon.ico.
  const favicon = `${new URL(root).origin}/favicon.ico`;
  problems.push(...seen.problems.filter((p) => !p.includes(favicon)).map((p) => `while crawling ${root}: ${p}`));
  for (const r of seen.requests) if (!r.startsWith('http://127.0.0.1:')) problems.push(`request left the loopback network: ${r}`);
  return { visited, problems, images, fetched: fetched.size };
}

/** Where the built folder is served; each is looked up once the servers run. */
const ROOTS: ReadonlyArray<[string, () => string]> = [
  ['a domain root (a static host at /)', () => site.url],
  ['a sub-path (a static host at /blog/, like a project site)', () => blog.url],
  ['/ipfs/<cid>/ (the edge’s embedded gateway, through a path gateway)', () => `${gateway.url}/ipfs/${cid}/`],
];

/** Hosts that answer any missing address with the snapshot's 404.html (IPFS path gateways do not). */
const NOT_FOUND_HOSTS: ReadonlyArray<[string, () => string]> = [
  ['the edge', () => `${edge.url}/`],
  ['a static host at /', () => site.url],
  ['a static host at /blog/', () => blog.url],
];

describe.skipIf(system.skip)('a built snapshot in Chromium, wherever it is served', () => {
  it('builds what the hard cases need: a Chinese path, labels, archive pages, feeds with absolute canonical URLs', async () => {
    expect(htmlPaths).toEqual(expect.arrayContaining([ZH_PATH, '/labels/人权.html', '/page/1.html', '/2016/06/index.html', '/404.html']));
    const atom = await readFile(join(out, 'atom.xml'), 'utf8');
    const urls = [...atom.matchAll(/(?:href|src)=(?:"|'|&quot;)(.*?)(?:"|'|&quot;)/g)].map((m) => m[1] ?? '');
    expect(urls.length).toBeGreaterThan(20);
    for (const u of urls) expect(/^(https?:|mailto:)/.test(u), u).toBe(true);
    expect(urls).toContain(`${blog.url}2016/07/%E4%BA%BA%E6%9D%83%E8%A7%82%E5%AF%9F.html`);
    expect(urls.some((u) => u.startsWith(`${blog.url}media/`))).toBe(true);
  });

  it.each(ROOTS)('every page, link and image resolves under %s', { timeout: 180_000 }, async (_, rootOf) => {
    const root = rootOf();
    const page = await chromium.context.newPage();
    try {
      // Also: /404.html itself, the offline page (no page links to it: the service worker shows
      // it at any address when nothing answers), and a month asked for without its slash (301 to
      // the directory).
      const { visited, problems, images, fetched } = await crawl(page, root, [`${root}404.html`, `${root}offline.html`, `${root}2016/06`]);
      expect(problems).toEqual([]);
      // The fixture's three photos and the added one, on their posts and decoded.
      expect(images).toBeGreaterThanOrEqual(4);
      // Feeds, stylesheet, icon, full-size photos, the canonical pages, the mirror.
      expect(fetched).toBeGreaterThan(htmlPaths.length);
      expect(htmlPaths.filter((p) => !visited.has(p))).toEqual([]);
      expect(visited).toContain(ZH_PATH);
    } finally {
      await page.close();
    }
  });

  it.each(NOT_FOUND_HOSTS)(
    'the 404 page, shown at any depth by %s, only links to addresses that resolve and loads nothing',
    async (_, rootOf) => {
      const root = rootOf();
      const page = await chromium.context.newPage();
      const seen = watch(page);
      try {
        for (const missing of ['missing.html', 'a/b/c/missing', '2016/06/gone.html', '%E4%BA%BA%E6%9D%83/%E4%B8%8D%E5%AD%98%E5%9C%A8/']) {
          const report = await open(page, root + missing);
          expect(report.status, missing).toBe(404);
          expect(report.h1).toBe('找不到该页面 Page not found');
          expect(report.stylesheets).toBe(0);
          expect(report.images).toEqual([]);
          expect(report.links.length).toBeGreaterThan(8);
          for (const { kind, url } of report.links) {
            expect(url.startsWith(blog.url), `${kind} ${url}`).toBe(true);
            const res = await page.request.get(url, { maxRedirects: 0 });
            expect(res.status(), `${missing}: ${kind} ${url}`).toBe(200);
            await res.dispose();
          }
        }
        // The page asks for nothing: the only requests are the documents and the browser's own
        // /favicon.ico at the origin's root (no icon is named, as any URL of its own would miss).
        const origin = new URL(root).origin;
        const loaded = seen.requests.filter((u) => !u.startsWith(root) && u !== `${origin}/favicon.ico`);
        expect(loaded).toEqual([]);
        expect(seen.requests.filter((u) => /\.(css|svg|png)$/.test(u))).toEqual([]);
      } finally {
        await page.close();
      }
    },
  );
});
