// Checking that a block's bytes are what its CID names: the one check every IPFS read relies on.
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { equals } from 'multiformats/bytes';

/** Codecs Ferry's UnixFS DAGs use. */
export const DAG_PB_CODE = 0x70;
export const RAW_CODE = 0x55;

/** True when `bytes` hash to the multihash inside `cid` (sha2-256 only; anything else is false). */
export async function isBlockValid(cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (cid.multihash.code !== sha256.code) return false;
  const digest = await sha256.digest(bytes);
  return equals(digest.digest, cid.multihash.digest);
}

/** The CIDv1 of `bytes` under `codec`, hashed with sha2-256. */
export async function cidOf(codec: number, bytes: Uint8Array): Promise<CID> {
  return CID.createV1(codec, await sha256.digest(bytes));
}

/** Parses a CID string, or returns undefined (never throws, never accepts `undefined`/`null`). */
export function parseCid(text: unknown): CID | undefined {
  if (typeof text !== 'string' || text.length < 8 || text.length > 200) return undefined;
  try {
    return CID.parse(text);
  } catch {
    return undefined;
  }
}
