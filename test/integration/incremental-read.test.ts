// Blogger ingest reads incrementally: after a full read, a build asks the loopback Blogger origin
// (which answers updated-min as Blogger does) only for posts updated since the last read, less a
// margin, and fetches fewer pages; every `fullReadHours` it reads every page again, which is when
// a post deleted at the origin is seen (and held back for a maintainer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuild } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { FEED_PATH, startBloggerServer, type BloggerServer } from '../helpers/blogger-server.ts';
import { postId, writeBloggerFeed, type FeedPost } from '../helpers/blogger-feed.ts';

const key = generateKeyPair(new Uint8Array(32).fill(3)).privateKey;
const BLOG = '8002';
const T0 = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;

let work: string;
let server: BloggerServer;

const post = (n: number, over: Partial<FeedPost> = {}): FeedPost => ({
  n,
  title: `Post ${n}`,
  html: `<p>Report number ${n} on the freedom of the press.</p>`,
  published: new Date(Date.UTC(2026, 0, n)).toISOString(),
  updated: new Date(Date.UTC(2026, 0, n, 12)).toISOString(),
  ...over,
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-incremental-read-'));
  server = await startBloggerServer(join(work, 'origin'), { updatedMin: true });
});
afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('incremental Blogger reads', () => {
  it('reads only what changed since the last read, and every page once the full read is due', async () => {
    const folder = join(work, 'origin');
    const data = join(work, 'data');
    const out = join(work, 'out');
    const source = `${server.base}${FEED_PATH}`;
    const posts = Array.from({ length: 30 }, (_, i) => post(i + 1));
    const site = (list: FeedPost[]) => writeBloggerFeed(folder, { blogId: BLOG, title: 'Press', posts: list, perPage: 5 });
    const lines: string[] = [];
    const build = async (at: number) => {
      const before = server.feedRequests();
      lines.length = 0;
      const report = await runBuild({
        source,
        out,
        dataDir: data,
        privateKey: key,
        mirrors: [],
        now: () => new Date(at),
        onProgress: (_stage, m) => lines.push(m),
      });
      return { report, requests: server.feedRequests() - before, asked: server.requests.slice(-1)[0] ?? '' };
    };

    // 1. No read recorded: every page (30 posts, 5 a page).
    await site(posts);
    const first = await build(T0);
    expect(first.requests).toBe(6);
    expect(first.report.posts).toBe(30);
    expect(first.asked).not.toContain('updated-min');

    // 2. A new post: one page, asked with updated-min one margin before the last read began.
    await site([...posts, post(31, { updated: new Date(T0 + HOUR / 2).toISOString() })]);
    const second = await build(T0 + HOUR);
    expect(second.requests).toBe(1);
    expect(decodeURIComponent(second.asked)).toContain(`updated-min=${new Date(T0 - HOUR).toISOString()}`);
    expect(second.report.posts).toBe(31);
    expect(second.report.quarantined).toEqual([]);
    expect(lines.join('\n')).toMatch(/1 posts updated since then, 30 as published/);
    // Every post is still in the snapshot, the new one too.
    const archive = await readFile(join(out, 'index.html'), 'utf8');
    expect(archive).toContain('Post 31');

    // 3. A post deleted at the origin: an incremental read cannot see it, and it stays published.
    const withoutTen = [...posts.filter((p) => p.n !== 10), post(31, { updated: new Date(T0 + HOUR / 2).toISOString() })];
    await site(withoutTen);
    const third = await build(T0 + 2 * HOUR);
    expect(third.requests).toBe(1);
    expect(third.report.posts).toBe(31);
    expect(third.report.quarantined).toEqual([]);

    // 4. A day after the first read the full read is due: every page, and the deletion is held back.
    const fourth = await build(T0 + 25 * HOUR);
    expect(fourth.requests).toBe(6);
    expect(fourth.asked).not.toContain('updated-min');
    expect(fourth.report.quarantined.map((q) => q.id)).toEqual([postId(BLOG, 10)]);
    expect(fourth.report.quarantined[0]?.reasons.join()).toMatch(/no longer at the origin/);
    expect(fourth.report.posts).toBe(31); // kept until a maintainer approves the removal

    // 5. A post edited at the origin (Blogger bumps its updated time) is read and held back as changed.
    await site(
      withoutTen.map((p) => (p.n === 5 ? { ...p, html: '<p>Rewritten.</p>', updated: new Date(T0 + 25.5 * HOUR).toISOString() } : p)),
    );
    const fifth = await build(T0 + 26 * HOUR);
    // The held removal of post 10 has no reuse key to take it by: the read falls back to every page.
    expect(fifth.requests).toBe(1 + 6);
    expect(lines.join('\n')).toMatch(/reading every page of .*: published post .*post-10 is to be processed again/);
    expect(fifth.report.quarantined.map((q) => q.id).sort()).toEqual([postId(BLOG, 10), postId(BLOG, 5)].sort());
    expect(fifth.report.quarantined.find((q) => q.id === postId(BLOG, 5))?.reasons.join()).toMatch(/content changed/);
  });

  it('reads every page on every run with fullReadHours 0', async () => {
    const folder = join(work, 'origin');
    const data = join(work, 'data-0');
    const source = `${server.base}${FEED_PATH}`;
    await writeBloggerFeed(folder, { blogId: BLOG, title: 'Press', posts: Array.from({ length: 12 }, (_, i) => post(i + 1)), perPage: 5 });
    for (const at of [T0, T0 + HOUR]) {
      const before = server.feedRequests();
      await runBuild({
        source,
        out: join(work, 'out-0'),
        dataDir: data,
        privateKey: key,
        mirrors: [],
        now: () => new Date(at),
        fullReadHours: 0,
      });
      expect(server.feedRequests() - before).toBe(3);
    }
  });
});
