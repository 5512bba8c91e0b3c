// Resolves /<cid>/<path> through UnixFS directories, plain and HAMT-sharded, recording every block
// it reads so a trustless gateway can send them ahead of the target's DAG (the client re-walks the
// path from the root CID and checks each step). Web-standard only.
import * as dagPb from '@ipld/dag-pb';
import { murmur364 } from '@multiformats/murmur3';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import type { BlockGetter } from '../../ports/ipfs.ts';
import { DAG_PB_CODE } from './block-hash.ts';
import type { Block } from './car.ts';
import { MissingBlockError } from './car.ts';

export type ResolveResult = { found: true; target: CID; path: Block[] } | { found: false; reason: string; path: Block[] };

const MURMUR3_X64_64 = 0x22n;

/** Follows `segments` (already URL-decoded names) from `root`. `path` holds the blocks read, root first. */
export async function resolveUnixfsPath(root: CID, segments: readonly string[], blocks: BlockGetter): Promise<ResolveResult> {
  const path: Block[] = [];
  const load = async (cid: CID): Promise<Uint8Array> => {
    const bytes = await blocks.get(cid);
    if (bytes === undefined) throw new MissingBlockError(cid.toString());
    path.push({ cid, bytes });
    return bytes;
  };
  let current = root;
  for (const name of segments) {
    if (current.code !== DAG_PB_CODE) return { found: false, reason: `${current.toString()} is not a directory`, path };
    const node = dagPb.decode(await load(current));
    const unixfs = node.Data === undefined ? undefined : UnixFS.unmarshal(node.Data);
    if (unixfs?.type === 'directory') {
      const link = node.Links.find((l) => l.Name === name);
      if (link === undefined) return { found: false, reason: `no entry ${JSON.stringify(name)}`, path };
      current = link.Hash;
    } else if (unixfs?.type === 'hamt-sharded-directory') {
      const next = await findInShard(node, unixfs, name, load);
      if (next === undefined) return { found: false, reason: `no entry ${JSON.stringify(name)}`, path };
      current = next;
    } else {
      return { found: false, reason: `${current.toString()} is not a directory`, path };
    }
  }
  return { found: true, target: current, path };
}

async function findInShard(
  node: dagPb.PBNode,
  unixfs: UnixFS,
  name: string,
  load: (cid: CID) => Promise<Uint8Array>,
): Promise<CID | undefined> {
  if ((unixfs.hashType !== undefined && unixfs.hashType !== MURMUR3_X64_64) || unixfs.fanout === undefined) return undefined;
  const fanout = Number(unixfs.fanout);
  const bits = Math.log2(fanout);
  if (!Number.isInteger(bits) || bits < 1) return undefined;
  const padLength = (fanout - 1).toString(16).length;
  const hash = (await murmur364.digest(new TextEncoder().encode(name))).digest;
  let depth = 0;
  let shard = node;
  for (;;) {
    const index = bitsAt(hash, depth * bits, bits);
    if (index === undefined) return undefined;
    const label = index.toString(16).toUpperCase().padStart(padLength, '0');
    const link = shard.Links.find((l) => l.Name !== undefined && l.Name.startsWith(label));
    if (link === undefined) return undefined;
    if (link.Name === label) {
      shard = dagPb.decode(await load(link.Hash));
      depth += 1;
      continue;
    }
    return link.Name === label + name ? link.Hash : undefined;
  }
}

/** `count` bits of `bytes` from bit `offset`, most significant first. */
function bitsAt(bytes: Uint8Array, offset: number, count: number): number | undefined {
  if (offset + count > bytes.length * 8) return undefined;
  let value = 0;
  for (let i = 0; i < count; i++) {
    const bit = offset + i;
    const byte = bytes[bit >> 3] ?? 0;
    value = (value << 1) | ((byte >> (7 - (bit & 7))) & 1);
  }
  return value;
}
