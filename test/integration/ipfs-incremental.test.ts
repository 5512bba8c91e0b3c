// The incremental UnixFS import against the full one (importSnapshot, built on
// ipfs-unixfs-importer) and against an independent tool (ipfs-car 3.1.0 `pack --no-wrap`), step
// by step through the changes a republish sees, with the filesystem block store and the import
// cache on disk; plus randomised trees and HAMT name sets, and the failure paths.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_PATH, createManifest, serializeManifest } from '../../src/core/manifest.ts';
import { walkDag } from '../../src/adapters/ipfs/car.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { createMemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { createFileImportCache, createMemoryImportCache, importCacheFile, parseImportCache } from '../../src/adapters/ipfs/import-cache.ts';
import { importSnapshot, importSnapshotIncremental, manifestDigests } from '../../src/adapters/ipfs/unixfs-import.ts';
import type { BlockGetter } from '../../src/ports/ipfs.ts';
import type { SnapshotFiles } from '../../src/ports/publisher.ts';
import { snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';
import { ipfsCarPack } from '../helpers/ipfs-car-cli.ts';
import { seededRandom } from '../helpers/generate-origin.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-ipfs-incremental-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function noise(length: number, seed: number): Uint8Array {
  const rand = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** The snapshot with a fresh /manifest.json listing every other file (as the build writes it). */
function withManifest(files: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const content = new Map([...files].filter(([path]) => path !== MANIFEST_PATH));
  const manifest = createManifest({
    version: 1,
    created: new Date('2026-01-01T00:00:00Z'),
    expires: new Date('2026-02-01T00:00:00Z'),
    canonical: 'https://blog.example/',
    mirrors: [],
    files: content,
  });
  content.set(MANIFEST_PATH, serializeManifest(manifest));
  return content;
}

async function writeFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const entries = [...files];
  const folders = new Set(entries.map(([path]) => join(dir, ...path.slice(1).split('/'), '..')));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(([path, bytes]) => writeFile(join(dir, ...path.slice(1).split('/')), bytes)));
  }
}

async function dagOf(root: CID, store: BlockGetter): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const block of walkDag(root, store)) out.add(block.cid.toString());
  return out;
}

const difference = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => [...a].filter((x) => !b.has(x)).length;

/** A lazy snapshot (as republish passes it) noting every path read; tamper replaces a file's bytes. */
function lazy(files: ReadonlyMap<string, Uint8Array>, reads: string[] = [], tamper?: ReadonlyMap<string, Uint8Array>): SnapshotFiles {
  const inner = snapshotFilesOf(files);
  return {
    entries: inner.entries,
    async read(path) {
      reads.push(path);
      return tamper?.get(path) ?? inner.read(path);
    },
  };
}

