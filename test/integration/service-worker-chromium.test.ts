// The reader's service worker in headless Chromium, against a snapshot built by `ferry build` and
// served by loopback mirrors (different ports: different origins, read with CORS as public hosts
// allow): A, the address the reader visits; C, which tampers with every file (same size); D, which
// serves an older snapshot with its own, validly signed, older manifest; B, a good mirror. The
// reader visits A once; then A answers a block page with status 200, then plants a script, then
// hangs, then the browser is offline. Every page shown must be the publisher's exact bytes (from B,
// verified, or from the worker's cache), never the block page or the planted script; C's and D's
// answers are refused; a page never read shows the offline page. Each page's time is printed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSnapshotFiles } from '../../src/adapters/node/snapshot-source.ts';
import { utf8ToString } from '../../src/core/bytes.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { buildSnapshot } from '../helpers/built-snapshot.ts';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { BLOCK_PAGE, PLANTED_SCRIPT, startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { needSystem } from '../helpers/system-deps.ts';

const system = needSystem(['chromium', 'fonts-wqy-microhei'], 'test/integration/service-worker-chromium.test.ts');

const SECOND_POST = `---\ntitle: 第二篇 / Second post\ndate: 2016-06-10T08:00:00Z\nlang: zh\n---\n第二篇 Second.\n`;

async function readSnapshot(out: string): Promise<Map<string, Uint8Array>> {
  const files = await openSnapshotFiles(out);
  const map = new Map<string, Uint8Array>();
  for (const path of files.entries.keys()) map.set(path, await files.read(path));
  return map;
}

interface Shown {
  phase: string;
  path: string;
  ms: number;
  source: string;
  status: number;
}

