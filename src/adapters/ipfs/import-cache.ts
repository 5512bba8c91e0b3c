// What the last completed UnixFS import of a snapshot left behind, so the next import redoes only
// what depends on a change:
//   - files: each snapshot path's identity (`${sha256}:${size}`). A file whose identity is the
//     same is unchanged, and so is its block.
//   - dirs: each folder's node (CID, cumulative size, number of entries, and for a HAMT every
//     shard block). A folder whose entries are all unchanged keeps its node, unread and unwritten.
//   - largeFiles: (sha256, size) of each file over one chunk -> its file root, cumulative size and
//     every block of its DAG, so a large file is never chunked twice.
// The blocks of the last import are assumed to be in the store still; the importer checks the
// store holds the last root and otherwise starts afresh. The cache is only ever a shortcut: a
// missing, damaged or foreign file reads as empty, and it is replaced atomically (temporary file,
// then rename) so a crash leaves the old one whole.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { isRecord } from '../../core/is-record.ts';

/** Bump when anything that decides a CID changes (profile, layout, encoding). */
export const IMPORT_CACHE_FORMAT = 'ferry-unixfs-import-cache/2 unixfs-v1-2025';

export interface LargeFileEntry {
  /** The file's root CID (dag-pb). */
  cid: string;
  /** Cumulative DAG size (the Tsize a directory link to it carries). */
  size: number;
  /** Every block of the file's DAG, root included. */
  blocks: string[];
}

export interface DirEntry {
  cid: string;
  /** Cumulative DAG size. */
  size: number;
  /** Files and folders directly inside. */
  entries: number;
  /** A sharded folder: every block of its HAMT, root included. */
  shards?: string[];
  /** A sharded folder: its top level, so a change rebuilds only the buckets it touches. */
  hamt?: HamtTop;
}

/** A HAMT's top level: the slot of every name, and what each used slot links to. */
export interface HamtTop {
  slots: Map<string, number>;
  buckets: Map<number, HamtBucket>;
}

export interface HamtBucket {
  /** The entry itself (one name in the slot) or the sub-shard. */
  cid: string;
  size: number;
  /** Names in the slot. */
  count: number;
  /** One name in the slot: that name. */
  name?: string;
  /** Blocks of the sub-shard (none for a single entry). */
  shards: string[];
}

export interface ImportCacheState {
  /** Root CID of the import that wrote this state. */
  root?: string;
  /** The sharding rule the folders were built with ('ipfs-car' or 'kubo'). */
  sharding?: string;
  /** Snapshot path ('/posts/a/index.html') -> `${sha256}:${size}`. */
  files: Map<string, string>;
  /** Folder path ('/' for the root, '/posts' ...) -> its node. */
  dirs: Map<string, DirEntry>;
  /** Key: `${sha256 hex}:${size}` (see largeFileKey). */
  largeFiles: Map<string, LargeFileEntry>;
}

export interface ImportCache {
  load(): Promise<ImportCacheState>;
  save(state: ImportCacheState): Promise<void>;
}

export function emptyImportCacheState(): ImportCacheState {
  return { files: new Map(), dirs: new Map(), largeFiles: new Map() };
}

export function largeFileKey(sha256Hex: string, size: number): string {
  return `${sha256Hex}:${size}`;
}

/** Where a data folder keeps the import cache (beside the block store). */
export function importCacheFile(dataDir: string): string {
  return join(dataDir, 'ipfs', 'import-cache.json');
}

/** An import cache kept in memory (tests, one long-running process). */
export function createMemoryImportCache(): ImportCache {
  let state = emptyImportCacheState();
  return {
    load: async () => copyState(state),
    save: async (next) => {
      state = copyState(next);
    },
  };
}

export interface FileImportCacheOptions {
  file: string;
  /** Called when the file exists but cannot be used (it is then ignored, and replaced on save). */
  onInvalid?: (file: string, reason: string) => void;
}

/**
 * An import cache kept as one JSON file, replaced atomically on every save. What was last saved
 * or loaded is also kept in memory while the file stays as it was (same inode, size and time), so
 * a long-running republisher does not parse it again on every run.
 */
export function createFileImportCache({ file, onInvalid = () => undefined }: FileImportCacheOptions): ImportCache {
  let kept: { stamp: string; state: ImportCacheState } | undefined;
  const stampOf = async (): Promise<string> => {
    const info = await stat(file);
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  };
  return {
    async load() {
      let text: string;
      let stamp: string;
      try {
        stamp = await stampOf();
        if (kept !== undefined && kept.stamp === stamp) return copyState(kept.state);
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyImportCacheState();
        throw e;
      }
      const parsed = parseImportCache(text);
      if (typeof parsed === 'string') {
        onInvalid(file, parsed);
        return emptyImportCacheState();
      }
      kept = { stamp, state: copyState(parsed) };
      return parsed;
    },
    async save(state) {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await writeFile(tmp, serializeImportCache(state), { flag: 'wx' });
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      kept = { stamp: await stampOf(), state: copyState(state) };
    },
  };
}

export function serializeImportCache(state: ImportCacheState): string {
  const dirs: Record<string, unknown> = {};
  for (const [path, entry] of state.dirs) {
    const { hamt, ...rest } = entry;
    dirs[path] =
      hamt === undefined ? rest : { ...rest, hamt: { slots: Object.fromEntries(hamt.slots), buckets: Object.fromEntries(hamt.buckets) } };
  }
  const largeFiles: Record<string, LargeFileEntry> = {};
  for (const [key, entry] of state.largeFiles) largeFiles[key] = entry;
  return `${JSON.stringify({ format: IMPORT_CACHE_FORMAT, root: state.root, sharding: state.sharding, files: Object.fromEntries(state.files), dirs, largeFiles })}\n`;
}

