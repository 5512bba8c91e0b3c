// Benchmark: a generated 10,000-post blog (about 5 KB of HTML each, plus images) imported as
// UnixFS (unixfs-v1-2025) into the filesystem block store; a re-import with nothing changed; a
// re-import after one post changed (only that file's block and the directory blocks on its path
// are new); and `ipfs-car pack --no-wrap` on the same folder, in the same run. Prints JSON.
//
//   npx tsx scripts/bench/ipfs-import.ts [--posts 10000] [--images 300]
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '10000' }, images: { type: 'string', default: '300' } } });
const posts = Number(values.posts);
const images = Number(values.images);

function pseudoRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function postHtml(i: number, edited = false): string {
  const rand = pseudoRandom(i + 1);
  const words = ['人权', '自由', 'freedom', 'report', '新闻', 'the', 'and', '记录', 'witness', 'court', '律师', 'lawyer'];
  let body = '';
  while (body.length < 4800) body += `${words[Math.floor(rand() * words.length)] ?? ''} `;
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Post ${i}</title></head><body><article><h1>第 ${i} 篇${edited ? '（已更新）' : ''}</h1><p>${body}</p></article></body></html>`;
}

const postDir = (site: string, i: number): string => join(site, 'posts', `2024-${String((i % 12) + 1).padStart(2, '0')}-post-${i}`);

const site = await mkdtemp(join(tmpdir(), 'ferry-bench-site-'));
const data = await mkdtemp(join(tmpdir(), 'ferry-bench-data-'));
try {
  await writeFile(join(site, 'index.html'), '<!doctype html><title>Ferry bench</title>');
  await writeFile(join(site, 'feed.xml'), '<rss/>');
  let totalBytes = 0;
  for (let i = 0; i < posts; i++) {
    const dir = postDir(site, i);
    await mkdir(dir, { recursive: true });
    const html = postHtml(i);
    totalBytes += Buffer.byteLength(html);
    await writeFile(join(dir, 'index.html'), html);
  }
  await mkdir(join(site, 'media'), { recursive: true });
  for (let i = 0; i < images; i++) {
    const rand = pseudoRandom(1_000_000 + i);
    const bytes = new Uint8Array(20_000 + Math.floor(rand() * 180_000)).map(() => Math.floor(rand() * 256));
    totalBytes += bytes.byteLength;
    await writeFile(join(site, 'media', `photo-${i}.jpg`), bytes);
  }

  const time = async <T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> => {
    const start = performance.now();
    const result = await run();
    return { ms: Math.round(performance.now() - start), result };
  };
  const dir = blockstoreDir(data);
  // Each run gets a fresh store object (a new process, as `ferry publish` is) except `warm`, which
  // keeps the one from the cold import (what the long-running `ferry serve` does).
  const warm = createFsBlockstore({ dir });
  const cold = await time(() => importSnapshot(site, warm));
  const unchanged = await time(() => importSnapshot(site, createFsBlockstore({ dir })));
  const changed = Math.floor(posts / 2);
  await writeFile(join(postDir(site, changed), 'index.html'), postHtml(changed, true));
  const oneChanged = await time(() => importSnapshot(site, createFsBlockstore({ dir })));
  await writeFile(join(postDir(site, changed + 1), 'index.html'), postHtml(changed + 1, true));
  const oneChangedWarm = await time(() => importSnapshot(site, warm));

  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('ipfs-car/package.json')), 'bin.js');
  const carFile = join(data, 'ipfs-car.car');
  const ipfsCar = await time(async () => (await promisify(execFile)(process.execPath, [bin, 'pack', site, '--no-wrap', '--output', carFile])).stdout.trim());

  const summary = (r: Awaited<ReturnType<typeof importSnapshot>>) => ({ root: r.root.toString(), files: r.files, directories: r.directories, blocks: r.blocks, newBlocks: r.newBlocks });
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: { cpus: cpus().length, node: process.version },
        snapshot: { posts, images, files: cold.result.files, bytes: totalBytes },
        importCold: { ms: cold.ms, ...summary(cold.result) },
        reimportUnchanged: { ms: unchanged.ms, ...summary(unchanged.result) },
        reimportOnePostChanged: { ms: oneChanged.ms, ...summary(oneChanged.result) },
        reimportAnotherPostChangedWarmStore: { ms: oneChangedWarm.ms, ...summary(oneChangedWarm.result) },
        ipfsCarPack: { ms: ipfsCar.ms, root: ipfsCar.result, note: 'separate process (includes Node start-up), writes the whole CAR file' },
        sameRootAsIpfsCar: ipfsCar.result === oneChangedWarm.result.root.toString(),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(site, { recursive: true, force: true });
  await rm(data, { recursive: true, force: true });
}