describe('step by step through a republish, equal to importSnapshot and ipfs-car', () => {
  // Base: a few posts, a 1.5 MiB file (three blocks), and a folder of exactly 1000 entries (the
  // largest ipfs-car keeps flat).
  const base = new Map<string, Uint8Array>([
    ['/index.html', enc('<!doctype html><title>Ferry</title>')],
    ['/posts/a/index.html', enc('<p>文章 a</p>')],
    ['/posts/b/index.html', enc('<p>post b</p>')],
    ['/media/clip.bin', noise(1.5 * MiB, 1)],
    ['/media/small.bin', noise(MiB - 1, 2)],
    ...Array.from({ length: 1000 }, (_, i): [string, Uint8Array] => [`/tags/标签-${i}.html`, enc(`<p>tag ${i}</p>`)]),
  ]);
  // car: ipfs-car packs this step's folder too (about 1 s of CPU a run): the steps whose DAG has a
  // shape no earlier step had. Every step is compared with a full import.
  type Step = { name: string; change: (files: Map<string, Uint8Array>) => void; hashed?: number; encoded?: number; car?: true };
  const steps: Step[] = [
    { name: 'first import', change: () => undefined, car: true },
    { name: 'nothing changed', change: () => undefined, hashed: 1, encoded: 0 },
    { name: 'one post changed', change: (f) => f.set('/posts/a/index.html', enc('<p>文章 a（已更新）</p>')), hashed: 2, encoded: 3 },
    { name: 'one post added', change: (f) => f.set('/posts/c/index.html', enc('<p>post c</p>')), hashed: 2, encoded: 3 },
    { name: 'one post removed', change: (f) => f.delete('/posts/b/index.html'), hashed: 1, encoded: 2 },
    {
      name: 'a file grows from 1 MiB - 1 to 1 MiB + 1 (raw block -> file node)',
      change: (f) => f.set('/media/small.bin', noise(MiB + 1, 3)),
      car: true,
    },
    { name: 'and shrinks to exactly 1 MiB (one raw block again)', change: (f) => f.set('/media/small.bin', noise(MiB, 4)), hashed: 2 },
    {
      name: 'the HAMT threshold: 1000 -> 1001 entries',
      change: (f) => f.set('/tags/标签-1000.html', enc('<p>tag 1000</p>')),
      hashed: 2,
      car: true,
    },
    {
      name: 'one entry of the HAMT changed',
      change: (f) => f.set('/tags/标签-7.html', enc('<p>tag 7, edited</p>')),
      hashed: 2,
      encoded: 2,
    },
    {
      name: 'the HAMT grows by 500 entries',
      change: (f) => {
        for (let i = 1001; i < 1501; i++) f.set(`/tags/标签-${i}.html`, enc(`<p>tag ${i}</p>`));
      },
      car: true,
    },
    {
      name: 'back to 1000 entries (flat again)',
      change: (f) => {
        for (let i = 1000; i < 1501; i++) f.delete(`/tags/标签-${i}.html`);
      },
      hashed: 1,
    },
    {
      name: 'the large file unchanged, everything else removed',
      change: (f) => {
        for (const key of [...f.keys()]) if (key !== '/media/clip.bin') f.delete(key);
      },
      hashed: 1,
      car: true,
    },
  ];

  it(
    'every step: same root and blocks as a full import (and ipfs-car for each new shape); only folders on a changed path encoded, only new blocks written',
    { timeout: 120_000 },
    async () => {
      const data = join(work, 'steps-data');
      const dir = blockstoreDir(data);
      const cache = createFileImportCache({ file: importCacheFile(data), onInvalid: (_f, reason) => expect.fail(reason) });
      let files = withManifest(base);
      let previousDag = new Set<string>();
      const everStored = new Set<string>();
      const packs: Array<{ root: string; car: Promise<string> }> = [];
      for (const [index, step] of steps.entries()) {
        const changed = new Map(files);
        step.change(changed);
        files = withManifest(changed);

        // A fresh store object each step: a new `ferry publish` process.
        const ours = await importSnapshotIncremental(files, createFsBlockstore({ dir }), { digests: manifestDigests(files), cache });
        const referenceStore = createMemoryBlockstore();
        const reference = await importSnapshot(files, referenceStore);
        if (step.car === true) {
          const folder = join(work, `step-${index}`);
          await writeFolder(folder, files);
          // ipfs-car runs while the next steps go on (each run mostly waits on its own I/O).
          packs.push({
            root: ours.root.toString(),
            car: ipfsCarPack(folder, `${folder}.car`).catch((e: unknown) => `ipfs-car failed: ${String(e)}`),
          });
        }
        expect(ours.root.toString(), step.name).toBe(reference.root.toString());

        // Same DAG, complete in the store (every block read back and rehashed by the fs store).
        const dag = await dagOf(reference.root, referenceStore);
        expect(ours.blocks, step.name).toBe(dag.size);
        expect(await dagOf(ours.root, createFsBlockstore({ dir })), step.name).toEqual(dag);
        // Only blocks the store never had were written; only blocks new to this DAG were asked about.
        expect(ours.newBlocks, step.name).toBe(difference(dag, everStored));
        expect(ours.storeCalls, step.name).toBe(index === 0 ? dag.size : 1 + difference(dag, previousDag));
        if (step.hashed !== undefined) expect(ours.hashed, step.name).toBe(step.hashed);
        if (step.encoded !== undefined) expect(ours.encoded, step.name).toBe(step.encoded);
        expect(ours.chunked, step.name).toBe(index === 0 || step.name.startsWith('a file grows') ? 1 : 0);
        for (const cid of dag) everStored.add(cid);
        previousDag = dag;
      }
      expect(await Promise.all(packs.map((p) => p.car))).toEqual(packs.map((p) => p.root));
    },
  );

  it('every step from a lazy snapshot (SnapshotFiles): the same roots, and only changed files are read', { timeout: 60_000 }, async () => {
    const cache = createMemoryImportCache();
    const store = createMemoryBlockstore();
    let files = withManifest(base);
    let previous = new Map<string, Uint8Array>();
    for (const step of steps) {
      const changed = new Map(files);
      step.change(changed);
      files = withManifest(changed);
      const reads: string[] = [];
      const ours = await importSnapshotIncremental(lazy(files, reads), store, { cache });
      expect(ours.root.toString(), step.name).toBe((await importSnapshot(files, createMemoryBlockstore())).root.toString());
      const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.compare(a, b) === 0;
      const expected = [...files].filter(([path, bytes]) => !sameBytes(previous.get(path), bytes)).map(([path]) => path);
      expect([...new Set(reads)].sort(), step.name).toEqual(expected.sort());
      previous = files;
    }
    // The full import takes the lazy snapshot too (reading every file), with the same root.
    expect((await importSnapshot(lazy(files), createMemoryBlockstore())).root.toString()).toBe(
      (await importSnapshot(files, createMemoryBlockstore())).root.toString(),
    );
  });
});

