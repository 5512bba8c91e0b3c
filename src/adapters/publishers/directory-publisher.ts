// `directory` target: a folder another program serves as-is (a static host's checkout, a mounted
// bucket, an nginx root). Unlike snapshot-dir's symlink swap (which needs Ferry to own the path's
// parent and the server to follow a link), files are replaced in place: each changed file is
// written beside itself and renamed over the old one (a reader gets the old or the new bytes, never
// half), manifest.json and its signature go last, then stale files are removed.
// Only files the snapshot changed are read from it. What the folder holds is known from a stat
// cache (folder-stat-cache.ts): a file whose size, times and inode are as Ferry last wrote or
// verified them is not read again; any other file whose size could match is read and hashed.
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MANIFEST_PATH, SIGNATURE_PATH, type Manifest } from '../../core/manifest.ts';
import { planPublish } from '../../core/publish-plan.ts';
import { PublishError, type PublishOptions, type PublishResult, type PublishTarget } from '../../ports/publisher.ts';
import { checkSnapshot, forEachLimited, parseHeldManifest, sha256Hex, type CheckedSnapshot } from './snapshot-files.ts';
import { createFileStatCache, sameStat, type FolderStat, type FolderStatCache, type FolderStatEntry } from './folder-stat-cache.ts';

export interface DirectoryTargetConfig {
  id: string;
  /** The folder to keep in sync (absolute, or relative to the process's working folder). */
  path: string;
  /** Snapshot-style paths ('/CNAME') that are not Ferry's and are never deleted. */
  keep?: readonly string[];
  /**
   * Where the folder's stat cache is kept (in Ferry's data folder). Without one, every file the
   * folder holds whose size matches the snapshot's is read and hashed on every publish.
   */
  statCacheFile?: string;
}

/** How files reach the folder; the defaults are node:fs. Tests pass a wrapper to watch or fail writes. */
export interface FolderWriter {
  /** Replace file with bytes so readers see the old or the new content. durable: fsync too. */
  write(file: string, bytes: Uint8Array, durable: boolean): Promise<void>;
  remove(file: string): Promise<void>;
  /** The bytes a file of the folder holds now (to learn whether it is what the snapshot wants). */
  read(file: string): Promise<Uint8Array>;
}

export interface DirectoryPublisherDeps {
  writer?: FolderWriter;
  concurrency?: number;
  /** Overrides config.statCacheFile (e.g. a memory cache). */
  statCache?: FolderStatCache;
}

const TMP_MARK = '.ferry-tmp-';

export const nodeFolderWriter: FolderWriter = {
  async write(file, bytes, durable) {
    const tmp = join(dirname(file), `${TMP_MARK}${randomBytes(6).toString('hex')}`);
    try {
      if (durable) {
        await mkdir(dirname(file), { recursive: true });
        const handle = await open(tmp, 'wx', 0o644);
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } else {
        // Most folders exist already: create one only when the write says it is missing.
        await writeFile(tmp, bytes, { mode: 0o644, flag: 'wx' }).catch(async (e: unknown) => {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          await mkdir(dirname(file), { recursive: true });
          await writeFile(tmp, bytes, { mode: 0o644, flag: 'wx' });
        });
      }
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  },
  async remove(file) {
    await rm(file, { force: true });
  },
  read: (file) => readFile(file),
};

export function createDirectoryPublisher(config: DirectoryTargetConfig, deps: DirectoryPublisherDeps = {}): PublishTarget {
  const root = resolve(config.path);
  // One for the target's life: it keeps what it last saved in memory.
  const statCache = deps.statCache ?? (config.statCacheFile === undefined ? undefined : createFileStatCache(config.statCacheFile));
  return {
    id: config.id,
    kind: 'directory',
    current: () => readFolderManifest(config.id, root),
    async publish(files, options = {}) {
      const checked = await checkSnapshot(config.id, files, options.signal);
      return syncFolder({
        targetId: config.id,
        root,
        checked,
        keep: config.keep ?? [],
        options,
        ...(deps.writer === undefined ? {} : { writer: deps.writer }),
        ...(deps.concurrency === undefined ? {} : { concurrency: deps.concurrency }),
        ...(statCache === undefined ? {} : { statCache }),
      });
    },
  };
}

export async function readFolderManifest(targetId: string, root: string): Promise<Manifest | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(root, MANIFEST_PATH));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new PublishError(targetId, 'read', `${(e as Error).message}; check that ${root} is readable`, MANIFEST_PATH);
  }
  return parseHeldManifest(targetId, bytes);
}

export interface SyncFolderInput extends DirectoryPublisherDeps {
  targetId: string;
  root: string;
  /** The snapshot, checked; its files are read (and verified) only when written. */
  checked: CheckedSnapshot;
  /** Paths never deleted (and never counted): CNAME, .nojekyll. */
  keep: readonly string[];
  /** Top-level names never looked into (.git). */
  skipTop?: readonly string[];
  options: PublishOptions;
}

