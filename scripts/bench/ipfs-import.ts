// Benchmark: a generated 10,000-post blog (about 5 KB of HTML each, plus images, plus the
// manifest) imported as UnixFS (unixfs-v1-2025) into the filesystem block store, in the same run:
//   - full: importSnapshot (ipfs-unixfs-importer for every file and directory), cold and after one
//     post changed (the figures before the incremental import existed);
//   - incremental: importSnapshotIncremental as `ferry publish` calls it (the snapshot opened
//     lazily: the manifest's digests, a file read only when its block is new; the import cache in
//     the data folder), cold, unchanged, one
//     post changed (new store object = new process), another post changed (the cold import's
//     store object = long-running `ferry serve`), and from the folder without digests (every file
//     read and hashed; what `ferry car` would do);
//   - `ipfs-car pack --no-wrap` on the same folder. Prints JSON.
//
//   npx tsx scripts/bench/ipfs-import.ts [--posts 10000] [--images 300]
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { MANIFEST_PATH, SIGNATURE_PATH, createManifest, serializeManifest } from '../../src/core/manifest.ts';
import { openSnapshotFiles } from '../../src/adapters/node/snapshot-source.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { createFileImportCache, importCacheFile } from '../../src/adapters/ipfs/import-cache.ts';
import {
  importSnapshot,
  importSnapshotIncremental,
  type IncrementalImportSummary,
  type ImportSummary,
} from '../../src/adapters/ipfs/unixfs-import.ts';
import { seededRandom } from '../../test/helpers/generate-origin.ts';

const { values } = parseArgs({ options: { posts: { type: 'string', default: '10000' }, images: { type: 'string', default: '300' } } });
const posts = Number(values.posts);
const images = Number(values.images);

