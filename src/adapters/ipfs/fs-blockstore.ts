// The embedded block store: one file per block in <dataDir>/ipfs/blocks/<base32 CIDv1>, written
// atomically (temporary file, then rename) so a crash never leaves a half block under a real name,
// and rehashed on every read so a damaged or planted file is never served as the block.
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CID } from 'multiformats/cid';
import type { BlockStore } from '../../ports/ipfs.ts';
import { isBlockValid } from './block-hash.ts';

export interface FsBlockstoreOptions {
  /** The folder that holds the block files (see blockstoreDir). */
  dir: string;
  /** Called when a stored file does not hash to its name; the file is removed and reported missing. */
  onCorrupt?: (cid: string, file: string) => void;
  /**
   * fsync each block before renaming it into place. Default false: a kill -9 cannot tear a
   * block (the rename is atomic), and a block torn by a power cut fails its hash on read, is
   * removed, and is written again by the next import.
   */
  durable?: boolean;
}

/** Where a data folder keeps its blocks. */
export function blockstoreDir(dataDir: string): string {
  return join(dataDir, 'ipfs', 'blocks');
}

export interface FsBlockstore extends BlockStore {
  readonly dir: string;
  /**
   * Remove the temporary files writes interrupted by a crash left behind; returns how many. Only
   * when no import is running on this folder (the republisher calls it under its lock).
   */
  sweep(): Promise<number>;
}

const TEMPORARY = /\.tmp-[0-9a-f]{12}$/;

export function createFsBlockstore({ dir, onCorrupt = () => undefined, durable = false }: FsBlockstoreOptions): FsBlockstore {
  const fileOf = (cid: CID): string => join(dir, cid.toV1().toString());
  let ready: Promise<unknown> | undefined;
  const ensureDir = (): Promise<unknown> => (ready ??= mkdir(dir, { recursive: true }));
  // Blocks known to be on disk in this process: spares a stat for blocks written or seen before.
  const known = new Set<string>();

  const has = async (cid: CID): Promise<boolean> => {
    const key = cid.toV1().toString();
    if (known.has(key)) return true;
    try {
      await stat(fileOf(cid));
      known.add(key);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  };

  return {
    dir,
    has,
    async sweep() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw e;
      }
      const stale = names.filter((n) => TEMPORARY.test(n));
      for (const name of stale) await rm(join(dir, name), { force: true });
      return stale.length;
    },
    async get(cid: CID) {
      const file = fileOf(cid);
      let bytes: Uint8Array;
      try {
        const buffer = await readFile(file);
        bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      if (!(await isBlockValid(cid, bytes))) {
        known.delete(cid.toV1().toString());
        await rm(file, { force: true });
        onCorrupt(cid.toString(), file);
        return undefined;
      }
      return bytes;
    },
    async put(cid: CID, bytes: Uint8Array) {
      if (await has(cid)) return false;
      await ensureDir();
      const file = fileOf(cid);
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        const handle = await open(tmp, 'wx');
        try {
          await handle.writeFile(bytes);
          if (durable) await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      known.add(cid.toV1().toString());
      return true;
    },
  };
}
