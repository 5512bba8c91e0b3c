// Imports a snapshot (a folder, a map of snapshot path -> bytes, or a lazy SnapshotFiles whose files
// are read only when their blocks are needed) as a UnixFS directory with the
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
import { lstat, readFile, readdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import * as dagPb from '@ipld/dag-pb';
import { murmur364 } from '@multiformats/murmur3';
import { UnixFS } from 'ipfs-unixfs';
import { importFile, importer, type ImportResult, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { MANIFEST_PATH, isSafeSnapshotPath, parseManifest, type FileEntry } from '../../core/manifest.ts';
import { utf8ToString } from '../../core/bytes.ts';
import type { BlockStore } from '../../ports/ipfs.ts';
import { isSnapshotFiles, type SnapshotFiles } from '../../ports/publisher.ts';
import { collectBytes } from './car.ts';
import { DAG_PB_CODE, RAW_CODE } from './block-hash.ts';
import {
  emptyImportCacheState,
  largeFileKey,
  type HamtBucket,
  type HamtTop,
  type ImportCache,
  type ImportCacheState,
  type LargeFileEntry,
} from './import-cache.ts';

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

export type SnapshotInput = string | ReadonlyMap<string, Uint8Array> | SnapshotFiles;

type FileSource =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; path: string; size: number }
  /** A file of a SnapshotFiles: size (and sha256) known, bytes read only when needed. */
  | { kind: 'lazy'; files: SnapshotFiles; path: string; size: number };

const sizeOf = (source: FileSource): number => (source.kind === 'bytes' ? source.bytes.byteLength : source.size);

/** Whole bytes of a source (a folder's file is read from disk, a lazy one through its snapshot). */
async function bytesOf(source: FileSource): Promise<Uint8Array> {
  if (source.kind === 'bytes') return source.bytes;
  if (source.kind === 'file') return readFile(source.path);
  const bytes = await source.files.read(source.path);
  if (bytes.byteLength !== source.size)
    throw new Error(`UnixFS import: ${source.path} is ${bytes.byteLength} bytes, but the snapshot lists ${source.size}`);
  return bytes;
}

function treeOf(input: SnapshotInput, hidden: boolean): Promise<DirNode> | DirNode {
  if (typeof input === 'string') return readFolder(input, hidden);
  if (isSnapshotFiles(input)) {
    return fromSources(
      [...input.entries].map(([path, entry]): [string, FileSource] => [path, { kind: 'lazy', files: input, path, size: entry.size }]),
    );
  }
  return fromSources([...input].map(([path, bytes]): [string, FileSource] => [path, { kind: 'bytes', bytes }]));
}

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
  const tree = await treeOf(input, hidden);

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
      const content =
        job.source.kind === 'file'
          ? createReadStream(job.source.path, { highWaterMark: UNIXFS_V1_2025.chunkSize })
          : await bytesOf(job.source);
      const result = await importFile({ content }, sink, fileOptions);
      bytes += sizeOf(job.source);
      let children = fileResults.get(job.dir);
      if (children === undefined) fileResults.set(job.dir, (children = new Map<string, Child>()));
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

/** Snapshot paths -> tree. Keys are snapshot paths ('/index.html'; a missing leading '/' is added). */
function fromSources(input: Iterable<[string, FileSource]>): DirNode {
  const root = emptyDir();
  for (const [key, source] of input) {
    const path = key.startsWith('/') ? key : `/${key}`;
    if (!isSafeSnapshotPath(path)) throw new Error(`UnixFS import: unsafe snapshot path ${JSON.stringify(key)}`);
    const segments = path.slice(1).split('/');
    const name = segments.pop();
    if (name === undefined) throw new Error(`UnixFS import: empty snapshot path ${JSON.stringify(key)}`);
    let dir = root;
    for (const segment of segments) {
      if (dir.files.has(segment))
        throw new Error(`UnixFS import: ${JSON.stringify(key)} needs ${JSON.stringify(segment)} to be a folder, but it is a file`);
      let sub = dir.dirs.get(segment);
      if (sub === undefined) dir.dirs.set(segment, (sub = emptyDir()));
      dir = sub;
    }
    if (dir.dirs.has(name)) throw new Error(`UnixFS import: ${JSON.stringify(key)} is both a file and a folder`);
    dir.files.set(name, source);
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

// ---------------------------------------------------------------------------------------------
// Incremental import: the same DAG as importSnapshot, computed without the importer wherever the
// answer is known, redoing only folders on the path of a change, writing only new blocks.
//
// - A file of at most one chunk (1 MiB) is one raw block: its CID is CIDv1(raw, sha2-256(bytes)),
//   taken from a known digest (the signed manifest lists every file's sha256 and size) or hashed.
// - A larger file goes through ipfs-unixfs-importer once; its root, cumulative size and block list
//   are cached by (sha256, size), so it is never chunked twice.
// - Folder nodes are encoded here with @ipld/dag-pb and ipfs-unixfs: flat folders exactly as the
//   importer's DirFlat, sharded ones as its DirSharded (HAMT, 256 wide, murmur3-x64-64 of the name,
//   re-hashed with the round appended past 64 bits). A HAMT's shape depends only on the set of
//   names, so it is built from the entries directly.
// - With a cache (import-cache.ts), a folder whose entries all have the identity they had in the
//   last import keeps its node: it is neither encoded nor checked against the store. Only folders
//   on the path of a change are encoded, and only their blocks and changed files are written.
// Tests compare every root with importSnapshot and with `ipfs-car pack --no-wrap`.
// ---------------------------------------------------------------------------------------------

export interface IncrementalImportOptions {
  /** When a directory becomes a HAMT (see the file comment). Default 'ipfs-car'. */
  sharding?: ShardingRule;
  /** Folder input only: include names starting with '.' (default false). */
  hidden?: boolean;
  /**
   * Digests already known, by snapshot path (the signed manifest's `files`; see
   * manifestDigests). A SnapshotFiles input brings its own (its entries); these take precedence. A file with one is not hashed unless its block must be written, and a block
   * that does not match its digest is refused, so the DAG always names what the manifest signs.
   */
  digests?: Readonly<Record<string, FileEntry>>;
  /** What the last import left behind (see import-cache.ts). Default: none (every block checked). */
  cache?: ImportCache;
  /** Blocks written or files read at once (default 16). */
  concurrency?: number;
  /** Longest stretch of synchronous encoding before yielding to the event loop (default 20 ms). */
  sliceMs?: number;
}

export interface IncrementalImportSummary extends ImportSummary {
  /** Files whose bytes were hashed here (no digest given, or a new block checked before writing). */
  hashed: number;
  /** Files that went through ipfs-unixfs-importer (larger than one chunk and not in the cache). */
  chunked: number;
  /** Folders encoded (the rest kept their node from the cache). */
  encoded: number;
  /** Blocks asked of the store (has or put); the rest were known from the cache. */
  storeCalls: number;
}

/** The digests in the snapshot's own /manifest.json (parsed, not verified), if it has one. */
export function manifestDigests(files: ReadonlyMap<string, Uint8Array>): Readonly<Record<string, FileEntry>> | undefined {
  const bytes = files.get(MANIFEST_PATH);
  return bytes === undefined ? undefined : parseManifest(utf8ToString(bytes, MANIFEST_PATH)).files;
}

const SHA2_256 = 0x12;
const HEX64 = /^[0-9a-f]{64}$/;
const HAMT_FANOUT = 256;
/** UnixFS Data of a directory without mode or mtime (what the importer writes). */
const DIRECTORY_DATA = new UnixFS({ type: 'directory' }).marshal();

interface Block {
  cid: CID;
  bytes: Uint8Array;
}

interface FileJob {
  name: string;
  path: string;
  source: FileSource;
  info?: FileInfo;
}

interface FolderJob {
  /** '/' for the root, else the folder's snapshot path. */
  key: string;
  files: Map<string, FileJob>;
  subs: Map<string, FolderJob>;
  result?: DirResult;
}

interface FileInfo {
  /** `${sha256}:${size}` */
  identity: string;
  sha256: string;
  size: number;
  /** Not the same as in the last import (or no last import). */
  changed: boolean;
  /** Files over one chunk: their DAG. */
  large?: LargeFileEntry;
}

interface DirResult {
  cid: CID | string;
  size: bigint;
  changed: boolean;
}

/** Imports the snapshot incrementally; the root equals importSnapshot's for the same input. */
export async function importSnapshotIncremental(
  input: SnapshotInput,
  store: BlockStore,
  options: IncrementalImportOptions = {},
): Promise<IncrementalImportSummary> {
  const { sharding = 'ipfs-car', hidden = false, digests, cache, concurrency = 16, sliceMs = 20 } = options;
  const tree = await treeOf(input, hidden);
  const entries = typeof input !== 'string' && isSnapshotFiles(input) ? input.entries : undefined;
  const digestOf = (path: string): FileEntry | undefined => digests?.[path] ?? entries?.get(path);
  let previous = cache === undefined ? emptyImportCacheState() : await cache.load();
  let storeCalls = 0;
  // The last import's nodes are trusted only while the store holds its root, under the same rule.
  if (previous.root !== undefined) {
    storeCalls += 1;
    if (previous.sharding !== sharding || !(await store.has(CID.parse(previous.root)))) previous = emptyImportCacheState();
  }
  const next: ImportCacheState = { sharding, files: new Map(), dirs: new Map(), largeFiles: new Map() };
  let newBlocks = 0;
  let hashed = 0;
  let chunked = 0;
  let encoded = 0;
  const put = async (cid: CID, bytes: Uint8Array): Promise<void> => {
    storeCalls += 1;
    if (await store.put(cid, bytes)) newBlocks += 1;
  };

  // Every folder, children before parents, with its files.
  const jobs: FileJob[] = [];
  const folders: FolderJob[] = [];
  const collect = (dir: DirNode, path: string): FolderJob => {
    const subs = new Map<string, FolderJob>();
    for (const [name, sub] of dir.dirs) subs.set(name, collect(sub, `${path}/${name}`));
    const files = new Map<string, FileJob>();
    for (const [name, source] of dir.files) {
      const job: FileJob = { name, path: `${path}/${name}`, source };
      files.set(name, job);
      jobs.push(job);
    }
    const folder: FolderJob = { key: path === '' ? '/' : path, files, subs };
    folders.push(folder);
    return folder;
  };
  collect(tree, '');

  // Files: identity from the digest (or hashed); blocks written only for changed files.
  let bytes = 0;
  const inspect = async (job: FileJob): Promise<FileInfo> => {
    const size = sizeOf(job.source);
    const known = digestOf(job.path);
    if (known !== undefined && (known.size !== size || !HEX64.test(known.sha256))) {
      throw new Error(`UnixFS import: ${job.path} is ${size} bytes, but its digest says ${known.size} bytes (sha256 ${known.sha256})`);
    }
    const read = (): Promise<Uint8Array> => bytesOf(job.source);
    let content: Uint8Array | undefined;
    let sha256 = known?.sha256;
    let verified = false;
    if (sha256 === undefined) {
      if (job.source.kind === 'file' && size > UNIXFS_V1_2025.chunkSize) {
        sha256 = await sha256OfFile(job.source.path);
      } else {
        content = await read();
        sha256 = toHex(sha256Of(content));
      }
      hashed += 1;
      verified = true;
    }
    const identity = largeFileKey(sha256, size);
    const info: FileInfo = { identity, sha256, size, changed: previous.files.get(job.path) !== identity };
    next.files.set(job.path, identity);
    /** Bytes read for writing a block are checked against the digest they are filed under. */
    const check = (data: Uint8Array): void => {
      if (verified) return;
      hashed += 1;
      verified = true;
      if (toHex(sha256Of(data)) !== sha256) throw new Error(`UnixFS import: ${job.path} does not match its digest (sha256 ${sha256})`);
    };
    if (size <= UNIXFS_V1_2025.chunkSize) {
      if (info.changed) {
        content ??= await read();
        check(content);
        await put(rawCid(sha256), content);
      }
      return info;
    }
    // Larger than one chunk: cached by (sha256, size), else chunked by the importer.
    const cached = previous.largeFiles.get(identity) ?? next.largeFiles.get(identity);
    if (cached !== undefined) {
      info.large = cached;
    } else {
      chunked += 1;
      const blocks: string[] = [];
      const sink: WritableStorage = {
        put: async (cid, value) => {
          blocks.push(cid.toString());
          await put(cid, value instanceof Uint8Array ? value : await collectBytes(toAsync(value)));
          return cid;
        },
      };
      let source: Uint8Array | ReturnType<typeof createReadStream>;
      if (job.source.kind === 'file') {
        source = createReadStream(job.source.path, { highWaterMark: UNIXFS_V1_2025.chunkSize });
      } else {
        content ??= await read();
        check(content); // before any of its blocks is written
        source = content;
      }
      const result = await importFile({ content: source }, sink, fileOptions);
      check(content ?? (await read()));
      info.large = { cid: result.cid.toString(), size: Number(result.size), blocks: [...new Set([...blocks, result.cid.toString()])] };
    }
    next.largeFiles.set(identity, info.large);
    return info;
  };

  /** The common case, without I/O or promises: a file with a digest that has not changed. */
  const unchangedFile = (job: FileJob): FileInfo | undefined => {
    const known = digestOf(job.path);
    const size = sizeOf(job.source);
    if (known === undefined || known.size !== size) return undefined;
    const identity = largeFileKey(known.sha256, size);
    if (previous.files.get(job.path) !== identity) return undefined;
    const info: FileInfo = { identity, sha256: known.sha256, size, changed: false };
    if (size > UNIXFS_V1_2025.chunkSize) {
      const cached = previous.largeFiles.get(identity);
      if (cached === undefined) return undefined;
      info.large = cached;
      next.largeFiles.set(identity, cached);
    }
    next.files.set(job.path, identity);
    return info;
  };

  let nextJob = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = jobs[nextJob++];
      if (job === undefined) return;
      job.info = unchangedFile(job) ?? (await inspect(job));
      bytes += sizeOf(job.source);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));

  // Folders bottom-up: a folder with nothing changed keeps its node; others are encoded and their
  // blocks written afterwards, children before parents.
  const pending: Block[] = [];
  const distinct = new Set<string>();
  let sliceStart = performance.now();
  for (const folder of folders) {
    if (performance.now() - sliceStart > sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
    let changed = false;
    for (const sub of folder.subs.values()) changed ||= sub.result?.changed ?? true;
    for (const { info } of folder.files.values()) {
      if (info === undefined) throw new Error('UnixFS import: a file was not imported');
      changed ||= info.changed;
      if (info.large === undefined) distinct.add(info.sha256);
      else for (const block of info.large.blocks) distinct.add(blockKey(block));
    }
    const before = previous.dirs.get(folder.key);
    if (!changed && before !== undefined && before.entries === folder.files.size + folder.subs.size) {
      next.dirs.set(folder.key, before);
      distinct.add(before.cid);
      for (const shard of before.shards ?? []) distinct.add(shard);
      folder.result = { cid: before.cid, size: BigInt(before.size), changed: false };
      continue;
    }
    // Encode this folder from its entries' CIDs.
    const children = new Map<string, ChildRef>();
    for (const [name, sub] of folder.subs) {
      if (sub.result === undefined) throw new Error(`UnixFS import: ${sub.key} was not built`);
      children.set(name, sub.result);
    }
    for (const [name, { info }] of folder.files) {
      if (info === undefined) continue;
      children.set(
        name,
        info.large === undefined
          ? { cid: rawCid(info.sha256), size: BigInt(info.size) }
          : { cid: info.large.cid, size: BigInt(info.large.size) },
      );
    }
    const known = new Set(before?.shards ?? []);
    const changedNames = new Set<string>();
    for (const [name, sub] of folder.subs) if (sub.result?.changed !== false) changedNames.add(name);
    for (const [name, { info }] of folder.files) if (info?.changed !== false) changedNames.add(name);
    const reuse = before?.hamt === undefined ? undefined : { previous: before.hamt, changed: changedNames };
    const result = encodeDirectory(
      children,
      sharding,
      (block) => {
        const text = block.cid.toString();
        distinct.add(text);
        if (!known.has(text)) pending.push(block);
      },
      reuse,
    );
    encoded += 1;
    const cid = result.cid.toString();
    distinct.add(cid);
    for (const shard of result.hamt?.shards ?? []) distinct.add(shard);
    next.dirs.set(folder.key, {
      cid,
      size: Number(result.size),
      entries: children.size,
      ...(result.hamt === undefined ? {} : { shards: result.hamt.shards, hamt: result.hamt.top }),
    });
    folder.result = { cid: result.cid, size: result.size, changed: true };
  }
  const root = folders[folders.length - 1]?.result;
  if (root === undefined) throw new Error('UnixFS import: no root folder');
  let nextBlock = 0;
  const writer = async (): Promise<void> => {
    for (;;) {
      const block = pending[nextBlock++];
      if (block === undefined) return;
      await put(block.cid, block.bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, pending.length)) }, writer));

  const rootCid = typeof root.cid === 'string' ? CID.parse(root.cid) : root.cid;
  next.root = rootCid.toString();
  const unchanged = !root.changed && previous.root === next.root && previous.files.size === next.files.size;
  if (cache !== undefined && !unchanged) await cache.save(next);
  return {
    root: rootCid,
    files: jobs.length,
    directories: folders.length,
    bytes,
    blocks: distinct.size,
    newBlocks,
    hashed,
    chunked,
    encoded,
    storeCalls,
  };
}

