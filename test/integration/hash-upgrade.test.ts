// Through the real feed reader and the build: a change of any field of a published post that
// pages show or feeds carry holds it back; a state recorded under the first hash scheme (before
// authors, dates and language were covered) upgrades without holding anything back, and is
// recorded under the current scheme from then on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuild } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { POST_HASH_SCHEME, contentHashOf, postHashSchemeOf } from '../../src/core/guard.ts';
import { isRecord } from '../../src/core/is-record.ts';
import { FEED_PATH, startBloggerServer, type BloggerServer } from '../helpers/blogger-server.ts';
import { postId, writeBloggerFeed, type FeedPost } from '../helpers/blogger-feed.ts';

const key = generateKeyPair(new Uint8Array(32).fill(4)).privateKey;
const BLOG = '9003';
let work: string;
let server: BloggerServer;
let n = 0;

const post = (i: number, over: Partial<FeedPost> = {}): FeedPost => ({
  n: i,
  title: `Post ${i}`,
  html: `<p>Report ${i} on the freedom of assembly.</p>`,
  published: `2026-01-0${i}T10:00:00.000Z`,
  updated: `2026-01-0${i}T12:00:00.000Z`,
  authors: ['Coalition for Citizens Rights'],
  tags: ['rights'],
  ...over,
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-hash-'));
  server = await startBloggerServer(join(work, 'origin'));
});
afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

async function setup(posts: FeedPost[]) {
  const run = ++n;
  await writeBloggerFeed(join(work, 'origin'), { blogId: BLOG, title: 'Assembly', posts });
  const data = join(work, `data-${run}`);
  const build = () =>
    runBuild({ source: `${server.base}${FEED_PATH}`, out: join(work, `out-${run}`), dataDir: data, privateKey: key, mirrors: [] });
  return { data, build };
}

async function stateFile(data: string): Promise<string> {
  const [site] = await readdir(join(data, 'sites'));
  return join(data, 'sites', site ?? '', 'state.json');
}

const CHANGES: Array<[string, Partial<FeedPost>]> = [
  ['title', { title: 'Post 2, rewritten' }],
  ['text', { html: '<p>Report 2, rewritten.</p>' }],
  ['tags', { tags: ['rights', 'other'] }],
  ['authors', { authors: ['Someone else'] }],
  ['published time', { published: '2020-01-02T10:00:00.000Z' }],
  ['updated time', { updated: '2026-11-02T12:00:00.000Z' }],
  ['language', { language: 'zh-Hans' }],
];

describe('content hash through the build', () => {
  it.each(CHANGES)('a change of the %s holds a published post back', async (_field, change) => {
    const { build } = await setup([post(1), post(2), post(3)]);
    expect((await build()).quarantined).toEqual([]);
    await writeBloggerFeed(join(work, 'origin'), { blogId: BLOG, title: 'Assembly', posts: [post(1), post(2, change), post(3)] });
    const second = await build();
    expect(second.quarantined.map((q) => q.id)).toEqual([postId(BLOG, 2)]);
    expect(second.quarantined[0]?.reasons.join()).toMatch(/content changed since it was published/);
  });

  it('upgrades a state recorded under the first scheme without holding anything back', async () => {
    const posts = [post(1), post(2), post(3)];
    const { data, build } = await setup(posts);
    await build();
    // What a store written before the scheme changed holds: first-scheme hashes, and reuse keys
    // from the previous processing version.
    const file = await stateFile(data);
    const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isRecord(raw) || !isRecord(raw.published)) throw new Error('unexpected state.json');
    for (const p of posts) {
      const rec = raw.published[postId(BLOG, p.n)];
      if (!isRecord(rec)) throw new Error(`no record for post ${p.n}`);
      const year = p.published.slice(0, 4);
      const month = p.published.slice(5, 7);
      rec.hash = contentHashOf(
        { ...p, authors: [], originUrl: `${server.base}/${year}/${month}/post-${p.n}.html`, tags: p.tags ?? [], language: '' },
        'ferry-post/1',
      );
      expect(postHashSchemeOf(String(rec.hash))).toBe('ferry-post/1');
      rec.reuseKey = `${'0'.repeat(16)}:${'0'.repeat(32)}`;
    }
    await writeFile(file, JSON.stringify(raw));

    const upgraded = await build();
    expect(upgraded.quarantined).toEqual([]);
    expect(upgraded.posts).toBe(3);
    const after: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isRecord(after) || !isRecord(after.published)) throw new Error('unexpected state.json');
    for (const rec of Object.values(after.published)) {
      expect(isRecord(rec) && typeof rec.hash === 'string' ? postHashSchemeOf(rec.hash) : undefined).toBe(POST_HASH_SCHEME);
    }
    // From then on, a change the first scheme could not see is held back.
    await writeBloggerFeed(join(work, 'origin'), {
      blogId: BLOG,
      title: 'Assembly',
      posts: [post(1), post(2, { authors: ['Someone else'] }), post(3)],
    });
    expect((await build()).quarantined.map((q) => q.id)).toEqual([postId(BLOG, 2)]);
  });
});