function postHtml(i: number, edited = false): string {
  const rand = seededRandom(i + 1);
  const words = ['人权', '自由', 'freedom', 'report', '新闻', 'the', 'and', '记录', 'witness', 'court', '律师', 'lawyer'];
  let body = '';
  while (body.length < 4800) body += `${words[Math.floor(rand() * words.length)] ?? ''} `;
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Post ${i}</title></head><body><article><h1>第 ${i} 篇${edited ? '（已更新）' : ''}</h1><p>${body}</p></article></body></html>`;
}

const postPath = (i: number): string => `/posts/2024-${String((i % 12) + 1).padStart(2, '0')}-post-${i}/index.html`;

const site = await mkdtemp(join(tmpdir(), 'ferry-bench-site-'));
const fullData = await mkdtemp(join(tmpdir(), 'ferry-bench-full-'));
const data = await mkdtemp(join(tmpdir(), 'ferry-bench-data-'));
try {
  // Written to the folder (for ipfs-car and the folder import) and kept in memory.
  const files = new Map<string, Uint8Array>();
  const put = async (path: string, bytes: Uint8Array): Promise<void> => {
    const full = join(site, ...path.slice(1).split('/'));
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, bytes);
    files.set(path, bytes);
  };
  await put('/index.html', Buffer.from('<!doctype html><title>Ferry bench</title>'));
  await put('/feed.xml', Buffer.from('<rss/>'));
  let totalBytes = 0;
  for (let i = 0; i < posts; i++) {
    const html = Buffer.from(postHtml(i));
    totalBytes += html.byteLength;
    await put(postPath(i), html);
  }
  for (let i = 0; i < images; i++) {
    const rand = seededRandom(1_000_000 + i);
    const bytes = new Uint8Array(20_000 + Math.floor(rand() * 180_000)).map(() => Math.floor(rand() * 256));
    totalBytes += bytes.byteLength;
    await put(`/media/photo-${i}.jpg`, bytes);
  }

  const time = async <T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> => {
    const start = performance.now();
    const result = await run();
    return { ms: Math.round(performance.now() - start), result };
  };
  // The manifest is the build's output (its digests are taken as files are rendered); here it is
  // made from the files in memory, outside the timed imports. The signature is a placeholder.
  const sign = async (): Promise<void> => {
    const content = new Map([...files].filter(([path]) => path !== MANIFEST_PATH && path !== SIGNATURE_PATH));
    const head = {
      version: 1,
      created: new Date('2026-01-01T00:00:00Z'),
      expires: new Date('2026-02-01T00:00:00Z'),
      canonical: 'https://blog.example/',
      mirrors: [],
    };
    await put(MANIFEST_PATH, serializeManifest(createManifest({ ...head, files: content })));
    await put(SIGNATURE_PATH, new Uint8Array(64).fill(7));
  };
  const editPost = async (i: number): Promise<void> => {
    await put(postPath(i), Buffer.from(postHtml(i, true)));
    await sign();
  };
  await sign();
  // What republish imports: the snapshot opened lazily (manifest.json and its signature read).
  const open = await time(() => openSnapshotFiles(site));

  // Before: the importer for everything.
  const fullDir = blockstoreDir(fullData);
  const fullCold = await time(() => importSnapshot(files, createFsBlockstore({ dir: fullDir })));

  // After: incremental, as republish calls it.
  const dir = blockstoreDir(data);
  const cache = createFileImportCache({ file: importCacheFile(data) });
  // Opened anew each time (as each republish does), inside the timed import.
  const incremental = async (store = createFsBlockstore({ dir })) =>
    importSnapshotIncremental(await openSnapshotFiles(site), store, { cache });
  const warm = createFsBlockstore({ dir });
  const cold = await time(() => incremental(warm));
  const unchanged = await time(() => incremental());
  const changed = Math.floor(posts / 2);
  await editPost(changed);
  const oneChanged = await time(() => incremental());
  const fullOneChanged = await time(() => importSnapshot(files, createFsBlockstore({ dir: fullDir })));
  await editPost(changed + 1);
  const oneChangedWarm = await time(() => incremental(warm));
  const folderNoDigests = await time(() => importSnapshotIncremental(site, createFsBlockstore({ dir }), { cache }));

  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('ipfs-car/package.json')), 'bin.js');
  const carFile = join(data, 'ipfs-car.car');
  const ipfsCar = await time(async () =>
    (await promisify(execFile)(process.execPath, [bin, 'pack', site, '--no-wrap', '--output', carFile])).stdout.trim(),
  );

  const summary = (r: ImportSummary) => ({
    root: r.root.toString(),
    files: r.files,
    directories: r.directories,
    blocks: r.blocks,
    newBlocks: r.newBlocks,
  });
  const details = (r: IncrementalImportSummary) => ({ ...summary(r), hashed: r.hashed, chunked: r.chunked, storeCalls: r.storeCalls });
  process.stdout.write(
    `${JSON.stringify(
      {
        machine: { cpus: cpus().length, node: process.version },
        snapshot: { posts, images, files: cold.result.files, bytes: totalBytes },
        openSnapshotFilesMs: open.ms,
        full: {
          importCold: { ms: fullCold.ms, ...summary(fullCold.result) },
          reimportOnePostChanged: { ms: fullOneChanged.ms, ...summary(fullOneChanged.result) },
        },
        incremental: {
          importCold: { ms: cold.ms, ...details(cold.result) },
          reimportUnchanged: { ms: unchanged.ms, ...details(unchanged.result) },
          reimportOnePostChanged: { ms: oneChanged.ms, ...details(oneChanged.result) },
          reimportAnotherPostChangedWarmStore: { ms: oneChangedWarm.ms, ...details(oneChangedWarm.result) },
          folderWithoutDigests: { ms: folderNoDigests.ms, ...details(folderNoDigests.result) },
        },
        ipfsCarPack: { ms: ipfsCar.ms, root: ipfsCar.result, note: 'separate process (includes Node start-up), writes the whole CAR file' },
        sameRootAsFullImport: fullOneChanged.result.root.toString() === oneChanged.result.root.toString(),
        sameRootAsIpfsCar:
          ipfsCar.result === oneChangedWarm.result.root.toString() && ipfsCar.result === folderNoDigests.result.root.toString(),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await rm(site, { recursive: true, force: true });
  await rm(fullData, { recursive: true, force: true });
  await rm(data, { recursive: true, force: true });
}
