// Imports a snapshot (a folder, or a map of snapshot path -> bytes) as a UnixFS directory with the
// unixfs-v1-2025 settings (IPIP-499): CIDv1, raw leaves, fixed 1 MiB chunks, balanced files at most
// 1024 links wide, sha2-256, and no wrapping directory: the folder's content is the root.
//
// Every setting is passed to ipfs-unixfs-importer explicitly (its defaults are not the profile's).
// Directory sharding (HAMT, fanout 256, murmur3) is where tools disagree:
//   - 'ipfs-car' (default): a directory with more than 1000 entries is sharded, as `ipfs-car pack`
//     3.x does. The root CID then equals `ipfs-car pack DIR --no-wrap` for every folder.
//   - 'kubo': a directory is sharded when its serialized block would exceed 256 KiB (Kubo's
//     Import.UnixFSHAMTDirectorySizeThreshold with the profile's block-bytes estimate).
// Both agree until a directory has more than 1000 entries; between 1001 entries and a ~256 KiB
// block (about 3000-4700 entries, depending on name length) only one of them can be matched.
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { importFile, importer, type ImportResult, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import type { CID } from 'multiformats/cid';
import { isSafeSnapshotPath } from '../../core/manifest.ts';
import type { BlockStore } from '../../ports/ipfs.ts';
import { collectBytes } from './car.ts';

/** The unixfs-v1-2025 profile, spelled out. */
export const UNIXFS_V1_2025 = {
  cidVersion: 1,
  rawLeaves: true,
  chunkSize: 1_048_576,
  maxChildrenPerNode: 1024,
  hash: 'sha2-256',
  hamtFanoutBits: 8,
  /** Kubo: Import.UnixFSHAMTDirectorySizeThreshold, compared with the serialized block size. */
  hamtSizeThresholdBytes: 262_144,
  /** ipfs-car 3.x: directories with more entries than this are sharded. */
  ipfsCarShardEntries: 1000,
} as const;

export type ShardingRule = 'ipfs-car' | 'kubo';

export interface ImportSnapshotOptions {
  /** When a directory becomes a HAMT (see the file comment). Default 'ipfs-car'. */
  sharding?: ShardingRule;
  /** Folder input only: include names starting with '.' (default false, like ipfs-car and Kubo). */
  hidden?: boolean;
  /** Files imported at once (default 16). */
  concurrency?: number;
}

export interface ImportSummary {
  root: CID;
  files: number;
  directories: number;
  /** Sum of the files' sizes. */
  bytes: number;
  /** Distinct blocks in the DAG. */
  blocks: number;
  /** Blocks the store did not have before this import. */
  newBlocks: number;
}

export type SnapshotInput = string | ReadonlyMap<string, Uint8Array>;

type FileSource = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'file'; path: string; size: number };

interface DirNode {
  files: Map<string, FileSource>;
  dirs: Map<string, DirNode>;
}

interface Child {
  cid: CID;
  size: bigint;
}

const fileOptions: ImporterOptions = {
  cidVersion: UNIXFS_V1_2025.cidVersion,
  rawLeaves: UNIXFS_V1_2025.rawLeaves,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: UNIXFS_V1_2025.chunkSize }),
  layout: balanced({ maxChildrenPerNode: UNIXFS_V1_2025.maxChildrenPerNode }),
  wrapWithDirectory: false,
  blockWriteConcurrency: 8,
};

/** Imports the snapshot into `store` and returns the root directory's CID with counts. */
export async function importSnapshot(input: SnapshotInput, store: BlockStore, options: ImportSnapshotOptions = {}): Promise<ImportSummary> {
  const { sharding = 'ipfs-car', hidden = false, concurrency = 16 } = options;
  const tree = typeof input === 'string' ? await readFolder(input, hidden) : fromMap(input);

  const seen = new Set<string>();
  let newBlocks = 0;
  const sink: WritableStorage = {
    put: async (cid, value) => {
      const key = cid.toString();
      if (!seen.has(key)) {
        seen.add(key);
        const bytes = value instanceof Uint8Array ? value : await collectBytes(toAsync(value));
        if (await store.put(cid, bytes)) newBlocks += 1;
      }
      return cid;
    },
  };

  // Files first, a few at a time; then directories bottom-up.
  const jobs: Array<{ dir: DirNode; name: string; source: FileSource }> = [];
  const collect = (dir: DirNode): void => {
    for (const [name, source] of dir.files) jobs.push({ dir, name, source });
    for (const sub of dir.dirs.values()) collect(sub);
  };
  collect(tree);
  const fileResults = new Map<DirNode, Map<string, Child>>();
  let bytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = jobs[next++];
      if (job === undefined) return;
      const content = job.source.kind === 'bytes' ? job.source.bytes : createReadStream(job.source.path, { highWaterMark: UNIXFS_V1_2025.chunkSize });
      const result = await importFile({ content }, sink, fileOptions);
      bytes += job.source.kind === 'bytes' ? job.source.bytes.byteLength : job.source.size;
      let children = fileResults.get(job.dir);
      if (children === undefined) fileResults.set(job.dir, (children = new Map()));
      children.set(job.name, { cid: result.cid, size: result.size });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));

  let directories = 0;
  const buildDir = async (dir: DirNode): Promise<Child> => {
    const children = new Map<string, Child>(fileResults.get(dir) ?? []);
    for (const [name, sub] of dir.dirs) children.set(name, await buildDir(sub));
    directories += 1;
    return buildDirectory(children, sharding, sink);
  };
  const root = await buildDir(tree);
  return { root: root.cid, files: jobs.length, directories, bytes, blocks: seen.size, newBlocks };
}

