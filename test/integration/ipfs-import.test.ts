// UnixFS import with the unixfs-v1-2025 settings, checked against an independent tool
// (ipfs-car 3.1.0 `pack --no-wrap`) and against ipfs-unixfs-importer's own 'unixfs-v1-2025'
// profile (the Kubo-conformance-tested path) for the Kubo sharding rule.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dagPb from '@ipld/dag-pb';
import { importer } from 'ipfs-unixfs-importer';
import { UnixFS } from 'ipfs-unixfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSnapshot, importSnapshotIncremental } from '../../src/adapters/ipfs/unixfs-import.ts';
import { createMemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { blockstoreDir, createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { resolveUnixfsPath } from '../../src/adapters/ipfs/unixfs-path.ts';
import { ipfsCar, ipfsCarPack } from '../helpers/ipfs-car-cli.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-ipfs-import-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Deterministic pseudo-random bytes (so multi-chunk files are not all one repeated chunk). */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const cases: Record<string, Map<string, Uint8Array>> = {
  small: new Map([
    ['/index.html', enc('<!doctype html><title>Ferry</title>')],
    ['/feed.xml', enc('<rss/>')],
  ]),
  'multi-chunk 2.5 MiB file': new Map([
    ['/media/video.bin', noise(2.5 * 1024 * 1024, 7)],
    ['/index.html', enc('x')],
  ]),
  'Chinese, full-width and emoji names': new Map([
    ['/文章/人权观察.html', enc('你好，世界')],
    ['/！公告.txt', enc('a')],
    ['/😀.txt', enc('b')],
    ['/Zeta.txt', enc('c')],
    ['/posts/中文 空格.html', enc('d')],
  ]),
  'nested folders': new Map([
    ['/posts/2024/01/hello/index.html', enc('deep')],
    ['/posts/2024/02/index.html', enc('feb')],
    ['/index.html', enc('top')],
  ]),
  'empty file': new Map([
    ['/empty', new Uint8Array(0)],
    ['/sub/also-empty.txt', new Uint8Array(0)],
    ['/y', enc('y')],
  ]),
  // (A top-level file too: ipfs-car strips the prefix all files share, so a folder holding only
  // posts/ would pack as posts/ itself; Ferry and Kubo keep posts/ as an entry of the root.)
  '2000 files in one folder (HAMT)': new Map([
    ['/index.html', enc('home')],
    ...Array.from({ length: 2000 }, (_, i): [string, Uint8Array] => [`/posts/post-${i}.html`, enc(`<p>post ${i}</p>`)]),
  ]),
};

async function writeFolder(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of files) {
    const full = join(dir, ...path.slice(1).split('/'));
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, bytes);
  }
}

