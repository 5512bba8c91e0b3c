// The file state store: a build appends only the posts that changed to the pack; what a crash
// leaves past the recorded length is ignored and cut off; a pack of mostly stale lines is written
// anew; a store written before packs were appended to still loads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonStateStore } from '../../src/adapters/node/json-state-store.ts';
import type { Post } from '../../src/core/model.ts';
import { sha256Hex } from '../../src/core/bytes.ts';

let work: string;
let counter = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-state-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const SITE = 'https://blog.example/feeds/posts/default';

function post(n: number, revision = 0): Post {
  return {
    id: `tag:blog.example,2026:post-${n}`,
    slug: `post-${n}`,
    path: `/2026/01/post-${n}.html`,
    title: `Post ${n}${revision === 0 ? '' : ` (rev ${revision})`}`,
    published: '2026-01-01T00:00:00Z',
    updated: '2026-01-01T00:00:00Z',
    authors: ['公民自由联盟'],
    tags: ['人权'],
    language: 'zh',
    html: `<p>正文 ${n} ${revision}</p>`,
    originUrl: '',
    contentHash: sha256Hex(`${n}/${revision}`),
  };
}

const meta = (version: number) => ({ siteId: SITE, version, approvals: {}, pending: [], renderKeys: {} });

async function siteFiles(data: string): Promise<{ dir: string; pack: string; state: Record<string, unknown> }> {
  const sites = join(data, 'sites');
  const [site] = await readdir(sites);
  if (site === undefined) throw new Error('no site folder');
  const dir = join(sites, site);
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  const pack = state.pack;
  if (typeof pack !== 'string') throw new Error('no pack named');
  return { dir, pack, state };
}

const ids = (posts: readonly Post[]): string[] => posts.map((p) => p.id);

describe('json state store', () => {
  it('appends only changed posts, and a loaded post is saved again without a new line', async () => {
    const data = join(work, `d${++counter}`);
    const store = createJsonStateStore(data);
    const first = [post(1), post(2), post(3)];
    await store.save(meta(1), first);
    const before = await siteFiles(data);
    const size1 = (await stat(join(before.dir, before.pack))).size;

    const loaded = await store.loadPosts(SITE, ids(first));
    expect(loaded).toEqual(first);
    expect(Object.isFrozen(loaded[0])).toBe(true);
    expect(store.digestOf?.(loaded[0] as Post)).toMatch(/^[0-9a-f]{32}$/);
    expect(store.digestOf?.(post(1))).toBeUndefined(); // not an object the store handed out

    // One post changed, one new: two lines appended to the same pack, nothing rewritten.
    const second = [loaded[0] as Post, post(2, 1), loaded[2] as Post, post(4)];
    await store.save(meta(2), second);
    const after = await siteFiles(data);
    expect(after.pack).toBe(before.pack);
    const text = await readFile(join(after.dir, after.pack), 'utf8');
    expect(text.slice(0, size1)).toBe(await readFile(join(before.dir, before.pack), 'utf8').then((t) => t.slice(0, size1)));
    expect(text.split('\n').filter((l) => l !== '')).toHaveLength(5);
    expect(after.state.packBytes).toBe(Buffer.byteLength(text));
    expect(await createJsonStateStore(data).loadPosts(SITE, ids(second))).toEqual(second);
    // The same content under a new object is recognised by its digest: no line appended.
    await createJsonStateStore(data).save(
      meta(3),
      second.map((p) => ({ ...p })),
    );
    expect((await stat(join(after.dir, after.pack))).size).toBe(Buffer.byteLength(text));
  });

  it('ignores what a crash left past the recorded length, and the next save cuts it off', async () => {
    const data = join(work, `d${++counter}`);
    const store = createJsonStateStore(data);
    await store.save(meta(1), [post(1), post(2)]);
    const { dir, pack, state } = await siteFiles(data);
    // A crash after appending (a torn line) but before state.json recorded it.
    await appendFile(join(dir, pack), '{"id":"tag:blog.example,2026:post-9","slug":"torn');
    const fresh = createJsonStateStore(data);
    expect(ids(await fresh.loadPosts(SITE, [post(2).id, post(1).id]))).toEqual([post(2).id, post(1).id]);
    await fresh.save(meta(2), [post(1), post(2), post(3)]);
    const text = await readFile(join(dir, pack), 'utf8');
    expect(text).not.toContain('torn');
    expect(Buffer.byteLength(text)).toBe((await siteFiles(data)).state.packBytes);
    expect(typeof state.packBytes).toBe('number');
    expect(await createJsonStateStore(data).loadPosts(SITE, [post(3).id])).toEqual([post(3)]);
  });

  it('refuses a pack shorter than state.json says, naming the file', async () => {
    const data = join(work, `d${++counter}`);
    await createJsonStateStore(data).save(meta(1), [post(1), post(2)]);
    const { dir, pack } = await siteFiles(data);
    const text = await readFile(join(dir, pack), 'utf8');
    await writeFile(join(dir, pack), text.slice(0, 20));
    await expect(createJsonStateStore(data).loadPosts(SITE, [post(1).id])).rejects.toThrow(
      /shorter than state\.json says.*restore the data folder/,
    );
  });

  it('writes the pack anew when most of its lines are stale, and removes the old one', async () => {
    const data = join(work, `d${++counter}`);
    const store = createJsonStateStore(data, { minStaleLines: 2 });
    await store.save(meta(1), [post(1), post(2)]);
    const { pack: firstPack } = await siteFiles(data);
    for (let r = 1; r <= 3; r++) await store.save(meta(1 + r), [post(1, r), post(2, r)]);
    const { dir, pack, state } = await siteFiles(data);
    expect(pack).not.toBe(firstPack);
    expect((await readdir(dir)).filter((n) => n.endsWith('.ndjson'))).toEqual([pack]);
    expect(state.packLines).toBeLessThanOrEqual(4);
    expect(await store.loadPosts(SITE, [post(1).id, post(2).id])).toEqual([post(1, 3), post(2, 3)]);
  });

  it('loads and appends to a store written before the pack length was recorded', async () => {
    const data = join(work, `d${++counter}`);
    await createJsonStateStore(data).save(meta(1), [post(1), post(2)]);
    const { dir, state } = await siteFiles(data);
    const { packBytes: _b, packLines: _l, ...older } = state;
    await writeFile(join(dir, 'state.json'), `${JSON.stringify(older)}\n`);
    const store = createJsonStateStore(data);
    expect(await store.loadPosts(SITE, [post(2).id])).toEqual([post(2)]);
    await store.save(meta(2), [post(1), post(2, 1)]);
    expect(await createJsonStateStore(data).loadPosts(SITE, [post(1).id, post(2).id])).toEqual([post(1), post(2, 1)]);
  });
});