describe.skipIf(system.skip)('the reader’s service worker in headless Chromium', () => {
  let dir: string;
  let browser: LaunchedChromium;
  let page: Page;
  let a: MirrorServer;
  let b: MirrorServer;
  let c: MirrorServer;
  let d: MirrorServer;
  let v1: Map<string, Uint8Array>;
  let v2: Map<string, Uint8Array>;
  let postPath: string;
  const shown: Shown[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-sw-'));
    const empty = new Map<string, Uint8Array>();
    a = await startMirrorServer(empty, { publicHost: true });
    b = await startMirrorServer(empty, { publicHost: true });
    c = await startMirrorServer(empty, { publicHost: true });
    d = await startMirrorServer(empty, { publicHost: true });
    const mirrors = {
      mirrors: [
        { id: 'a', kind: 'http', url: a.url, priority: 1 },
        { id: 'c', kind: 'http', url: c.url, priority: 2 },
        { id: 'd', kind: 'http', url: d.url, priority: 3 },
        { id: 'b', kind: 'http', url: b.url, priority: 4 },
      ],
    };
    const mirrorsFile = join(dir, 'mirrors.json');
    await writeFile(mirrorsFile, JSON.stringify(mirrors));
    const first = await buildSnapshot(dir, { args: ['--mirrors', mirrorsFile] });
    v1 = await readSnapshot(first.out);
    await buildSnapshot(dir, { args: ['--mirrors', mirrorsFile], posts: { 'second.md': SECOND_POST } });
    v2 = await readSnapshot(first.out);
    const m1 = parseManifest(utf8ToString(v1.get('/manifest.json') ?? new Uint8Array()));
    const m2 = parseManifest(utf8ToString(v2.get('/manifest.json') ?? new Uint8Array()));
    expect(m2.version).toBeGreaterThan(m1.version);
    const post = Object.keys(m2.files).find((p) => /^\/2016\/06\/.+\.html$/.test(p) && v1.has(p));
    if (post === undefined) throw new Error('no post page in both snapshots');
    postPath = post;
    // The pages read here differ between the two versions (the new post is listed, linked).
    for (const p of ['/index.html', postPath, '/archive.html'])
      expect(Buffer.compare(v1.get(p) ?? Buffer.alloc(0), v2.get(p) ?? Buffer.alloc(0)), p).not.toBe(0);
    a.setSnapshot(v2);
    b.setSnapshot(v2);
    c.setSnapshot(v2);
    c.setFault('tamper');
    d.setSnapshot(v1);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const allowed = [a, b, c, d].map((m) => new URL(m.url).origin);
    browser.context.on('request', (r) => {
      if (!allowed.includes(new URL(r.url()).origin)) foreign.push(r.url());
    });
  }, 120_000);

  afterAll(async () => {
    // The figures, for the report: each page's time, where it came from.
    if (shown.length > 0) console.log(JSON.stringify({ serviceWorkerPages: shown }, null, 1));
    await browser?.close();
    await Promise.all([a, b, c, d].map((m) => m?.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Stop the worker (as the browser does when it idles): the next page starts it afresh, with no
   * memory of which mirror failed, so it asks A first again, as a reader's next visit would.
   */
  const restartWorker = async (): Promise<void> => {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await cdp.detach();
  };

  /** A was asked for path since `since` requests (under the fault in force). */
  const askedA = (since: number, path: string): boolean => a.requests.slice(since).includes(path);

  const urlOf = (path: string): string => a.url + (path === '/index.html' ? '' : encodeURI(path.slice(1)));

  /** Open path on A, record its time and source; return the body the browser got. */
  const visit = async (phase: string, path: string): Promise<{ body: Buffer; source: string; status: number }> => {
    const t0 = performance.now();
    const res = await page.goto(urlOf(path), { waitUntil: 'load', timeout: 30_000 });
    const ms = Math.round(performance.now() - t0);
    if (res === null) throw new Error(`${path}: no response`);
    const body = await res.body();
    const source = res.headers()['x-ferry-source'] ?? (res.fromServiceWorker() ? 'worker?' : 'network');
    shown.push({ phase, path, ms, source, status: res.status() });
    return { body, source, status: res.status() };
  };

  /** The page shown is exactly the publisher's v2 bytes, and nothing planted runs in it. */
  const expectPublisherPage = async (path: string, body: Buffer): Promise<void> => {
    expect(Buffer.compare(body, Buffer.from(v2.get(path) ?? new Uint8Array())), `${path} is the signed page`).toBe(0);
    const text = body.toString('utf8');
    expect(text).not.toContain(BLOCK_PAGE);
    expect(text).not.toContain(PLANTED_SCRIPT);
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src || s.getAttribute('data-sw') || ''));
    expect(
      scripts.every((s) => !s.includes('evil')),
      JSON.stringify(scripts),
    ).toBe(true);
    expect(scripts.length).toBe(1);
    expect(await page.title()).not.toContain('Blocked');
  };

  it('first visit: the page comes from A and the worker takes over', async () => {
    const first = await visit('first visit (no worker yet)', '/index.html');
    expect(first.source).toBe('network');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (navigator.serviceWorker.controller === null) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
    });
    // Through the worker now, while A is good: from A, verified, and kept.
    for (const path of ['/index.html', postPath, '/archive.html']) {
      const r = await visit('A good, through the worker', path);
      expect(r.source).toBe('a');
      await expectPublisherPage(path, r.body);
    }
  }, 60_000);

  it('A answers a block page with status 200: the signed page from B, C (tampered) and D (older manifest) refused', async () => {
    a.setFault('blockpage');
    await restartWorker();
    const since = a.requests.length;
    const dManifestAsked = d.requests.filter((p) => p === '/manifest.json').length;
    for (const path of ['/index.html', postPath, '/archive.html']) {
      const r = await visit('A block page', path);
      expect(r.source).toBe('b');
      await expectPublisherPage(path, r.body);
    }
    expect(askedA(since, '/index.html')).toBe(true);
    // C was asked and its (same-size, tampered) bytes refused; D was asked for its manifest, an
    // older one, and refused: no page came from either.
    expect(c.requests.some((p) => p === '/index.html')).toBe(true);
    expect(d.requests.filter((p) => p === '/manifest.json').length).toBeGreaterThan(dManifestAsked);
    expect(shown.some((s) => s.source === 'c' || s.source === 'd')).toBe(false);
  }, 60_000);

  it('A plants a script in every page: the signed page from B', async () => {
    a.setFault('inject');
    await restartWorker();
    const since = a.requests.length;
    for (const path of ['/index.html', postPath]) {
      const r = await visit('A injected script', path);
      expect(r.source).toBe('b');
      await expectPublisherPage(path, r.body);
    }
    expect(askedA(since, '/index.html')).toBe(true);
  }, 60_000);

  it('A hangs: the signed page from B', async () => {
    a.setFault('hang');
    await restartWorker();
    const since = a.requests.length;
    for (const path of ['/index.html', postPath]) {
      const r = await visit('A hangs', path);
      expect(r.source).toBe('b');
      await expectPublisherPage(path, r.body);
    }
    expect(askedA(since, '/index.html')).toBe(true);
  }, 60_000);

  it('offline: pages read before come from the cache; a page never read shows the offline page', async () => {
    await browser.context.setOffline(true);
    await Promise.all([a, b, c, d].map((m) => m.stop()));
    await restartWorker();
    for (const path of ['/index.html', postPath, '/archive.html']) {
      const r = await visit('offline', path);
      expect(r.source).toBe('cache');
      await expectPublisherPage(path, r.body);
    }
    const never = await visit('offline, never read', '/about.html');
    expect(never.status).toBe(503);
    expect(Buffer.compare(never.body, Buffer.from(v2.get('/offline.html') ?? new Uint8Array()))).toBe(0);
    const text = never.body.toString('utf8');
    expect(text.indexOf('暂时无法连接')).toBeGreaterThan(-1);
    expect(text.indexOf('暂时无法连接')).toBeLessThan(text.indexOf('No connection for now'));
    for (const m of [b, c, d]) expect(text).toContain(m.url);
  }, 90_000);

  it('asked no host outside the signed manifest', () => {
    expect(foreign).toEqual([]);
  });
});
