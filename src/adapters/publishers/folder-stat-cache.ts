// What a folder target held after the last publish, so the next one hashes only files that moved:
// path -> (size, mtime, ctime, inode) as last written or verified, with the sha256 of those bytes.
// A file whose stat still matches is taken at its recorded sha256 without being read; any other
// (written, replaced or edited behind Ferry's back: new mtime, ctime, size or inode) is hashed as
// before. As in git ("racy git"), an entry whose file times are not older than the cache file
// itself is not trusted: file times are coarse (a few ms), so a file edited right after Ferry
// recorded it could keep the same times; it is hashed again instead. The cache is only a shortcut: a missing, damaged or foreign file (another folder) reads
// as empty, and it is replaced atomically so a crash leaves the old one whole.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { isRecord } from '../../core/is-record.ts';

export const FOLDER_STAT_CACHE_FORMAT = 'ferry-folder-stat/1';

export interface FolderStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface FolderStatEntry extends FolderStat {
  /** sha256 hex of the bytes the file held at this stat. */
  sha256: string;
}

export interface FolderStatCache {
  /**
   * Entries recorded for this folder that may be trusted (none when the cache is missing, damaged
   * or recorded for another folder; an entry as new as the cache itself is left out).
   */
  load(root: string): Promise<Map<string, FolderStatEntry>>;
  save(root: string, entries: ReadonlyMap<string, FolderStatEntry>): Promise<void>;
}

export function sameStat(a: FolderStat, b: FolderStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** A stat cache kept as one JSON file (in Ferry's data folder, or inside a git work folder's .git). */
export function createFileStatCache(file: string): FolderStatCache {
  // What the file holds now, trusted entries only, while it stays as it was (same inode, size and
  // time): a long-running republisher then does not parse it again on every publish.
  let kept: { root: string; stamp: string; entries: Map<string, FolderStatEntry> } | undefined;
  return {
    async load(root) {
      let text: string;
      let savedAtMs: number;
      let stamp: string;
      try {
        const info = await stat(file);
        savedAtMs = info.mtimeMs;
        stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
        if (kept !== undefined && kept.root === root && kept.stamp === stamp) return new Map(kept.entries);
        text = await readFile(file, 'utf8');
      } catch {
        return new Map();
      }
      const entries = parseFolderStatCache(text, root, savedAtMs);
      kept = { root, stamp, entries: new Map(entries) };
      return entries;
    },
    async save(root, entries) {
      const files: Record<string, [number, number, number, number, string]> = {};
      for (const [path, e] of entries) files[path] = [e.size, e.mtimeMs, e.ctimeMs, e.ino, e.sha256];
      // Temporary file, then rename: a reader sees the old cache or the new one. No fsync: a cache
      // lost or emptied by a crash only means hashing every file once more.
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await writeFile(tmp, JSON.stringify({ format: FOLDER_STAT_CACHE_FORMAT, root, files }), { flag: 'wx' });
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      // What parsing the file just written would give: entries older than the file itself.
      const info = await stat(file);
      const trusted = new Map<string, FolderStatEntry>();
      for (const [path, e] of entries) if (!isRacy(e, info.mtimeMs)) trusted.set(path, e);
      kept = { root, stamp: `${info.ino}:${info.size}:${info.mtimeMs}`, entries: trusted };
    },
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Entries of a cache file's text for root; anything malformed makes the whole cache empty.
 * savedAtMs: when the cache was written (its file's mtime, the same clock as the files' times).
 */
export function parseFolderStatCache(text: string, root: string, savedAtMs: number): Map<string, FolderStatEntry> {
  const out = new Map<string, FolderStatEntry>();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return out;
  }
  if (!isRecord(raw) || raw.format !== FOLDER_STAT_CACHE_FORMAT || raw.root !== root || !isRecord(raw.files)) return out;
  for (const [path, value] of Object.entries(raw.files)) {
    if (!Array.isArray(value) || value.length !== 5) return new Map();
    const [size, mtimeMs, ctimeMs, ino, sha256] = value as unknown[];
    if (typeof size !== 'number' || typeof mtimeMs !== 'number' || typeof ctimeMs !== 'number' || typeof ino !== 'number') return new Map();
    if (typeof sha256 !== 'string' || !HEX64.test(sha256)) return new Map();
    const entry = { size, mtimeMs, ctimeMs, ino, sha256 };
    if (isRacy(entry, savedAtMs)) continue; // hash it again
    out.set(path, entry);
  }
  return out;
}

/** A file whose times are not older than the cache file: it may have changed unseen since. */
function isRacy(e: FolderStat, savedAtMs: number): boolean {
  return e.mtimeMs >= savedAtMs || e.ctimeMs >= savedAtMs;
}