function rawCid(sha256Hex: string): CID {
  return CID.createV1(RAW_CODE, Digest.create(SHA2_256, Buffer.from(sha256Hex, 'hex')));
}

/** Raw blocks by their sha256 (as files are keyed), others by CID: one key per distinct block. */
function blockKey(cid: string): string {
  const parsed = CID.parse(cid);
  return parsed.code === RAW_CODE && parsed.multihash.code === SHA2_256 ? toHex(parsed.multihash.digest) : cid;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * One directory's node(s), byte for byte what ipfs-unixfs-importer writes (its DirFlat or
 * DirSharded, no mode or mtime). `emit` receives every block, sub-shards before their parent.
 */
interface EncodedDirectory extends Child {
  /** Sharded: every block of the HAMT (root first) and its top level. */
  hamt?: { shards: string[]; top: HamtTop };
}

/**
 * A sharded folder's previous top level and the names whose entry changed since: buckets holding
 * the same names, none changed, keep their link; only the others are encoded again.
 */
interface HamtReuse {
  previous: HamtTop;
  changed: ReadonlySet<string>;
}

/** An entry of a folder: its CID may still be text (from the cache), parsed only when needed. */
interface ChildRef {
  cid: CID | string;
  size: bigint;
}

const toChild = (ref: ChildRef): Child => ({ cid: typeof ref.cid === 'string' ? CID.parse(ref.cid) : ref.cid, size: ref.size });

