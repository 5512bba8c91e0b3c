// The maintainers' dashboard in a real browser (Debian's Chromium through playwright-core) on a
// real `ferry serve`: four loopback mirrors (a and e good, b down, c planting a script), a post
// the origin changed after publication; sign in, see each mirror's state, approve the held-back
// post and see it published, pause the canonical and see the canonical move, switch language.
// Screenshots go to test-artifacts/dashboard/ (not committed).
import { createServer } from 'node:net';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedChromium } from '../helpers/chromium.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { startChild } from '../helpers/child-process.ts';
import { needSystem } from '../helpers/system-deps.ts';

const system = needSystem(['chromium', 'fonts-wqy-microhei'], 'test/integration/dashboard-chromium.test.ts');

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/dashboard');
const TOKEN = 'a-long-admin-token-for-the-test-0123456789';

let dir: string;
let hosts: StaticHost[] = [];
let serve: ServeProcess;
let base: string;
let browser: LaunchedChromium;
let page: Page;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function shot(name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (system.skip) return;
  dir = await mkdtemp(join(tmpdir(), 'ferry-dashboard-'));
  await cp(EXAMPLES, join(dir, 'posts'), { recursive: true });
  const a = await startStaticHost(join(dir, 'mirror-a'));
  const c = await startStaticHost(join(dir, 'mirror-c'), '/', {
    transform: (path, body) =>
      path.endsWith('/') || path.endsWith('.html')
        ? Buffer.from(body.toString('utf8').replace('</body>', '<script>steal()</script></body>'))
        : body,
  });
  const e = await startStaticHost(join(dir, 'mirror-e'));
  hosts = [a, c, e];
  await writeFile(
    join(dir, 'mirrors.json'),
    JSON.stringify({
      mirrors: [
        { id: 'a', kind: 'http', url: a.url, priority: 1 },
        { id: 'b', kind: 'http', url: `http://127.0.0.1:${await closedPort()}/`, priority: 2 },
        { id: 'c', kind: 'http', url: c.url, priority: 3 },
        { id: 'e', kind: 'http', url: e.url, priority: 4 },
      ],
    }),
  );
  await writeFile(
    join(dir, 'ferry.config.json'),
    JSON.stringify({
      source: 'posts',
      out: 'site',
      data: 'data',
      mirrors: 'mirrors.json',
      targets: ['a', 'c', 'e'].map((id) => ({ id, kind: 'directory', path: `mirror-${id}` })),
      ipfs: { embedded: false },
      health: { every: 2, cooldownSeconds: 3600 },
    }),
  );
  serve = startServe(['--config', join(dir, 'ferry.config.json'), '--port', '0'], {
    cwd: dir,
    env: { XDG_STATE_HOME: join(dir, 'state'), FERRY_ADMIN_TOKEN: TOKEN },
  });
  base = await serve.url();
  await serve.waitFor(/health round: .*c new -> compromised/, 60_000);
  browser = await launchChromium();
  page = await browser.context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await Promise.all(hosts.map((h) => h.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(system.skip)('dashboard in Chromium', () => {
  it('sends a visitor without a session to sign in, then shows every mirror in its state', async () => {
    await page.setExtraHTTPHeaders({ 'accept-language': 'zh-CN,zh;q=0.9' });
    await page.goto(`${base}/_ferry/`);
    expect(new URL(page.url()).pathname).toBe('/_ferry/login');
    expect(await page.content()).not.toContain('mirror-a');
    await page.fill('input[name=token]', 'wrong-but-long-enough-to-be-tried-0000000');
    await page.click('button');
    expect(await page.textContent('.flash')).toContain('令牌不正确');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button');
    expect(new URL(page.url()).pathname).toBe('/_ferry/');
    const state = async (id: string): Promise<string> => (await page.textContent(`#m-${id} .s`)) ?? '';
    expect(await state('a')).toBe('正常');
    expect(await state('b')).toBe('无法访问');
    expect(await state('c')).toBe('被篡改');
    expect(await state('e')).toBe('正常');
    expect(await page.textContent('#m-c')).toMatch(/integrity/);
    expect(await page.textContent('#m-a')).toContain('★');
    await shot('overview-zh');
  }, 60_000);

  it('shows a post the origin changed as held back, and publishes it when approved', async () => {
    const post = join(dir, 'posts', 'welcome.md');
    await writeFile(post, (await readFile(post, 'utf8')).replace('This is an **example** blog', 'This is an **edited** blog'));
    await page.click('form[action="/_ferry/actions/publish"] button');
    expect(await page.textContent('.flash')).toMatch(/发布|Publish ok/);
    const held = page.locator('section[id^="held-"]');
    expect(await held.count()).toBe(1);
    expect(await held.textContent()).toContain('Welcome to our example blog');
    // Side by side: the published line on the left, the origin's new one on the right.
    expect(await held.locator('td.del').first().textContent()).toContain('<strong>example</strong> blog');
    expect(await held.locator('td.add').first().textContent()).toContain('<strong>edited</strong> blog');
    await shot('held-post');
    await page.click('section[id^="held-"] form[action="/_ferry/actions/approve"] button');
    expect(await page.textContent('.flash')).toMatch(/Approved "Welcome to our example blog"; published in version \d+/);
    expect(await page.locator('section[id^="held-"]').count()).toBe(0);
    const article = await (await fetch(`${base}/2024/01/welcome.html`)).text();
    expect(article).toContain('<strong>edited</strong> blog');
    expect(await page.textContent('table:last-of-type')).toContain('approve');
  }, 90_000);

  it('pausing the canonical moves the canonical to the next good mirror, and an edge on the same data stops asking it', async () => {
    // A reader-facing `ferry edge` over the same mirror list, keeping its state where ferry serve's edge does.
    const edge = startChild(
      process.execPath,
      [
        BIN,
        'edge',
        '--mirrors',
        join(dir, 'mirrors.json'),
        '--pubkey',
        join(dir, 'data', 'keys', 'ferry.pub'),
        '--data',
        join(dir, 'data', 'edge'),
        '--port',
        '0',
      ],
      { cwd: dir, timeoutMs: 120_000 },
    );
    const edgeUrl = await new Promise<string>((resolve, reject) => {
      const look = setInterval(() => {
        const m = /listening on (http:\/\/\S+)/.exec(edge.stdout());
        if (m?.[1] !== undefined) {
          clearInterval(look);
          resolve(m[1]);
        }
      }, 50);
      void edge.exited.then(() => reject(new Error(`ferry edge exited: ${edge.stderr()}`)));
    });
    type Health = { mirrors: Array<{ id: string; excluded: string | null }> };
    const excludedOf = async (id: string): Promise<string | null | undefined> =>
      ((await (await fetch(`${edgeUrl}/_ferry/health`)).json()) as Health).mirrors.find((m) => m.id === id)?.excluded;
    expect(await excludedOf('a')).toBeNull();

    await page.click('#m-a form[action="/_ferry/actions/pause"] button');
    expect(await page.textContent('.flash')).toContain('Paused a');
    expect(await page.textContent('#m-a')).toContain('已暂停');
    const t0 = serve.lastAt();
    await serve.waitFor(/health round: .*canonical e/, 20_000, t0);
    await serve.waitFor(/rotation republish .*: ok/, 60_000, t0);
    await page.goto(`${base}/_ferry/`);
    expect(await page.textContent('#m-e')).toContain('★');
    const manifest = JSON.parse(await readFile(join(dir, 'mirror-e', 'manifest.json'), 'utf8')) as { canonical: string };
    expect(manifest.canonical).toBe(hosts[2]?.url);
    await shot('paused');
    // Exclusions are read again within 10 s by every edge on the same state.
    const deadline = Date.now() + 20_000;
    let excluded = await excludedOf('a');
    while (excluded === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      excluded = await excludedOf('a');
    }
    expect(excluded).toMatch(/paused by maintainer-/);
    await edge.stop();
  }, 60_000);

  it('switches language with the link, and stays switched', async () => {
    await page.click('a[hreflang=en]');
    expect(await page.textContent('h1')).toBe('Ferry dashboard');
    expect(await page.textContent('#m-c .s')).toBe('compromised');
    await page.goto(`${base}/_ferry/`);
    expect(await page.textContent('h1')).toBe('Ferry dashboard');
    await shot('overview-en');
    await page.goto(`${base}/_ferry/status`);
    expect(await page.textContent('body')).toContain('compromised');
    expect(await page.locator('script').count()).toBe(0);
    await shot('status-en');
  }, 30_000);
});
