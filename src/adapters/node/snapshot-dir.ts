// A snapshot on the local file system, swapped in atomically: every version is written into its
// own folder beside the output, and the output path is a symlink moved with one rename(2). A
// crash or a failed build leaves the previous snapshot exactly as it was.
import { lstat, mkdir, readFile, readdir, readlink, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { constants, copyFileSync, linkSync, mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MANIFEST_PATH, SIGNATURE_PATH, parseManifest, type Manifest } from '../../core/manifest.ts';

export class SnapshotDirError extends Error {
  override name = 'SnapshotDirError';
}

/** Where the versions of the snapshot at out are kept. */
export function versionsDirOf(out: string): string {
  const abs = resolve(out);
  return join(dirname(abs), `.${basename(abs)}.versions`);
}

/** The manifest currently at out, if any (parsed, not verified). */
export async function readCurrentManifest(out: string): Promise<Manifest | undefined> {
  try {
    return await readManifestFile(join(out, MANIFEST_PATH));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

// The manifests of the last few versions, parsed (1 MB of JSON each at 10,000 posts): a build
// reads the current one and the one of the version it recycles, both written by builds before.
// Keyed by the file's real path, inode, size and time: a file changed in any way is read again.
const recentManifests = new Map<string, { stamp: string; manifest: Manifest }>();
const RECENT_MANIFESTS = 4;

async function readManifestFile(file: string): Promise<Manifest> {
  const real = await realpath(file);
  const info = await stat(real);
  const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
  const hit = recentManifests.get(real);
  if (hit !== undefined && hit.stamp === stamp) return hit.manifest;
  const manifest = parseManifest(await readFile(real, 'utf8'));
  remember(real, stamp, manifest);
  return manifest;
}

function remember(real: string, stamp: string, manifest: Manifest): void {
  recentManifests.delete(real);
  recentManifests.set(real, { stamp, manifest });
  for (const key of recentManifests.keys()) {
    if (recentManifests.size <= RECENT_MANIFESTS) break;
    recentManifests.delete(key);
  }
}

/** The manifest a version folder was just given, so the next build need not parse it again. */
export async function rememberManifest(versionDir: string, manifest: Manifest): Promise<void> {
  const real = await realpath(join(versionDir, MANIFEST_PATH));
  const info = await stat(real);
  remember(real, `${info.ino}:${info.size}:${info.mtimeMs}`, manifest);
}

export interface WriteOptions {
  /** Older versions kept besides the new one (for rollback by hand and readers mid-request). */
  keep?: number;
  /** Longest stretch of synchronous writing before yielding to the event loop. */
  sliceMs?: number;
  /**
   * Make the new version out of the oldest kept one (default true): only the files that differ
   * from it are replaced, so a build that changed a few files makes a few file operations, not
   * one per file of the blog. Off: the new version is a new folder of links and new files.
   */
  recycle?: boolean;
}

/** What a file is: its sha256 and size, as the manifest lists it. */
export interface FileDigest {
  sha256: string;
  size: number;
}

/** A new version being written; nothing readers see changes until commit(). */
export interface SnapshotWriter {
  /**
   * True when the folder (a recycled version) holds exactly this file at path already: it is
   * then part of the new version as it is, and nothing needs writing.
   */
  holds(path: string, digest: FileDigest): boolean;
  /** Put bytes at path. */
  write(path: string, bytes: Uint8Array): Promise<void>;
  /** Put an existing file (from the previous version) at path without copying its bytes. */
  link(path: string, from: string): Promise<void>;
  /**
   * Swap the new version in (one rename). Returns the version folder and `prune`, which removes
   * the versions beyond `keep` when called (it never rejects: a version left behind is removed
   * by the next prune).
   */
  commit(): Promise<{ dir: string; prune: () => Promise<void> }>;
  /** Remove the partial version; the current snapshot is untouched. */
  abort(): Promise<void>;
}

export async function openSnapshotWriter(
  out: string,
  label: string,
  { keep = 2, sliceMs = 10, recycle = true }: WriteOptions = {},
): Promise<SnapshotWriter> {
  const abs = resolve(out);
  await checkOutIsOurs(abs);
  const versions = versionsDirOf(abs);
  await mkdir(versions, { recursive: true });
  if (!(await lstat(versions)).isDirectory()) {
    throw new SnapshotDirError(`${versions} is not a folder (a symlink?); Ferry keeps snapshot versions there: remove it`);
  }
  // What a crash left: a half-written version (.tmp-; builds of one snapshot never run at once,
  // builds and republishes take the data folder's lock) or a half-removed one (.del-).
  const current = await currentVersionName(abs);
  for (const d of await readdir(versions, { withFileTypes: true })) {
    if (d.isDirectory() && /^\.(tmp|del)-v\d+-[0-9a-f]{8}/.test(d.name)) {
      await rm(join(versions, d.name), { recursive: true, force: true }).catch(() => undefined); // a clean-up may be at it too
    }
  }
  const tmp = join(versions, `.tmp-${label}-${randomBytes(4).toString('hex')}`);
  // Recycling: the oldest version beyond the ones to keep after this build is renamed to be the
  // new one's folder (it is then no reader's any more), with what its manifest says it holds.
  // Its files are never changed in place (they may be links shared with other versions): a
  // differing file is unlinked and written or linked anew. A crash leaves a .tmp- folder that
  // the next build removes.
  const held = recycle ? await takeOldest(versions, current, keep, tmp) : undefined;
  if (held === undefined) await mkdir(tmp);
  const base = held ?? new Map<string, FileDigest>();
  const put = new Set<string>();
  const made = new Set<string>([tmp]);
  let slice = performance.now();
  const target = (path: string): string => {
    const file = join(tmp, path);
    if (!file.startsWith(`${tmp}/`)) throw new SnapshotDirError(`refusing to write outside the snapshot: ${path}`);
    const dir = dirname(file);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    return file;
  };
  /** Record path as part of the new version, freeing it when the recycled folder has another file there. */
  const claim = (path: string): void => {
    put.add(path);
    if (base.has(path)) {
      base.delete(path);
      rmSync(join(tmp, path), { force: true });
    }
  };
  // Synchronous file operations are several times faster than the thread pool for many small
  // files; yield to the event loop every few milliseconds so a server in the same process stays live.
  const breathe = async (): Promise<void> => {
    if (performance.now() - slice > sliceMs) {
      await new Promise((r) => setImmediate(r));
      slice = performance.now();
    }
  };
  return {
    holds(path, digest) {
      const had = base.get(path);
      if (had === undefined || had.sha256 !== digest.sha256 || had.size !== digest.size || put.has(path)) return false;
      put.add(path);
      return true;
    },
    async write(path, bytes) {
      claim(path);
      writeFileSync(target(path), bytes, { flag: 'wx' });
      await breathe();
    },
    async link(path, from) {
      claim(path);
      const file = target(path);
      try {
        linkSync(from, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
        copyFileSync(from, file, constants.COPYFILE_EXCL); // another file system, or links not allowed
      }
      await breathe();
    },
    async commit() {
      // What the recycled folder held and the new version does not.
      for (const path of base.keys()) {
        if (!put.has(path)) removeWithEmptyParents(tmp, join(tmp, path));
      }
      await breathe();
      const final = join(versions, `${label}-${randomBytes(4).toString('hex')}`);
      await rename(tmp, final);
      const link = `${abs}.${randomBytes(4).toString('hex')}.link`;
      await symlink(join(basename(versions), basename(final)), link);
      await rename(link, abs);
      return { dir: final, prune: () => prune(versions, basename(final), keep).catch(() => undefined) };
    },
    async abort() {
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** The version folder out points at now, if any. */
async function currentVersionName(abs: string): Promise<string | undefined> {
  try {
    return basename(await readlink(abs));
  } catch {
    return undefined;
  }
}

/**
 * Rename the oldest complete version that is neither current nor among the `keep` newest others
 * to tmp, and return what its manifest lists (plus the manifest and signature themselves). None
 * (undefined): nothing to recycle, or its manifest cannot be read.
 */
async function takeOldest(
  versions: string,
  current: string | undefined,
  keep: number,
  tmp: string,
): Promise<Map<string, FileDigest> | undefined> {
  const done = (await readdir(versions, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name !== current && /^v\d+-[0-9a-f]{8}$/.test(d.name))
    .map((d) => d.name)
    .sort(byVersionDesc);
  const oldest = done.length >= keep ? done.at(-1) : undefined;
  if (oldest === undefined) return undefined;
  let manifest: Manifest;
  try {
    manifest = await readManifestFile(join(versions, oldest, MANIFEST_PATH));
  } catch {
    return undefined; // the next prune removes it
  }
  try {
    await rename(join(versions, oldest), tmp);
  } catch {
    return undefined; // a clean-up just took it
  }
  const files = new Map<string, FileDigest>(Object.entries(manifest.files).map(([path, { sha256, size }]) => [path, { sha256, size }]));
  // Always written anew (no digest is passed for them).
  files.set(MANIFEST_PATH, { sha256: '', size: -1 });
  files.set(SIGNATURE_PATH, { sha256: '', size: -1 });
  // Only a folder holding exactly what its manifest lists is recycled (one listing, no stat per
  // file): one that lost files or gained some is removed and the new version starts empty.
  if (!(await holdsExactly(tmp, files))) {
    await rm(tmp, { recursive: true, force: true });
    return undefined;
  }
  return files;
}

async function holdsExactly(dir: string, files: ReadonlyMap<string, FileDigest>): Promise<boolean> {
  let count = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    // parentPath is dir itself or below it (readdir joins the names): cut dir off, no normalizing.
    const folder = entry.parentPath.slice(dir.length).split(sep).join('/');
    if (!entry.isFile() || !files.has(`${folder}/${entry.name}`)) return false;
    count++;
  }
  return count === files.size;
}

function removeWithEmptyParents(root: string, file: string): void {
  rmSync(file, { force: true });
  for (let dir = dirname(file); dir.length > root.length && dir.startsWith(`${root}/`); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty
    }
  }
}

async function checkOutIsOurs(abs: string): Promise<void> {
  let info;
  try {
    info = await lstat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (info.isSymbolicLink()) {
    const target = await readlink(abs);
    if (target.startsWith(`${basename(versionsDirOf(abs))}/`) && !target.split('/').includes('..')) return;
    throw new SnapshotDirError(`${abs} is a symlink Ferry did not make (to ${target}); choose another --out`);
  }
  if (info.isDirectory() && (await readdir(abs)).length === 0) {
    await rm(abs, { recursive: true });
    return;
  }
  throw new SnapshotDirError(
    `${abs} already exists and is not a Ferry snapshot; Ferry writes --out as a link to versioned folders: choose a new path or remove it`,
  );
}

async function prune(versions: string, current: string, keep: number): Promise<void> {
  // Only complete version folders Ferry names itself are ever deleted here, oldest first.
  const done = (await readdir(versions, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name !== current && /^v\d+-[0-9a-f]{8}$/.test(d.name))
    .map((d) => d.name)
    .sort(byVersionDesc);
  for (const name of done.slice(keep).reverse()) {
    // Renamed out of the versions' names first, in one step: a removal cut short never leaves a
    // half-empty folder that looks like a version (and that a build would recycle).
    const doomed = join(versions, `.del-${name}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(join(versions, name), doomed);
    } catch {
      continue; // a build took it to recycle
    }
    await rm(doomed, { recursive: true, force: true });
  }
}

function byVersionDesc(a: string, b: string): number {
  const va = Number(/^v(\d+)/.exec(a)?.[1] ?? 0);
  const vb = Number(/^v(\d+)/.exec(b)?.[1] ?? 0);
  return vb - va;
}