function encodeDirectory(
  children: ReadonlyMap<string, ChildRef>,
  sharding: ShardingRule,
  emit: (block: Block) => void,
  reuse?: HamtReuse,
): EncodedDirectory {
  if (sharding === 'ipfs-car' ? children.size <= UNIXFS_V1_2025.ipfsCarShardEntries : true) {
    const links: dagPb.PBLink[] = [];
    let total = 0n;
    for (const [name, ref] of children) {
      const child = toChild(ref);
      links.push({ Name: name, Hash: child.cid, Tsize: Number(child.size) });
      total += child.size;
    }
    const bytes = dagPb.encode(dagPb.prepare({ Data: DIRECTORY_DATA, Links: links }));
    if (sharding === 'ipfs-car' || bytes.byteLength <= UNIXFS_V1_2025.hamtSizeThresholdBytes) {
      const cid = CID.createV1(DAG_PB_CODE, Digest.create(SHA2_256, sha256Of(bytes)));
      emit({ cid, bytes });
      return { cid, size: BigInt(bytes.byteLength) + total };
    }
  }
  return encodeHamtTop(children, emit, reuse);
}

const encoder = new TextEncoder();
/** Placeholder child for computing a name's slot (the slot depends on the name only). */
const SLOT_ONLY_CID = CID.createV1(DAG_PB_CODE, Digest.create(SHA2_256, new Uint8Array(32)));
const hamtEntry = (name: string, child: Child): HamtEntry => ({ name, nameBytes: encoder.encode(name), child, hashes: [] });

