// CARv1 in and out, Web-standard only (the edge runs it on Workers too): walk a DAG out of a block
// store in depth-first order and stream it as a CAR; read a CAR from anyone and verify every
// block's hash and that the DAG under the expected root is complete.
import { CarWriter } from '@ipld/car/writer';
import { CarBlockIterator } from '@ipld/car/iterator';
import * as dagPb from '@ipld/dag-pb';
import type { CID } from 'multiformats/cid';
import { IpfsServiceError, type BlockGetter } from '../../ports/ipfs.ts';
import { DAG_PB_CODE, RAW_CODE, isBlockValid } from './block-hash.ts';
import { TooLargeError, collectCapped } from '../web/read-capped.ts';

export interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** A block the DAG needs is not in the store. */
export class MissingBlockError extends Error {
  override name = 'MissingBlockError';
  constructor(readonly cid: string) {
    super(`block ${cid} is missing`);
  }
}

/** The CIDs a block links to, in link order (raw blocks have none; other codecs are refused). */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code === RAW_CODE) return [];
  if (cid.code === DAG_PB_CODE) return dagPb.decode(bytes).Links.map((l) => l.Hash);
  throw new Error(`block ${cid.toString()}: codec 0x${cid.code.toString(16)} is not dag-pb or raw`);
}

/**
 * Every block of the DAG under `root`, depth-first, each once (CAR order=dfs, dups=n). Throws
 * MissingBlockError at the first block the store does not have.
 */
export async function* walkDag(root: CID, blocks: BlockGetter): AsyncGenerator<Block> {
  const seen = new Set<string>();
  const stack: CID[] = [root];
  for (;;) {
    const cid = stack.pop();
    if (cid === undefined) return;
    const key = cid.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const bytes = await blocks.get(cid);
    if (bytes === undefined) throw new MissingBlockError(key);
    yield { cid, bytes };
    const links = linksOf(cid, bytes);
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i];
      if (link !== undefined) stack.push(link);
    }
  }
}

/** Streams blocks as a CARv1 with the given roots. An error from `blocks` ends the stream with that error. */
export async function* toCar(roots: CID[], blocks: AsyncIterable<Block> | Iterable<Block>): AsyncGenerator<Uint8Array, void, undefined> {
  const { writer, out } = CarWriter.create(roots);
  let failure: { error: unknown } | undefined;
  const feeding = (async () => {
    try {
      for await (const block of blocks) await writer.put(block);
    } catch (error) {
      failure = { error };
    } finally {
      await writer.close();
    }
  })();
  for await (const chunk of out) yield chunk;
  await feeding;
  if (failure !== undefined) throw failure.error;
}

export interface CarVerifyLimits {
  /** Most blocks accepted (default 1,000,000). */
  maxBlocks?: number;
  /** Most block bytes accepted (default 4 GiB). */
  maxBytes?: number;
}

export interface VerifiedCar {
  root: string;
  blocks: number;
  bytes: number;
}

/**
 * Reads a CAR and checks that every block hashes to its CID and that every block reachable from
 * `root` is present. `source` names where the CAR came from, for the error. Header roots are not
 * trusted (the trustless gateway spec says clients should ignore them).
 */
export async function verifyCar(
  car: AsyncIterable<Uint8Array> | Uint8Array,
  root: CID,
  source: string,
  { maxBlocks = 1_000_000, maxBytes = 4 * 1024 ** 3 }: CarVerifyLimits = {},
): Promise<VerifiedCar> {
  const fail = (detail: string): IpfsServiceError => new IpfsServiceError(source, 'integrity', detail);
  const links = new Map<string, CID[]>();
  let bytes = 0;
  let reader: AsyncIterable<Block>;
  try {
    reader = car instanceof Uint8Array ? await CarBlockIterator.fromBytes(car) : await CarBlockIterator.fromIterable(car);
  } catch (e) {
    throw fail(`not a readable CAR (${(e as Error).message})`);
  }
  try {
    for await (const block of reader) {
      if (!(await isBlockValid(block.cid, block.bytes))) {
        throw fail(`block ${block.cid.toString()} does not hash to its CID (tampered or damaged)`);
      }
      bytes += block.bytes.byteLength;
      if (links.size >= maxBlocks || bytes > maxBytes) throw fail(`CAR is over the limit of ${maxBlocks} blocks or ${maxBytes} bytes`);
      links.set(block.cid.toString(), linksOf(block.cid, block.bytes));
    }
  } catch (e) {
    if (e instanceof IpfsServiceError) throw e;
    throw fail(`CAR cannot be read (${(e as Error).message})`);
  }
  const seen = new Set<string>();
  const stack: CID[] = [root];
  for (;;) {
    const cid = stack.pop();
    if (cid === undefined) break;
    const key = cid.toString();
    if (seen.has(key)) continue;
    seen.add(key);
    const children = links.get(key);
    if (children === undefined) {
      throw fail(
        key === root.toString() ? `CAR does not contain the root ${key}` : `CAR is missing block ${key} of root ${root.toString()}`,
      );
    }
    stack.push(...children);
  }
  return { root: root.toString(), blocks: links.size, bytes };
}

/** Collects an async byte stream (with a size limit). */
export async function collectBytes(chunks: AsyncIterable<Uint8Array>, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  try {
    return await collectCapped(chunks, maxBytes);
  } catch (e) {
    if (e instanceof TooLargeError) throw new Error(`more than ${maxBytes} bytes`);
    throw e;
  }
}
