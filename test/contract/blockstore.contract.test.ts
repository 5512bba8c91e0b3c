// One contract for every BlockStore adapter (memory, filesystem), plus the filesystem store's own
// promises: atomic writes, and a damaged file is never returned as the block.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cidOf, RAW_CODE } from '../../src/adapters/ipfs/block-hash.ts';
import { createFsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { createMemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import type { BlockStore } from '../../src/ports/ipfs.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ferry-blocks-'));
  dirs.push(d);
  return d;
}

const adapters: Record<string, () => Promise<BlockStore>> = {
  memory: async () => createMemoryBlockstore(),
  fs: async () => createFsBlockstore({ dir: join(await tempDir(), 'ipfs', 'blocks') }),
};

for (const [name, make] of Object.entries(adapters)) {
  describe(`BlockStore contract: ${name}`, () => {
    it('put, has, get; a second put of the same block reports false', async () => {
      const store = await make();
      const bytes = new TextEncoder().encode('block 文字');
      const cid = await cidOf(RAW_CODE, bytes);
      expect(await store.has(cid)).toBe(false);
      expect(await store.get(cid)).toBeUndefined();
      expect(await store.put(cid, bytes)).toBe(true);
      expect(await store.put(cid, bytes)).toBe(false);
      expect(await store.has(cid)).toBe(true);
      expect(await store.get(cid)).toEqual(bytes);
      // The empty block is a block too.
      const empty = new Uint8Array(0);
      const emptyCid = await cidOf(RAW_CODE, empty);
      await store.put(emptyCid, empty);
      expect(await store.get(emptyCid)).toEqual(empty);
    });
  });
}

describe('filesystem block store', () => {
  it('names files by CID, leaves no temporary files, and treats a damaged file as missing (and removes it)', async () => {
    const dir = join(await tempDir(), 'blocks');
    const corrupt: string[] = [];
    const store = createFsBlockstore({ dir, onCorrupt: (cid) => corrupt.push(cid) });
    const bytes = new TextEncoder().encode('original');
    const cid = await cidOf(RAW_CODE, bytes);
    await Promise.all([store.put(cid, bytes), store.put(cid, bytes)]);
    expect(await readdir(dir)).toEqual([cid.toString()]);

    await writeFile(join(dir, cid.toString()), 'planted by someone else');
    const fresh = createFsBlockstore({ dir, onCorrupt: (c) => corrupt.push(c) });
    expect(await fresh.get(cid)).toBeUndefined();
    expect(corrupt).toEqual([cid.toString()]);
    expect(await fresh.has(cid)).toBe(false);
    expect(await fresh.put(cid, bytes)).toBe(true);
    expect(await fresh.get(cid)).toEqual(bytes);
  });

  it('sweeps the temporary files an interrupted write left, and nothing else', async () => {
    const dir = join(await tempDir(), 'blocks');
    const store = createFsBlockstore({ dir });
    expect(await store.sweep()).toBe(0); // no folder yet
    const bytes = new TextEncoder().encode('kept');
    const cid = await cidOf(RAW_CODE, bytes);
    await store.put(cid, bytes);
    await writeFile(join(dir, `${cid.toString()}.tmp-0123456789ab`), 'half a block');
    await writeFile(join(dir, 'notes.tmp-old'), 'not ours');
    expect(await store.sweep()).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([cid.toString(), 'notes.tmp-old'].sort());
    expect(await store.get(cid)).toEqual(bytes);
  });
});
