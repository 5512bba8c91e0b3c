// Benchmark: what an incremental Blogger read saves. A generated blog of N posts (default 10,000)
// is served on loopback by the test Blogger origin, which answers updated-min as Blogger does;
// after a first (full) build, one post is added and the blog is built again incrementally, then
// once more with a full read (fullReadHours 0). Prints JSON: per build, wall time, time spent
// reading the origin (ingest stage), feed requests.
//   npx tsx scripts/bench/ingest.ts [--posts N] [--per-page M]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBuild, type Stage } from '../../src/node/build-pipeline.ts';
import { generateKeyPair } from '../../src/core/manifest.ts';
import { FEED_PATH, startBloggerServer } from '../../test/helpers/blogger-server.ts';
import { writeBloggerFeed, type FeedPost } from '../../test/helpers/blogger-feed.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '10000' }, 'per-page': { type: 'string', default: '500' } } });
const count = Number(values.posts);
const perPage = Number(values['per-page']);
const T0 = Date.parse('2026-12-01T00:00:00Z');
const post = (n: number, updated = Date.UTC(2020, 0, 1) + n * 60_000): FeedPost => ({
  n,
  title: `Post ${n}`,
  html: `<p>Report ${n}: ${'freedom of the press and of assembly. '.repeat(20)}</p>`,
  published: new Date(Date.UTC(2020, 0, 1) + n * 60_000).toISOString(),
  updated: new Date(updated).toISOString(),
});

const work = await mkdtemp(join(tmpdir(), 'ferry-bench-ingest-'));
const folder = join(work, 'origin');
const server = await startBloggerServer(folder, { updatedMin: true });
try {
  const posts = Array.from({ length: count }, (_, i) => post(i + 1));
  await writeBloggerFeed(folder, { blogId: '1', title: 'Bench', posts, perPage });
  const key = generateKeyPair(new Uint8Array(32).fill(1)).privateKey;
  const build = async (at: number, fullReadHours?: number) => {
    const before = server.feedRequests();
    const marks: Partial<Record<Stage, number>> = {};
    const started = performance.now();
    const report = await runBuild({
      source: `${server.base}${FEED_PATH}`,
      out: join(work, 'out'),
      dataDir: join(work, 'data'),
      privateKey: key,
      mirrors: [],
      now: () => new Date(at),
      sourceLimits: { maxBytes: 64 * 1024 * 1024 },
      ...(fullReadHours === undefined ? {} : { fullReadHours }),
      onProgress: (stage) => {
        marks[stage] ??= performance.now();
      },
    });
    const end = performance.now();
    return {
      wallMs: Math.round(end - started),
      readMs: Math.round((marks.sanitize ?? end) - (marks.ingest ?? started)),
      feedRequests: server.feedRequests() - before,
      posts: report.posts,
    };
  };
  const first = await build(T0);
  await writeBloggerFeed(folder, { blogId: '1', title: 'Bench', posts: [...posts, post(count + 1, T0 + 1_800_000)], perPage });
  const incremental = await build(T0 + 3_600_000);
  const full = await build(T0 + 7_200_000, 0);
  process.stdout.write(`${JSON.stringify({ posts: count, perPage, first, incremental, full })}\n`);
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}
