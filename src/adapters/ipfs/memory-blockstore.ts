// A block store in memory: for `ferry car`, tests, and anything short-lived.
import type { CID } from 'multiformats/cid';
import type { BlockStore } from '../../ports/ipfs.ts';

export interface MemoryBlockstore extends BlockStore {
  readonly size: number;
  /** Every stored block, in insertion order (for tests and CAR export of everything). */
  entries(): IterableIterator<[string, Uint8Array]>;
}

export function createMemoryBlockstore(): MemoryBlockstore {
  const blocks = new Map<string, Uint8Array>();
  return {
    get size() {
      return blocks.size;
    },
    async get(cid: CID) {
      return blocks.get(cid.toV1().toString());
    },
    async has(cid: CID) {
      return blocks.has(cid.toV1().toString());
    },
    async put(cid: CID, bytes: Uint8Array) {
      const key = cid.toV1().toString();
      if (blocks.has(key)) return false;
      blocks.set(key, bytes);
      return true;
    },
    entries: () => blocks.entries(),
  };
}
