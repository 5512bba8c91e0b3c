// An incremental build keeps (links) the pages whose inputs did not change and renders the rest,
// and does not read a Markdown file again that is as it was when its post was published; its
// output must be byte-identical to a full build of the same origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBuild, type Stage } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { readTree } from '../helpers/tree.ts';
import { startBloggerServer } from '../helpers/blogger-server.ts';
import { CLEAN, PHOTO_PATH } from '../helpers/fixtures.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/posts');
const key = generateKeyPair(new Uint8Array(32).fill(9)).privateKey;
const now = (): Date => new Date('2026-11-26T00:00:00Z');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-incremental-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function build(source: string, out: string, data: string): Promise<string[]> {
  const lines: string[] = [];
  await runBuild({ source, out, dataDir: data, privateKey: key, mirrors: [], now, onProgress: (_s: Stage, m) => lines.push(m) });
  return lines;
}

describe('incremental build', () => {
  it('renders only what a new post touches and matches a full build byte for byte', async () => {
    const origin = join(work, 'posts');
    await cp(EXAMPLES, origin, { recursive: true });
    // Files changed in the last 2 s are never taken as unchanged (their time may not tell): age them.
    // (utimes moves the inode change time, which the index also compares: age only new files.)
    const age = async (names: string[]): Promise<void> => {
      const past = new Date(Date.now() - 60_000);
      for (const name of names) await utimes(join(origin, name), past, past);
    };
    await age(await readdir(origin));
    const out = join(work, 'out');
    const data = join(work, 'data');
    await build(origin, out, data);
    const first = await readTree(out);

    // Nothing changed: no file is read again, every post is taken as published, and only the
    // pages that show the whole site (archive, feeds, mirrors...) are rendered.
    const same = (await build(origin, out, data)).join('\n');
    expect(same).toMatch(/read 0 Markdown posts from .* \(5 more unchanged since they were published\)/);
    expect(same).toMatch(/sanitizing 0 posts \(5 unchanged since they were published\)/);
    const always = [
      '/archive.html',
      '/about.html',
      '/mirrors.html',
      '/404.html',
      '/offline.html',
      '/style.css',
      '/favicon.svg',
      '/rss.xml',
      '/atom.xml',
      '/feed.json',
      '/mirrors.json',
      '/sw.js',
    ];
    for (const path of always) expect(first.has(path), path).toBe(true);
    expect(same).toMatch(new RegExp(`${always.length} files rendered, ${first.size - 2 - always.length} kept from version 1`));

    // A new, oldest post: read and processed alone; its page, its newer neighbour's page and the
    // lists it joins are rendered, the other posts' pages are kept.
    await writeFile(
      join(origin, '0000-oldest.md'),
      '---\ntitle: 最早的一篇 The oldest post\ndate: 2001-01-01T00:00:00+08:00\ntags: [archive]\nlang: zh\n---\n\n第一篇。 The first one.\n',
    );
    await age(['0000-oldest.md']);
    const lines = (await build(origin, out, data)).join('\n');
    expect(lines).toMatch(/read 1 Markdown posts from .* \(5 more unchanged since they were published\)/);
    expect(lines).toMatch(/sanitizing 1 posts \(5 unchanged since they were published\)/);
    const posts = [...first.keys()].filter((p) => /^\/\d{4}\/\d{2}\/[^/]+\.html$/.test(p) && !p.endsWith('/index.html'));
    const kept = Number(/, (\d+) kept from version 2/.exec(lines)?.[1]);
    expect(kept).toBeGreaterThanOrEqual(posts.length - 1);
    const incremental = await readTree(out);

    const fullOut = join(work, 'full-out');
    await build(origin, fullOut, join(work, 'full-data'));
    const full = await readTree(fullOut);
    expect([...incremental.keys()]).toEqual([...full.keys()]);
    for (const [path, bytes] of full) {
      if (path === '/manifest.json' || path === '/manifest.json.sig') continue;
      expect(incremental.get(path)?.equals(bytes), path).toBe(true);
    }
    // The kept pages are links to the previous version's files, not copies.
    const newest = posts.at(-1); // the newest post: far from the change
    if (newest === undefined) throw new Error('no post page');
    expect((await stat(join(out, newest))).nlink).toBeGreaterThan(1);
    const month = [...first.keys()].find((p) => /^\/\d{4}\/\d{2}\/index\.html$/.test(p));
    if (month === undefined) throw new Error('no month page');
    expect((await stat(join(out, month))).nlink).toBeGreaterThan(1);
    expect(await readFile(join(out, '2001/01/0000-oldest.html'), 'utf8')).toContain('最早的一篇');

    // A post edited behind Ferry's back with its size and times put back is still read again
    // (its inode change time moved), and the guard holds the change.
    const edited = (await readdir(origin)).filter((n) => n.endsWith('.md') && n !== '0000-oldest.md').sort()[0];
    if (edited === undefined) throw new Error('no post file');
    const file = join(origin, edited);
    const before = await stat(file);
    const text = await readFile(file, 'utf8');
    // One letter of the body (the last one) changed: same size.
    await writeFile(
      file,
      text.replace(/[A-Za-z](?=[^A-Za-z]*$)/, (c) => (c === 'x' ? 'y' : 'x')),
    );
    await utimes(file, before.atime, before.mtime);
    expect((await stat(file)).size).toBe(before.size);
    const after = (await build(origin, out, data)).join('\n');
    expect(after).toMatch(/read 1 Markdown posts from .* \(5 more unchanged since they were published\)/);
    expect(after).toMatch(/held back: .*content changed since it was published/);
  });

  it('never keeps a page rendered for another folder: render keys belong to one --out and version', async () => {
    const origin = join(work, 'two-outs-posts');
    await cp(EXAMPLES, origin, { recursive: true });
    const data = join(work, 'two-outs-data');
    const a = join(work, 'out-a');
    const b = join(work, 'out-b');
    await build(origin, a, data);
    // A new post, built into another folder with the same data: the keys now describe out-b.
    await writeFile(
      join(origin, 'zzzz-newest.md'),
      '---\ntitle: 最新的一篇 The newest post\ndate: 2030-01-01T00:00:00+08:00\nlang: zh\n---\n\n最新。\n',
    );
    await build(origin, b, data);
    expect(await readFile(join(b, 'index.html'), 'utf8')).toContain('The newest post');
    // Back to out-a: its front page predates the post and must be rendered again, not kept.
    const lines = (await build(origin, a, data)).join('\n');
    expect(await readFile(join(a, 'index.html'), 'utf8')).toContain('The newest post');
    expect(lines).toMatch(/, 0 kept from version \d+/);
    const fullOut = join(work, 'two-outs-full');
    await build(origin, fullOut, join(work, 'two-outs-full-data'));
    const [incremental, full] = [await readTree(a), await readTree(fullOut)];
    for (const [path, bytes] of full) {
      if (path === '/manifest.json' || path === '/manifest.json.sig') continue;
      expect(incremental.get(path)?.equals(bytes), path).toBe(true);
    }
  });

  it('a published post keeps its URL, even when every post is processed again', async () => {
    const origin = join(work, 'paths-posts');
    await mkdir(origin, { recursive: true });
    const post = (id: string, date: string, body: string): string =>
      `---\nid: ${id}\ntitle: Same title\ndate: ${date}\nlang: en\n---\n\n${body}\n`;
    await writeFile(join(origin, 'b.md'), post('tag:example.org,2024:b', '2024-05-20T00:00:00Z', 'Body of B.'));
    const out = join(work, 'paths-out');
    const data = join(work, 'paths-data');
    const buildWith = (blockedHosts: string[]) =>
      runBuild({ source: origin, out, dataDir: data, privateKey: key, mirrors: [], now, blockedHosts });
    await buildWith([]);
    // An older post with the same title arrives later: B keeps /2024/05/same-title.html.
    await writeFile(join(origin, 'a.md'), post('tag:example.org,2024:a', '2024-05-01T00:00:00Z', 'Body of A.'));
    await buildWith([]);
    const page = (name: string) => readFile(join(out, '2024', '05', name), 'utf8');
    expect(await page('same-title.html')).toContain('Body of B.');
    expect(await page('same-title-2.html')).toContain('Body of A.');
    // A setting that changes how every post is processed: nothing is reused, and still no URL moves.
    await buildWith(['blocked.example']);
    expect(await page('same-title.html')).toContain('Body of B.');
    expect(await page('same-title-2.html')).toContain('Body of A.');
  });

  it('processes a post again while one of its images could not be copied, and then copies it', async () => {
    let failing = true;
    const blogger = await startBloggerServer(CLEAN, {
      routes: {
        '/media/s320/protest-2.png': async (_req, res) => {
          if (failing) return void res.writeHead(503).end('busy');
          const bytes = await readFile(join(CLEAN, 'blogger/media/s320/protest-2.png'));
          res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
        },
      },
    });
    try {
      const source = `${blogger.base}/feeds/posts/default`;
      const out = join(work, 'media-out');
      const data = join(work, 'media-data');
      const page = PHOTO_PATH;
      await build(source, out, data);
      // The thumbnail that failed is not shown from the blocked host (its link to the full size stays a copy).
      expect((await readFile(join(out, page), 'utf8')).match(/\/media\/[0-9a-f]{32}\.png/g)?.length).toBe(5);
      failing = false;
      const second = await build(source, out, data);
      expect(second.join('\n')).toMatch(/sanitizing 1 posts \(6 unchanged since they were published\)/);
      const html = await readFile(join(out, page), 'utf8');
      expect(html.match(/\/media\/[0-9a-f]{32}\.png/g)?.length).toBe(6);
      const third = await build(source, out, data);
      expect(third.join('\n')).toMatch(/sanitizing 0 posts \(7 unchanged since they were published\)/);
    } finally {
      await blogger.close();
    }
  });
});