/** A HAMT's root shard, reusing the buckets `reuse` says are unchanged. Same bytes as encodeShard(…, 0). */
function encodeHamtTop(children: ReadonlyMap<string, ChildRef>, emit: (block: Block) => void, reuse?: HamtReuse): EncodedDirectory {
  const top: HamtTop = { slots: new Map(), buckets: new Map() };
  const groups = new Map<number, string[]>();
  for (const name of children.keys()) {
    const slot = reuse?.previous.slots.get(name) ?? slotOf(hamtEntry(name, { cid: SLOT_ONLY_CID, size: 0n }), 0);
    top.slots.set(name, slot);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [name]);
    else group.push(name);
  }
  const links: Array<{ slot: number; link: dagPb.PBLink }> = [];
  const shards: string[] = [];
  for (const [slot, names] of groups) {
    const before = reuse?.previous.buckets.get(slot);
    const same =
      before !== undefined && before.count === names.length && names.every((n) => !reuse?.changed.has(n) && reuse?.previous.slots.has(n));
    let bucket: HamtBucket;
    if (same) {
      bucket = before;
    } else if (names.length === 1) {
      const [name] = names;
      const child = name === undefined ? undefined : children.get(name);
      if (name === undefined || child === undefined) throw new Error('UnixFS import: HAMT bucket without its entry');
      bucket = { cid: child.cid.toString(), size: Number(child.size), count: 1, name, shards: [] };
    } else {
      const entries = names.map((name) => {
        const child = children.get(name);
        if (child === undefined) throw new Error('UnixFS import: HAMT bucket without its entry');
        return hamtEntry(name, toChild(child));
      });
      const blocks: string[] = [];
      const sub = encodeShard(entries, 1, (block) => {
        blocks.push(block.cid.toString());
        emit(block);
      });
      bucket = { cid: sub.cid.toString(), size: Number(sub.size), count: names.length, shards: blocks };
    }
    top.buckets.set(slot, bucket);
    shards.push(...bucket.shards);
    const prefix = slot.toString(16).toUpperCase().padStart(2, '0');
    links.push({ slot, link: { Name: prefix + (bucket.name ?? ''), Hash: CID.parse(bucket.cid), Tsize: bucket.size } });
  }
  const root = shardBlock(links);
  emit(root.block);
  return { cid: root.block.cid, size: root.size, hamt: { shards: [root.block.cid.toString(), ...shards], top } };
}

