// The CID of a file stored as one raw block (CIDv1, raw codec, sha2-256): what the snapshot's
// UnixFS import (raw leaves, 1 MiB chunks) gives every file of at most one chunk. The manifest's
// sha256 is therefore the file's CID, and a trustless gateway's `?format=raw` answer is checked
// by the same hash as any other copy. Pure.

/** Largest file that is a single raw block in the snapshot's UnixFS profile (adapters/ipfs: UNIXFS_V1_2025.chunkSize). */
export const RAW_BLOCK_MAX_BYTES = 1_048_576;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `bafkrei…` for a sha256 given as 64 hex digits. */
export function rawCidOf(sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`rawCidOf: not a sha256 in hex: ${JSON.stringify(sha256Hex)}`);
  // version 1, codec raw (0x55), multihash sha2-256 (0x12) of 32 bytes (0x20), then the digest.
  const bytes = [0x01, 0x55, 0x12, 0x20];
  for (let i = 0; i < 64; i += 2) bytes.push(parseInt(sha256Hex.slice(i, i + 2), 16));
  let out = 'b';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}