/** Make the folder hold exactly the snapshot (plus keep). Shared by the directory and git targets. */
export async function syncFolder(input: SyncFolderInput): Promise<PublishResult> {
  const { targetId, root, checked, options } = input;
  const writer = input.writer ?? nodeFolderWriter;
  const concurrency = input.concurrency ?? 16;
  const keep = new Set(input.keep);
  const skipTop = new Set(input.skipTop ?? []);
  const held = await listFolder(targetId, root, skipTop);
  const foreign = [...held.keys()].filter((p) => !keep.has(p));
  if (foreign.length > 0 && !held.has(MANIFEST_PATH)) {
    throw new PublishError(
      targetId,
      'check',
      `${root} holds ${foreign.length} files (e.g. ${foreign[0] ?? ''}) but no Ferry manifest.json; point the target at an empty folder or one Ferry published to, or list non-Ferry files in "keep"`,
    );
  }
  const cached =
    input.statCache === undefined
      ? new Map<string, FolderStatEntry>()
      : await input.statCache.load(root).catch(() => new Map<string, FolderStatEntry>());
  // What the folder holds, as sha256: from the stat cache when the file's stat is as recorded,
  // else hashed when the size could match. `known` is the next stat cache.
  const known = new Map<string, FolderStatEntry>();
  const have = new Map<string, string | undefined>();
  const toHash: Array<[string, FolderStat]> = [];
  for (const [path, st] of held) {
    const entry = cached.get(path);
    if (entry !== undefined && sameStat(entry, st)) {
      have.set(path, entry.sha256);
      known.set(path, entry);
      continue;
    }
    const want = checked.entries.get(path);
    if (want === undefined || want.size !== st.size) have.set(path, `size:${st.size}`);
    else toHash.push([path, st]);
  }
  await forEachLimited(toHash, 32, async ([path, st]) => {
    const bytes = await writer.read(fileOf(root, path)).catch(() => undefined);
    if (bytes === undefined) {
      have.set(path, undefined);
      return;
    }
    const digest = sha256Hex(bytes);
    have.set(path, digest);
    // The stat is from before the read: if the file changed in between, it no longer matches next time.
    if (bytes.byteLength === st.size) known.set(path, { ...st, sha256: digest });
  });
  const plan = planPublish(checked.sha256, have, keep);
  options.onProgress?.(
    `${plan.upload.length} to write, ${plan.delete.length} to remove, ${plan.unchanged.length} unchanged (${toHash.length} files hashed)`,
  );
  let bytes = 0;
  const write = async (path: string, durable: boolean): Promise<void> => {
    const data = await checked.read(path, options.signal);
    const file = fileOf(root, path);
    known.delete(path);
    try {
      await writer.write(file, data, durable);
    } catch (e) {
      throw new PublishError(targetId, 'upload', `${(e as Error).message}; check free space and permissions on ${root}`, path);
    }
    bytes += data.length;
    // checked.read verified the bytes against the manifest: its digest is theirs.
    const digest = checked.sha256.get(path) ?? sha256Hex(data);
    const st = await statOf(file);
    if (st !== undefined && st.size === data.byteLength) known.set(path, { ...st, sha256: digest });
  };
  const content = plan.upload.filter((p) => p !== MANIFEST_PATH && p !== SIGNATURE_PATH);
  const last = plan.upload.filter((p) => p === MANIFEST_PATH || p === SIGNATURE_PATH);
  try {
    await forEachLimited(content, concurrency, (p) => write(p, false), options.signal);
    options.signal?.throwIfAborted();
    for (const p of last) await write(p, true);
    for (const path of plan.delete) {
      options.signal?.throwIfAborted();
      known.delete(path);
      try {
        await writer.remove(fileOf(root, path));
      } catch (e) {
        throw new PublishError(targetId, 'delete', `${(e as Error).message}; check permissions on ${root}`, path);
      }
      await removeEmptyParents(root, dirname(fileOf(root, path)));
    }
  } finally {
    // Whatever was verified or written so far stays true after a failure too.
    await input.statCache
      ?.save(root, known)
      .catch((e: unknown) =>
        options.onProgress?.(`could not save the stat cache (next publish hashes every file): ${(e as Error).message}`),
      );
  }
  options.onProgress?.(`wrote ${plan.upload.length} files (${bytes} bytes), removed ${plan.delete.length}`);
  return { uploaded: plan.upload.length, deleted: plan.delete.length, unchanged: plan.unchanged.length, bytes };
}

async function statOf(file: string): Promise<FolderStat | undefined> {
  try {
    const st = await stat(file);
    return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  } catch {
    return undefined;
  }
}

function fileOf(root: string, path: string): string {
  return join(root, ...path.slice(1).split('/'));
}

/** Snapshot path -> stat of every regular file under root; removes Ferry's leftover temp files. */
async function listFolder(targetId: string, root: string, skipTop: ReadonlySet<string>): Promise<Map<string, FolderStat>> {
  const out = new Map<string, FolderStat>();
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(root, { recursive: true });
      return out;
    }
    throw new PublishError(targetId, 'list', `${(e as Error).message}; check that ${root} is a readable folder`);
  }
  const regular: [string, string][] = [];
  for (const entry of entries) {
    const file = join(entry.parentPath, entry.name);
    const rel = relative(root, file).split(sep);
    if (rel[0] !== undefined && skipTop.has(rel[0])) continue;
    if (entry.name.startsWith(TMP_MARK)) {
      await rm(file, { force: true });
      continue;
    }
    if (entry.isFile()) regular.push([`/${rel.join('/')}`, file]);
  }
  // Synchronous stat is a few times faster than the thread pool for many small files (11,000:
  // ~50 ms against ~130 ms here); yield every few milliseconds so a server in this process stays live.
  let slice = performance.now();
  for (const [path, file] of regular) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st !== undefined) out.set(path, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
    if (performance.now() - slice > 10) {
      await new Promise((r) => setImmediate(r));
      slice = performance.now();
    }
  }
  return out;
}

async function removeEmptyParents(root: string, dir: string): Promise<void> {
  for (let d = dir; d.length > root.length && d.startsWith(root + sep); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}