interface HamtEntry {
  name: string;
  nameBytes: Uint8Array;
  child: Child;
  /** murmur3-x64-64 of the name (then of the name + [1], [2], ... once 64 bits are used up). */
  hashes: Uint8Array[];
}

/** The slot of an entry at a level of a 256-wide HAMT: byte `level % 8` of hash number `level / 8`. */
function slotOf(entry: HamtEntry, level: number): number {
  const round = Math.floor(level / 8);
  let hash = entry.hashes[round];
  if (hash === undefined) {
    const input = round === 0 ? entry.nameBytes : Uint8Array.from([...entry.nameBytes, round]);
    const computed = murmur364.encode(input);
    if (!(computed instanceof Uint8Array)) throw new Error('UnixFS import: murmur3 hashing is expected to be synchronous');
    hash = computed;
    entry.hashes[round] = computed;
  }
  const byte = hash[level % 8];
  if (byte === undefined) throw new Error('UnixFS import: short murmur3 hash');
  return byte;
}

function encodeShard(entries: readonly HamtEntry[], level: number, emit: (block: Block) => void): Child {
  const slots = new Map<number, HamtEntry[]>();
  for (const entry of entries) {
    const slot = slotOf(entry, level);
    const group = slots.get(slot);
    if (group === undefined) slots.set(slot, [entry]);
    else group.push(entry);
  }
  const links: Array<{ slot: number; link: dagPb.PBLink }> = [];
  for (const [slot, group] of slots) {
    const prefix = slot.toString(16).toUpperCase().padStart(2, '0');
    const only = group.length === 1 ? group[0] : undefined;
    const child = only === undefined ? encodeShard(group, level + 1, emit) : only.child;
    links.push({ slot, link: { Name: only === undefined ? prefix : prefix + only.name, Hash: child.cid, Tsize: Number(child.size) } });
  }
  const { block, size } = shardBlock(links);
  emit(block);
  return { cid: block.cid, size };
}