describe('importSnapshot (unixfs-v1-2025) equals ipfs-car pack --no-wrap', () => {
  for (const [name, files] of Object.entries(cases)) {
    it(name, async () => {
      const dir = join(work, name.replace(/[^a-z0-9]+/gi, '-'));
      await writeFolder(dir, files);
      const expected = await ipfsCarPack(dir, `${dir}.car`);
      expect(expected).toMatch(/^bafy/);

      const fromFolder = await importSnapshot(dir, createMemoryBlockstore());
      const fromMap = await importSnapshot(files, createMemoryBlockstore());
      expect(fromFolder.root.toString()).toBe(expected);
      expect(fromMap.root.toString()).toBe(expected);
      expect(fromMap.files).toBe(files.size);
      // Same block set as ipfs-car's CAR.
      const carBlocks = (await ipfsCar(['blocks', `${dir}.car`])).split('\n').sort();
      expect(fromMap.blocks).toBe(new Set(carBlocks).size);
      // The incremental import (no importer for small files and directories) gives the same DAG.
      const incFolder = await importSnapshotIncremental(dir, createMemoryBlockstore());
      const incStore = createMemoryBlockstore();
      const incMap = await importSnapshotIncremental(files, incStore);
      expect(incFolder.root.toString()).toBe(expected);
      expect(incMap.root.toString()).toBe(expected);
      expect(incMap.blocks).toBe(new Set(carBlocks).size);
      expect([...incStore.entries()].map(([cid]) => cid).sort()).toEqual([...new Set(carBlocks)].sort());
    });
  }

  it('a 2000-entry folder is a HAMT, and paths resolve through it', async () => {
    const files = cases['2000 files in one folder (HAMT)'];
    if (files === undefined) throw new Error('missing case');
    const store = createMemoryBlockstore();
    const { root } = await importSnapshot(files, store);
    const found = await resolveUnixfsPath(root, ['posts', 'post-1234.html'], store);
    if (!found.found) throw new Error(found.reason);
    expect(new TextDecoder().decode(await store.get(found.target))).toBe('<p>post 1234</p>');
    const postsDir = found.path[1];
    if (postsDir === undefined) throw new Error('no posts block');
    const node = dagPb.decode(postsDir.bytes);
    expect(node.Data && UnixFS.unmarshal(node.Data).type).toBe('hamt-sharded-directory');
    const missing = await resolveUnixfsPath(root, ['posts', 'post-2000.html'], store);
    expect(missing.found).toBe(false);
  });
});

describe('sharding rules', () => {
  const many = new Map(Array.from({ length: 1001 }, (_, i) => [`/p${i}`, enc(`${i}`)]));

  it("1001 short names: ipfs-car shards, Kubo's 256 KiB rule does not", async () => {
    const store = createMemoryBlockstore();
    const car = await importSnapshot(many, store, { sharding: 'ipfs-car' });
    const kubo = await importSnapshot(many, store, { sharding: 'kubo' });
    expect(car.root.toString()).not.toBe(kubo.root.toString());
    const kuboRoot = dagPb.decode((await store.get(kubo.root)) ?? new Uint8Array());
    expect(kuboRoot.Links).toHaveLength(1001);
  });

  it("'kubo' equals ipfs-unixfs-importer's unixfs-v1-2025 profile, below and above 256 KiB", async () => {
    const long = 'x'.repeat(120);
    const big = new Map(Array.from({ length: 2000 }, (_, i) => [`/${long}-${i}`, enc(`${i}`)]));
    for (const files of [many, big]) {
      const ours = await importSnapshot(files, createMemoryBlockstore(), { sharding: 'kubo' });
      let reference: string | undefined;
      const candidates = [...files].map(([path, content]) => ({ path: path.slice(1), content }));
      for await (const entry of importer(candidates, { put: async (cid) => cid }, { profile: 'unixfs-v1-2025', wrapWithDirectory: true })) {
        reference = entry.cid.toString();
      }
      expect(ours.root.toString()).toBe(reference);
      const incremental = await importSnapshotIncremental(files, createMemoryBlockstore(), { sharding: 'kubo' });
      expect(incremental.root.toString()).toBe(reference);
    }
  });
});

describe('fs blockstore import is incremental', () => {
  it('re-import writes nothing; one changed file writes its block and the blocks on its path', async () => {
    const files = new Map(cases['nested folders']);
    const store = createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) });
    const first = await importSnapshot(files, store);
    expect(first.newBlocks).toBe(first.blocks);
    const again = await importSnapshot(files, createFsBlockstore({ dir: store.dir }));
    expect(again.root.toString()).toBe(first.root.toString());
    expect(again.newBlocks).toBe(0);
    files.set('/posts/2024/01/hello/index.html', enc('edited'));
    const changed = await importSnapshot(files, createFsBlockstore({ dir: store.dir }));
    // the file, then hello/, 01/, 2024/, posts/ and the root
    expect(changed.newBlocks).toBe(6);
    const block = await readFile(join(store.dir, changed.root.toString()));
    expect(block.byteLength).toBeGreaterThan(0);
  });
});
