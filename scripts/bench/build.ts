// Benchmark: build a generated origin of N posts (default 10,000) served as a paged Atom feed on
// loopback, the way Blogger serves one, and print wall time and peak memory as JSON.
// Target on a 2-core machine: <= 10 s and <= 300 MB.
//   npx tsx scripts/bench/build.ts [--posts N] [--per-page M]
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '10000' },
    'per-page': { type: 'string', default: '500' },
    child: { type: 'string' },
  },
});

if (values.child !== undefined) {
  // Child: one build, measured from inside so the figure is the build's own peak memory.
  const [source, out, data] = JSON.parse(values.child) as [string, string, string];
  const { runBuildIsolated, DEFAULT_BUILD_MEMORY_MB } = await import('../../src/node/build-worker.ts');
  const { generateKeyPair } = await import('../../src/core/manifest.ts');
  const { randomBytes } = await import('node:crypto');
  const started = performance.now();
  let lastStage = '';
  // As `ferry build` runs it: in a worker thread with the default memory budget.
  const report = await runBuildIsolated(
    {
      source,
      out,
      dataDir: data,
      privateKey: generateKeyPair(randomBytes(32)).privateKey,
      mirrors: [{ id: 'bench', kind: 'http', url: 'https://mirror.example.org/', priority: 1 }],
      sourceLimits: { maxBytes: 64 * 1024 * 1024 },
    },
    {
      memoryMb: Number(process.env.BENCH_MEMORY_MB ?? DEFAULT_BUILD_MEMORY_MB),
      onProgress: (stage, message) => {
        const at = Math.round(performance.now() - started);
        const mem = process.memoryUsage();
        const rss = `${Math.round(mem.rss / 1048576)} MB rss, ${Math.round(mem.heapUsed / 1048576)} MB heap, ${Math.round(mem.arrayBuffers / 1048576)} MB buffers`;
        if (stage !== lastStage || message.startsWith('read page 20')) process.stderr.write(`${at} ms ${rss} [${stage}] ${message}\n`);
        lastStage = stage;
      },
    },
  );
  const wallMs = performance.now() - started;
  process.stdout.write(
    JSON.stringify({
      wallMs: Math.round(wallMs),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      posts: report.posts,
      files: report.files,
    }),
  );
  process.exit(0);
}

const total = Number(values.posts);
const perPage = Number(values['per-page']);
const LABELS = [
  '人权',
  'Human Rights',
  '新闻自由',
  'Press Freedom',
  '互联网自由',
  'Internet Freedom',
  '六四',
  'Tiananmen',
  'Events',
  '活动',
];
const ZH =
  '来到美国也5年了。在这5年的时间里，我深深地体会到了美国的自由与民主。我们呼吁拆除中国的网络防火墙，让每一个中国人都能自由地获取信息。';
const EN =
  'On June 7 a meeting was held to remember the anniversary. Members called for freedom of speech, of the press and of the internet in China. ';

function entry(i: number): string {
  const date = new Date(Date.UTC(2008, 4, 1) + i * 8 * 3600_000);
  const iso = date.toISOString().replace('Z', '-07:00');
  const zh = i % 2 === 0;
  const body = (zh ? ZH : EN).repeat(zh ? 8 : 10);
  const title = zh ? `第${i}篇：拆除网络防火墙` : `Post ${i}: Remembering Tiananmen`;
  const y = iso.slice(0, 4);
  const m = iso.slice(5, 7);
  const labels = [LABELS[i % LABELS.length], LABELS[(i * 7) % LABELS.length]];
  const escaped = `<p>${body}</p><p><a href="http://gongminziyoulianmeng.blogspot.com/${y}/${m}/post-${i - 1}.html">previous</a></p>`
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
  return (
    `<entry><id>tag:blogger.com,1999:blog-1.post-${i}</id><published>${iso}</published><updated>${iso}</updated>` +
    labels.map((l) => `<category scheme="http://www.blogger.com/atom/ns#" term="${l}"/>`).join('') +
    `<title type="text">${title}</title><content type="html">${escaped}</content>` +
    `<link rel="alternate" type="text/html" href="http://gongminziyoulianmeng.blogspot.com/${y}/${m}/post-${i}.html"/>` +
    `<author><name>Coalition for Citizens Rights</name></author></entry>`
  );
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const start = Number(url.searchParams.get('start-index') ?? '1');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const last = Math.min(total, start + perPage - 1);
  let xml =
    `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>tag:blogger.com,1999:blog-1</id>` +
    `<title type="text">公民自由联盟 Coalition for Citizens Rights</title><subtitle type="html">Bench blog</subtitle>` +
    `<link rel="alternate" type="text/html" href="http://gongminziyoulianmeng.blogspot.com/"/>`;
  if (last < total) xml += `<link rel="next" href="${base}/feeds/posts/default?start-index=${last + 1}&amp;max-results=${perPage}"/>`;
  for (let i = total - start + 1; i >= total - last + 1; i--) xml += entry(i);
  xml += '</feed>';
  res.writeHead(200, { 'content-type': 'application/atom+xml; charset=UTF-8' }).end(xml);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const work = await mkdtemp(join(tmpdir(), 'ferry-bench-build-'));
try {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      JSON.stringify([`http://127.0.0.1:${port}/feeds/posts/default`, join(work, 'out'), join(work, 'data')]),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`build child exited ${code}`);
  const m = JSON.parse(out) as { wallMs: number; peakRssMB: number; posts: number; files: number };
  console.log(
    JSON.stringify({
      bench: 'build',
      posts: m.posts,
      files: m.files,
      wallSeconds: m.wallMs / 1000,
      peakRssMB: m.peakRssMB,
      targets: { wallSeconds: 10, peakRssMB: 300 },
      withinTargets: m.wallMs <= 10_000 && m.peakRssMB <= 300,
    }),
  );
} finally {
  server.close();
  await rm(work, { recursive: true, force: true });
}
