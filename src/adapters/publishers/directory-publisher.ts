// `directory` target: a folder another program serves as-is (a static host's checkout, a mounted
// bucket, an nginx root). Unlike snapshot-dir's symlink swap (which needs Ferry to own the path's
// parent and the server to follow a link), files are replaced in place: each changed file is
// written beside itself and renamed over the old one (a reader gets the old or the new bytes, never
// half), manifest.json and its signature go last, then stale files are removed.
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MANIFEST_PATH, SIGNATURE_PATH, type Manifest } from '../../core/manifest.ts';
import { planPublish } from '../../core/publish-plan.ts';
import { PublishError, type PublishOptions, type PublishResult, type PublishTarget } from '../../ports/publisher.ts';
import { checkSnapshot, forEachLimited, parseHeldManifest, sha256Hex, type CheckedSnapshot } from './snapshot-files.ts';

export interface DirectoryTargetConfig {
  id: string;
  /** The folder to keep in sync (absolute, or relative to the process's working folder). */
  path: string;
  /** Snapshot-style paths ('/CNAME') that are not Ferry's and are never deleted. */
  keep?: readonly string[];
}

/** How files reach the folder; the defaults are node:fs. Tests pass a wrapper to watch or fail writes. */
export interface FolderWriter {
  /** Replace file with bytes so readers see the old or the new content. durable: fsync too. */
  write(file: string, bytes: Uint8Array, durable: boolean): Promise<void>;
  remove(file: string): Promise<void>;
}

export interface DirectoryPublisherDeps {
  writer?: FolderWriter;
  concurrency?: number;
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
};

export function createDirectoryPublisher(config: DirectoryTargetConfig, deps: DirectoryPublisherDeps = {}): PublishTarget {
  const root = resolve(config.path);
  return {
    id: config.id,
    kind: 'directory',
    current: () => readFolderManifest(config.id, root),
    async publish(files, options = {}) {
      const checked = checkSnapshot(config.id, files);
      return syncFolder({ targetId: config.id, root, files, checked, keep: config.keep ?? [], options, ...deps });
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
  files: ReadonlyMap<string, Uint8Array>;
  checked: CheckedSnapshot;
  /** Paths never deleted (and never counted): CNAME, .nojekyll. */
  keep: readonly string[];
  /** Top-level names never looked into (.git). */
  skipTop?: readonly string[];
  options: PublishOptions;
}

/** Make the folder hold exactly files (plus keep). Shared by the directory and git targets. */
export async function syncFolder(input: SyncFolderInput): Promise<PublishResult> {
  const { targetId, root, files, checked, options } = input;
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
  // What the folder holds, as sha256 (hashed only when the size could match).
  const have = new Map<string, string | undefined>();
  await forEachLimited([...held], 32, async ([path, size]) => {
    const bytes = files.get(path);
    if (bytes === undefined || bytes.length !== size) {
      have.set(path, `size:${size}`);
      return;
    }
    have.set(path, await readFile(fileOf(root, path)).then(sha256Hex, () => undefined));
  });
  const plan = planPublish(checked.sha256, have, keep);
  options.onProgress?.(`${plan.upload.length} to write, ${plan.delete.length} to remove, ${plan.unchanged.length} unchanged`);
  let bytes = 0;
  const write = async (path: string, durable: boolean): Promise<void> => {
    const data = files.get(path);
    if (data === undefined) return;
    try {
      await writer.write(fileOf(root, path), data, durable);
    } catch (e) {
      throw new PublishError(targetId, 'upload', `${(e as Error).message}; check free space and permissions on ${root}`, path);
    }
    bytes += data.length;
  };
  const content = plan.upload.filter((p) => p !== MANIFEST_PATH && p !== SIGNATURE_PATH);
  const last = plan.upload.filter((p) => p === MANIFEST_PATH || p === SIGNATURE_PATH);
  await forEachLimited(content, concurrency, (p) => write(p, false), options.signal);
  options.signal?.throwIfAborted();
  for (const p of last) await write(p, true);
  for (const path of plan.delete) {
    options.signal?.throwIfAborted();
    try {
      await writer.remove(fileOf(root, path));
    } catch (e) {
      throw new PublishError(targetId, 'delete', `${(e as Error).message}; check permissions on ${root}`, path);
    }
    await removeEmptyParents(root, dirname(fileOf(root, path)));
  }
  options.onProgress?.(`wrote ${plan.upload.length} files (${bytes} bytes), removed ${plan.delete.length}`);
  return { uploaded: plan.upload.length, deleted: plan.delete.length, unchanged: plan.unchanged.length, bytes };
}

function fileOf(root: string, path: string): string {
  return join(root, ...path.slice(1).split('/'));
}

/** Snapshot path -> size of every regular file under root; removes Ferry's leftover temp files. */
async function listFolder(targetId: string, root: string, skipTop: ReadonlySet<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
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
  await forEachLimited(regular, 32, async ([path, file]) => {
    out.set(path, (await stat(file)).size);
  });
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
