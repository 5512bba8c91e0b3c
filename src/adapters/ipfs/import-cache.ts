// What the last completed UnixFS import of a snapshot left behind, so the next import skips work
// whose answer cannot have changed:
//   - stored: every block CID the import checked into the store (file blocks, directory and HAMT
//     shard nodes). A block the last import saw in the store is assumed to be there still, so
//     it is neither stat'ed nor written again. The importer drops this set when the store no longer
//     holds the last root (a wiped or replaced store).
//   - largeFiles: (sha256, size) of each file over one chunk -> its file root, cumulative size and
//     every block of its DAG, so an unchanged large file is neither read nor re-chunked.
// It is only ever a shortcut: a missing, damaged or foreign cache file reads as empty, and the
// file is replaced atomically (temporary file, then rename) so a crash leaves the old one whole.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';

/** Bump when anything that decides a CID changes (profile, layout, encoding). */
export const IMPORT_CACHE_FORMAT = 'ferry-unixfs-import-cache/1 unixfs-v1-2025';

export interface LargeFileEntry {
  /** The file's root CID (dag-pb). */
  cid: string;
  /** Cumulative DAG size (the Tsize a directory link to it carries). */
  size: number;
  /** Every block of the file's DAG, root included. */
  blocks: string[];
}

export interface ImportCacheState {
  /** Root CID of the import that wrote this state. */
  root?: string;
  stored: Set<string>;
  /** Key: `${sha256 hex}:${size}` (see largeFileKey). */
  largeFiles: Map<string, LargeFileEntry>;
}

export interface ImportCache {
  load(): Promise<ImportCacheState>;
  save(state: ImportCacheState): Promise<void>;
}

export function emptyImportCacheState(): ImportCacheState {
  return { stored: new Set(), largeFiles: new Map() };
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

/** An import cache kept as one JSON file, replaced atomically on every save. */
export function createFileImportCache({ file, onInvalid = () => undefined }: FileImportCacheOptions): ImportCache {
  return {
    async load() {
      let text: string;
      try {
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
    },
  };
}

export function serializeImportCache(state: ImportCacheState): string {
  const largeFiles: Record<string, LargeFileEntry> = {};
  for (const key of [...state.largeFiles.keys()].sort()) {
    const entry = state.largeFiles.get(key);
    if (entry !== undefined) largeFiles[key] = entry;
  }
  return `${JSON.stringify({ format: IMPORT_CACHE_FORMAT, root: state.root, stored: [...state.stored].sort(), largeFiles })}\n`;
}

const CID_TEXT = /^[a-z2-7]{8,200}$/;
const LARGE_KEY = /^[0-9a-f]{64}:\d+$/;

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
  if (!isCidList(raw.stored)) return 'stored is not a list of CIDs';
  state.stored = new Set(raw.stored);
  if (!isRecord(raw.largeFiles)) return 'largeFiles is not an object';
  for (const [key, entry] of Object.entries(raw.largeFiles)) {
    if (!LARGE_KEY.test(key)) return `largeFiles: bad key ${JSON.stringify(key)}`;
    if (!isRecord(entry) || typeof entry.cid !== 'string' || !CID_TEXT.test(entry.cid)) return `largeFiles[${key}]: cid is not a CID`;
    if (typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0) return `largeFiles[${key}]: bad size`;
    if (!isCidList(entry.blocks) || !entry.blocks.includes(entry.cid)) return `largeFiles[${key}]: bad block list`;
    state.largeFiles.set(key, { cid: entry.cid, size: entry.size, blocks: [...entry.blocks] });
  }
  return state;
}

function copyState(state: ImportCacheState): ImportCacheState {
  const copy: ImportCacheState = { stored: new Set(state.stored), largeFiles: new Map() };
  if (state.root !== undefined) copy.root = state.root;
  for (const [key, entry] of state.largeFiles) copy.largeFiles.set(key, { ...entry, blocks: [...entry.blocks] });
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCidList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && CID_TEXT.test(v));
}
