// `ferry approve` (the real CLI, a process of its own) and a build both write the site's state:
// raced many times, no approval is ever lost. Half the rounds force the worst interleaving (the
// build has loaded the state and is still reading the origin while the approval is written, then
// saves); the others start both at random offsets, so the approval also meets the build's save.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBuild } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { createJsonStateStore } from '../../src/adapters/node/json-state-store.ts';
import { FEED_PATH, startBloggerServer, type BloggerServer } from '../helpers/blogger-server.ts';
import { bloggerFeedPages, postId } from '../helpers/blogger-feed.ts';
import { seededRandom } from '../helpers/generate-origin.ts';
import { runChild } from '../helpers/child-process.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ferry.js');
const key = generateKeyPair(new Uint8Array(32).fill(5)).privateKey;
const BLOG = '7001';
const POSTS = 10;
const ROUNDS = 10;

let work: string;
let server: BloggerServer;
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-race-'));
  // Every post carries a script: the sanitizer removes it and the guard holds the post back.
  const pages = bloggerFeedPages({
    blogId: BLOG,
    title: 'Race',
    posts: Array.from({ length: POSTS }, (_, i) => ({
      n: i + 1,
      title: `Post ${i + 1}`,
      html: `<p>text ${i + 1}</p><script>alert(${i + 1})</script>`,
      published: `2026-01-${String(i + 1).padStart(2, '0')}T10:00:00.000Z`,
      updated: `2026-01-${String(i + 1).padStart(2, '0')}T10:00:00.000Z`,
    })),
  });
  server = await startBloggerServer(work, {
    routes: {
      [FEED_PATH]: async (_req, res, base) => {
        await gate;
        const text = (pages[0] ?? '').replaceAll('{BASE}', base);
        res.writeHead(200, { 'content-type': 'application/atom+xml; charset=UTF-8' }).end(text);
      },
    },
  });
});
afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

/** `ferry approve <id>` as its own process, ended if it runs past 30 s. */
async function approve(id: string, data: string): Promise<{ code: number | null; out: string }> {
  const run = await runChild(process.execPath, [BIN, 'approve', id, '--data', data], { cwd: work, timeoutMs: 30_000 });
  return { code: run.code, out: run.stdout + run.stderr };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('state store: one writer', () => {
  it('loses no approval when ferry approve and a build run at once, round after round', async () => {
    const data = join(work, 'data');
    const out = join(work, 'out');
    const source = `${server.base}${FEED_PATH}`;
    const build = () => runBuild({ source, out, dataDir: data, privateKey: key, mirrors: [] });

    const first = await build();
    expect(first.quarantined).toHaveLength(POSTS);
    const pending = new Map((await createJsonStateStore(data).load(source)).pending.map((q) => [q.id, q.hash]));
    expect(pending.size).toBe(POSTS);

    const random = seededRandom(20261207);
    const approved: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const id = postId(BLOG, round + 1);
      let approval: Promise<{ code: number | null; out: string }>;
      if (round % 2 === 0) {
        // The build loads the state, then waits on the origin until the approval is written.
        let release = (): void => undefined;
        gate = new Promise<void>((r) => (release = r));
        const running = build();
        approval = approve(id, data).finally(release);
        await running;
      } else {
        gate = sleep(Math.floor(random() * 300));
        const offset = Math.floor(random() * 600);
        const running = build();
        approval = sleep(offset).then(() => approve(id, data));
        await running;
      }
      const result = await approval;
      expect(result.out).toContain(`(${id})`);
      expect(result.code).toBe(0);
      approved.push(id);
      const state = await createJsonStateStore(data).load(source);
      for (const a of approved) expect({ round, id: a, hash: state.approvals[a] }).toEqual({ round, id: a, hash: pending.get(a) });
    }

    gate = Promise.resolve();
    const last = await build();
    expect(last.quarantined.map((q) => q.id).sort()).toEqual(
      Array.from({ length: POSTS - ROUNDS }, (_, i) => postId(BLOG, ROUNDS + i + 1)).sort(),
    );
    expect(last.posts).toBe(ROUNDS);
    // No lock file, or a lock's private file, is left behind.
    const [site] = await readdir(join(data, 'sites'));
    expect((await readdir(join(data, 'sites', site ?? ''))).filter((f) => f.includes('lock'))).toEqual([]);
  }, 180_000);
});