describe('randomised trees and HAMT name sets', () => {
  const alphabet = ['a', 'b', 'Z', '0', '-', '_', '.', ' ', '文', '章', '人', '权', '！', '😀', 'é'];
  const randomName = (rand: () => number, length: number): string =>
    Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)] ?? 'x')
      .join('')
      .replace(/^\.+/, 'n');

  it('random edits of a random tree: incremental root equals the full import at every step', async () => {
    const rand = seededRandom(20260101);
    const store = createMemoryBlockstore();
    const cache = createMemoryImportCache();
    const files = new Map<string, Uint8Array>();
    const folders = ['', '/posts', '/posts/2024', '/posts/2024/文章', '/media', '/a b'];
    for (let round = 0; round < 60; round++) {
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const keys = [...files.keys()];
        const pick = keys[Math.floor(rand() * keys.length)];
        const roll = rand();
        if (pick !== undefined && roll < 0.25) files.delete(pick);
        else if (pick !== undefined && roll < 0.5) files.set(pick, noise(Math.floor(rand() * 300), round * 10 + e));
        else {
          const folder = folders[Math.floor(rand() * folders.length)] ?? '';
          const path = `${folder}/${randomName(rand, 1 + Math.floor(rand() * 8))}`;
          const clash = [...files.keys()].some((k) => k.startsWith(`${path}/`) || path.startsWith(`${k}/`));
          if (!clash && !folders.includes(path)) files.set(path, noise(Math.floor(rand() * 300), round * 10 + e));
        }
      }
      const snapshot = withManifest(files);
      const digests = rand() < 0.5 ? manifestDigests(snapshot) : undefined;
      const ours = await importSnapshotIncremental(snapshot, store, { digests, cache });
      const reference = await importSnapshot(snapshot, createMemoryBlockstore());
      expect(ours.root.toString(), `round ${round}`).toBe(reference.root.toString());
      expect(ours.blocks, `round ${round}`).toBe(reference.blocks);
    }
  });

  it('random edits inside a HAMT folder: reused buckets give the root of a fresh build', async () => {
    const rand = seededRandom(77);
    const store = createMemoryBlockstore();
    const cache = createMemoryImportCache();
    const files = new Map<string, Uint8Array>([['/index.html', enc('home')]]);
    for (let i = 0; i < 1500; i++) files.set(`/posts/${i}/index.html`, enc(`post ${i}`));
    for (let round = 0; round < 12; round++) {
      for (let e = 0; e < 1 + Math.floor(rand() * 6); e++) {
        const i = Math.floor(rand() * 1700);
        const roll = rand();
        if (roll < 0.3) files.delete(`/posts/${i}/index.html`);
        else if (roll < 0.6) files.set(`/posts/${i}/index.html`, enc(`post ${i} v${round}`));
        else files.set(`/posts/${i}/extra-${round}.html`, enc(`extra ${round}`));
      }
      const snapshot = withManifest(files);
      const digests = manifestDigests(snapshot);
      const ours = await importSnapshotIncremental(snapshot, store, { digests, cache });
      const fresh = await importSnapshotIncremental(snapshot, createMemoryBlockstore(), { digests });
      expect(ours.root.toString(), `round ${round}`).toBe(fresh.root.toString());
      expect(ours.blocks, `round ${round}`).toBe(fresh.blocks);
      if (round > 0) expect(ours.encoded, `round ${round}`).toBeLessThan(fresh.encoded);
      if (round === 11) expect(ours.root.toString()).toBe((await importSnapshot(snapshot, createMemoryBlockstore())).root.toString());
    }
  });

  const hamtCases: Array<{ seed: number; entries: number; nameLength: number; sharding: 'ipfs-car' | 'kubo' }> = [
    { seed: 1, entries: 1001, nameLength: 6, sharding: 'ipfs-car' },
    { seed: 2, entries: 1500, nameLength: 3, sharding: 'ipfs-car' },
    { seed: 3, entries: 2600, nameLength: 12, sharding: 'ipfs-car' },
    { seed: 4, entries: 2200, nameLength: 100, sharding: 'kubo' },
  ];
  for (const { seed, entries, nameLength, sharding } of hamtCases) {
    it(`HAMT of ${entries} random names (${nameLength} characters, ${sharding} rule) equals the importer's`, async () => {
      const rand = seededRandom(seed);
      const files = new Map<string, Uint8Array>([['/index.html', enc('home')]]);
      while (files.size < entries + 1) files.set(`/dir/${randomName(rand, 1 + Math.floor(rand() * nameLength))}`, enc(`${files.size}`));
      const ours = await importSnapshotIncremental(files, createMemoryBlockstore(), { sharding });
      const reference = await importSnapshot(files, createMemoryBlockstore(), { sharding });
      expect(ours.root.toString()).toBe(reference.root.toString());
      expect(ours.blocks).toBe(reference.blocks);
    });
  }
});