const CID_TEXT = /^[a-z2-7]{8,200}$/;
const IDENTITY = /^[0-9a-f]{64}:\d+$/;

/** The cache's state, or a reason it cannot be used (never throws, never trusts a cast). */
export function parseImportCache(text: string): ImportCacheState | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (!isRecord(raw)) return 'not an object';
  if (raw.format !== IMPORT_CACHE_FORMAT) return `format is not "${IMPORT_CACHE_FORMAT}"`;
  const state = emptyImportCacheState();
  if (raw.root !== undefined) {
    if (typeof raw.root !== 'string' || !CID_TEXT.test(raw.root)) return 'root is not a CID';
    state.root = raw.root;
  }
  if (raw.sharding !== undefined) {
    if (typeof raw.sharding !== 'string') return 'sharding is not a string';
    state.sharding = raw.sharding;
  }
  if (!isRecord(raw.files)) return 'files is not an object';
  for (const [path, identity] of Object.entries(raw.files)) {
    if (typeof identity !== 'string' || !IDENTITY.test(identity)) return `files[${JSON.stringify(path)}]: not "sha256:size"`;
    state.files.set(path, identity);
  }
  if (!isRecord(raw.dirs)) return 'dirs is not an object';
  for (const [path, entry] of Object.entries(raw.dirs)) {
    const where = `dirs[${JSON.stringify(path)}]`;
    if (!isRecord(entry) || typeof entry.cid !== 'string' || !CID_TEXT.test(entry.cid)) return `${where}: cid is not a CID`;
    if (!isCount(entry.size) || !isCount(entry.entries)) return `${where}: bad size or entries`;
    const dir: DirEntry = { cid: entry.cid, size: entry.size, entries: entry.entries };
    if (entry.shards !== undefined) {
      if (!isCidList(entry.shards) || !entry.shards.includes(entry.cid)) return `${where}: bad shard list`;
      dir.shards = entry.shards;
    }
    if (entry.hamt !== undefined) {
      const hamt = parseHamtTop(entry.hamt);
      if (typeof hamt === 'string') return `${where}.hamt: ${hamt}`;
      dir.hamt = hamt;
    }
    state.dirs.set(path, dir);
  }
  if (!isRecord(raw.largeFiles)) return 'largeFiles is not an object';
  for (const [key, entry] of Object.entries(raw.largeFiles)) {
    if (!IDENTITY.test(key)) return `largeFiles: bad key ${JSON.stringify(key)}`;
    if (!isRecord(entry) || typeof entry.cid !== 'string' || !CID_TEXT.test(entry.cid)) return `largeFiles[${key}]: cid is not a CID`;
    if (!isCount(entry.size)) return `largeFiles[${key}]: bad size`;
    if (!isCidList(entry.blocks) || !entry.blocks.includes(entry.cid)) return `largeFiles[${key}]: bad block list`;
    state.largeFiles.set(key, { cid: entry.cid, size: entry.size, blocks: entry.blocks });
  }
  return state;
}

function parseHamtTop(raw: unknown): HamtTop | string {
  if (!isRecord(raw) || !isRecord(raw.slots) || !isRecord(raw.buckets)) return 'not { slots, buckets }';
  const top: HamtTop = { slots: new Map(), buckets: new Map() };
  for (const [name, slot] of Object.entries(raw.slots)) {
    if (!isCount(slot) || slot > 255) return `bad slot for ${JSON.stringify(name)}`;
    top.slots.set(name, slot);
  }
  for (const [key, bucket] of Object.entries(raw.buckets)) {
    const slot = Number(key);
    if (!/^\d{1,3}$/.test(key) || slot > 255) return `bad bucket ${JSON.stringify(key)}`;
    if (
      !isRecord(bucket) ||
      typeof bucket.cid !== 'string' ||
      !CID_TEXT.test(bucket.cid) ||
      !isCount(bucket.size) ||
      !isCount(bucket.count) ||
      bucket.count < 1
    ) {
      return `bucket ${key}: bad cid, size or count`;
    }
    if (!isCidList(bucket.shards) || (bucket.name !== undefined && typeof bucket.name !== 'string'))
      return `bucket ${key}: bad shards or name`;
    top.buckets.set(slot, {
      cid: bucket.cid,
      size: bucket.size,
      count: bucket.count,
      shards: bucket.shards,
      ...(bucket.name === undefined ? {} : { name: bucket.name }),
    });
  }
  return top;
}

function copyState(state: ImportCacheState): ImportCacheState {
  const copy: ImportCacheState = { files: new Map(state.files), dirs: new Map(), largeFiles: new Map() };
  if (state.root !== undefined) copy.root = state.root;
  if (state.sharding !== undefined) copy.sharding = state.sharding;
  for (const [key, entry] of state.dirs) {
    const dir: DirEntry = { ...entry };
    if (entry.shards !== undefined) dir.shards = [...entry.shards];
    if (entry.hamt !== undefined)
      dir.hamt = {
        slots: new Map(entry.hamt.slots),
        buckets: new Map([...entry.hamt.buckets].map(([k, b]) => [k, { ...b, shards: [...b.shards] }])),
      };
    copy.dirs.set(key, dir);
  }
  for (const [key, entry] of state.largeFiles) copy.largeFiles.set(key, { ...entry, blocks: [...entry.blocks] });
  return copy;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isCidList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && CID_TEXT.test(v));
}
