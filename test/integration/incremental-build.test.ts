// An incremental build keeps (links) the post pages whose inputs did not change and renders the
// rest; its output must be byte-identical to a full build of the same origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBuild, type Stage } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { readTree } from '../helpers/tree.ts';
import { startBloggerServer } from '../helpers/blogger-server.ts';
import { CLEAN } from '../helpers/fixtures.ts';

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
    const out = join(work, 'out');
    const data = join(work, 'data');
    await build(origin, out, data);
    const first = await readTree(out);

    // Nothing changed: every post is taken as published, every post page is kept.
    const same = await build(origin, out, data);
    expect(same.join('\n')).toMatch(/sanitizing 0 posts \(5 unchanged since they were published\)/);
    const posts = [...first.keys()].filter((p) => /^\/\d{4}\/\d{2}\/[^/]+\.html$/.test(p) && !p.endsWith('/index.html'));
    expect(same.join('\n')).toMatch(new RegExp(`, ${posts.length} kept from version 1`));

    // A new, oldest post: only its own page and its newer neighbour's page are rendered again.
    await writeFile(
      join(origin, '0000-oldest.md'),
      '---\ntitle: 最早的一篇 The oldest post\ndate: 2001-01-01T00:00:00+08:00\ntags: [archive]\nlang: zh\n---\n\n第一篇。 The first one.\n',
    );
    const lines = await build(origin, out, data);
    expect(lines.join('\n')).toMatch(/sanitizing 1 posts \(5 unchanged since they were published\)/);
    expect(lines.join('\n')).toMatch(new RegExp(`, ${posts.length - 1} kept from version 2`));
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
    const kept = posts.at(-1); // the newest post: far from the change
    if (kept === undefined) throw new Error('no post page');
    expect((await stat(join(out, kept))).nlink).toBeGreaterThan(1);
    expect(await readFile(join(out, '2001/01/0000-oldest.html'), 'utf8')).toContain('最早的一篇');
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
      const page = '/2015/09/protest-chinese-president-s-visit-to-the.html';
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