describe('digests and the cache are checked, never blindly trusted', () => {
  const files = withManifest(
    new Map([
      ['/index.html', enc('home')],
      ['/posts/a.html', enc('a')],
    ]),
  );

  it('refuses a block that does not match its digest, and a size that disagrees', async () => {
    const digests = manifestDigests(files) ?? {};
    const wrongHash = { ...digests, '/posts/a.html': { sha256: 'ab'.repeat(32), size: 1 } };
    await expect(importSnapshotIncremental(files, createMemoryBlockstore(), { digests: wrongHash })).rejects.toThrow(
      /\/posts\/a\.html does not match its digest/,
    );
    const wrongSize = { ...digests, '/index.html': { sha256: digests['/index.html']?.sha256 ?? '', size: 5 } };
    await expect(importSnapshotIncremental(files, createMemoryBlockstore(), { digests: wrongSize })).rejects.toThrow(
      /\/index\.html is 4 bytes, but its digest says 5/,
    );
  });

  it('refuses a lazy snapshot file whose bytes differ from its listed digest, before writing its block', async () => {
    const store = createMemoryBlockstore();
    const tamper = new Map([['/posts/a.html', enc('b')]]);
    await expect(importSnapshotIncremental(lazy(files, [], tamper), store, {})).rejects.toThrow(
      /\/posts\/a\.html does not match its digest/,
    );
    expect(await store.has((await importSnapshotIncremental(files, createMemoryBlockstore())).root)).toBe(false);
  });

  it('an unreadable cache file is reported and ignored, then replaced', async () => {
    const data = join(work, 'bad-cache');
    const file = importCacheFile(data);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, '{"format": "something else"}');
    const reasons: string[] = [];
    const cache = createFileImportCache({ file, onInvalid: (_f, reason) => reasons.push(reason) });
    const store = createFsBlockstore({ dir: blockstoreDir(data) });
    const ours = await importSnapshotIncremental(files, store, { cache });
    expect(reasons).toEqual([expect.stringMatching(/format/)]);
    expect(ours.root.toString()).toBe((await importSnapshot(files, createMemoryBlockstore())).root.toString());
    const saved = parseImportCache(await readFile(file, 'utf8'));
    if (typeof saved === 'string') throw new Error(saved);
    expect(saved.root).toBe(ours.root.toString());
    expect(saved.files.size).toBe(files.size);
    expect(saved.dirs.size).toBe(ours.directories);
  });

  it('a wiped store is noticed (its last root is gone): every block is written again', async () => {
    const data = join(work, 'wiped');
    const cache = createFileImportCache({ file: importCacheFile(data) });
    const first = await importSnapshotIncremental(files, createFsBlockstore({ dir: blockstoreDir(data) }), { cache });
    await rm(blockstoreDir(data), { recursive: true });
    const store = createFsBlockstore({ dir: blockstoreDir(data) });
    const again = await importSnapshotIncremental(files, store, { cache });
    expect(again.root.toString()).toBe(first.root.toString());
    expect(again.newBlocks).toBe(again.blocks);
    expect((await dagOf(again.root, store)).size).toBe(again.blocks);
  });

  it('a cache written under one sharding rule is not used for the other', async () => {
    const many = withManifest(new Map(Array.from({ length: 1001 }, (_, i): [string, Uint8Array] => [`/p/${i}`, enc(`${i}`)])));
    const cache = createMemoryImportCache();
    const store = createMemoryBlockstore();
    for (const sharding of ['ipfs-car', 'kubo', 'ipfs-car'] as const) {
      const ours = await importSnapshotIncremental(many, store, { cache, sharding });
      expect(ours.root.toString(), sharding).toBe((await importSnapshot(many, createMemoryBlockstore(), { sharding })).root.toString());
    }
  });

  it('a cached large file whose blocks are gone is chunked again', async () => {
    const big = withManifest(new Map([['/big.bin', noise(2 * MiB + 5, 9)]]));
    const cache = createMemoryImportCache();
    const first = await importSnapshotIncremental(big, createMemoryBlockstore(), { cache });
    // Same cache, another (empty) store: the last root is not there, so the stored set is dropped.
    const other = createMemoryBlockstore();
    const again = await importSnapshotIncremental(big, other, { cache });
    expect(again.root.toString()).toBe(first.root.toString());
    expect(again.chunked).toBe(1);
    expect((await dagOf(again.root, other)).size).toBe(again.blocks);
  });
});