/**
 * Builds one directory node from children already imported, with the importer's own directory
 * and HAMT code (so the bytes are exactly what ipfs-unixfs-importer, Kubo and ipfs-car produce),
 * choosing flat or sharded by `sharding`.
 */
async function buildDirectory(children: ReadonlyMap<string, Child>, sharding: ShardingRule, sink: WritableStorage): Promise<Child> {
  const threshold =
    sharding === 'kubo'
      ? UNIXFS_V1_2025.hamtSizeThresholdBytes
      : children.size > UNIXFS_V1_2025.ipfsCarShardEntries
        ? 0
        : Number.MAX_SAFE_INTEGER;
  const dagBuilder: NonNullable<ImporterOptions['dagBuilder']> = async function* () {
    for (const [name, child] of children) {
      yield async () => ({ cid: child.cid, size: child.size, path: name });
    }
  };
  let last: ImportResult | undefined;
  for await (const entry of importer([], sink, {
    cidVersion: UNIXFS_V1_2025.cidVersion,
    wrapWithDirectory: true,
    shardSplitThresholdBytes: threshold,
    shardSplitStrategy: 'block-bytes',
    shardFanoutBits: UNIXFS_V1_2025.hamtFanoutBits,
    dagBuilder,
  })) {
    last = entry;
  }
  if (last === undefined || last.unixfs === undefined || !last.unixfs.isDirectory()) {
    throw new Error('UnixFS import: the importer did not produce a directory');
  }
  return { cid: last.cid, size: last.size };
}

async function* toAsync(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function emptyDir(): DirNode {
  return { files: new Map(), dirs: new Map() };
}

/** Snapshot map -> tree. Keys are snapshot paths ('/index.html'; a missing leading '/' is added). */
function fromMap(input: ReadonlyMap<string, Uint8Array>): DirNode {
  const root = emptyDir();
  for (const [key, bytes] of input) {
    const path = key.startsWith('/') ? key : `/${key}`;
    if (!isSafeSnapshotPath(path)) throw new Error(`UnixFS import: unsafe snapshot path ${JSON.stringify(key)}`);
    const segments = path.slice(1).split('/');
    const name = segments.pop();
    if (name === undefined) throw new Error(`UnixFS import: empty snapshot path ${JSON.stringify(key)}`);
    let dir = root;
    for (const segment of segments) {
      if (dir.files.has(segment)) throw new Error(`UnixFS import: ${JSON.stringify(key)} needs ${JSON.stringify(segment)} to be a folder, but it is a file`);
      let sub = dir.dirs.get(segment);
      if (sub === undefined) dir.dirs.set(segment, (sub = emptyDir()));
      dir = sub;
    }
    if (dir.dirs.has(name)) throw new Error(`UnixFS import: ${JSON.stringify(key)} is both a file and a folder`);
    dir.files.set(name, { kind: 'bytes', bytes });
  }
  return root;
}

/**
 * Folder -> tree, the way `ipfs-car pack` reads it: regular files only, names starting with '.'
 * skipped unless `hidden`, folders without files left out. A symbolic link is an error (its target
 * could be anything on this machine).
 */
async function readFolder(folder: string, hidden: boolean): Promise<DirNode> {
  const info = await lstat(folder).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new Error(`UnixFS import: ${folder} is not a folder`);
  const walk = async (path: string): Promise<DirNode | undefined> => {
    const node = emptyDir();
    const entries = await readdir(path, { withFileTypes: true });
    for (const entry of entries) {
      if (!hidden && entry.name.startsWith('.')) continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) {
        const sub = await walk(full);
        if (sub !== undefined) node.dirs.set(entry.name, sub);
      } else if (entry.isFile()) {
        node.files.set(entry.name, { kind: 'file', path: full, size: (await lstat(full)).size });
      } else {
        throw new Error(`UnixFS import: ${full} is not a regular file or folder (links are not followed)`);
      }
    }
    return node.files.size === 0 && node.dirs.size === 0 ? undefined : node;
  };
  return (await walk(folder)) ?? emptyDir();
}