/** One HAMT shard node from its links (each with its slot), in slot order. */
function shardBlock(slotted: Array<{ slot: number; link: dagPb.PBLink }>): { block: Block; size: bigint } {
  slotted.sort((a, b) => a.slot - b.slot);
  const bitfield = new Uint8Array(HAMT_FANOUT / 8);
  let total = 0n;
  for (const { slot, link } of slotted) {
    const at = bitfield.length - 1 - (slot >> 3);
    bitfield[at] = (bitfield[at] ?? 0) | (1 << (slot & 7));
    total += BigInt(link.Tsize ?? 0);
  }
  // Big-endian, without leading zero bytes (what the importer's sparse-array bit field gives).
  let first = 0;
  while (first < bitfield.length - 1 && bitfield[first] === 0) first += 1;
  const data = new UnixFS({
    type: 'hamt-sharded-directory',
    data: bitfield.slice(first),
    fanout: BigInt(HAMT_FANOUT),
    hashType: BigInt(murmur364.code),
  }).marshal();
  const bytes = dagPb.encode(dagPb.prepare({ Data: data, Links: slotted.map((s) => s.link) }));
  const cid = CID.createV1(DAG_PB_CODE, Digest.create(SHA2_256, sha256Of(bytes)));
  return { block: { cid, bytes }, size: BigInt(bytes.byteLength) + total };
}

function sha256Of(bytes: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(bytes).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: UNIXFS_V1_2025.chunkSize })) {
    if (!(chunk instanceof Uint8Array)) throw new Error(`UnixFS import: unexpected chunk reading ${path}`);
    hash.update(chunk);
  }
  return hash.digest('hex');
}
