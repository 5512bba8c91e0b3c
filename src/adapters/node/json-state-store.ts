// StateStore on the local file system. Per site: state.json (small: a record per post, approvals,
// what is held back), written atomically, and the published posts themselves in one pack file (a
// JSON line per post). A build appends only the posts that changed to the pack, then state.json
// records the pack's new valid length; lines past that length (a crash mid-append) are ignored and
// cut off by the next save. When most lines are stale the pack is written anew under a new name
// before state.json points at it. A crash at any point leaves the old or the new state. One
// sequential file instead of a file per post: creating 10,000 small files costs seconds.
// Every write (a build's save, `ferry approve`) reads, changes and writes state.json under one
// lock file per site (file-lock.ts), so a build and an approval running at once lose nothing.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SiteState, StateStore } from '../../ports/state.ts';
import type { PublishedRecord, Quarantined } from '../../core/guard.ts';
import type { Post } from '../../core/model.ts';
import { sha256Hex } from '../../core/bytes.ts';
import { isRecord } from '../../core/is-record.ts';

/** The first 32 hex of a pack line's sha256 (node:crypto: a blog's worth of lines is hashed on every load). */
const refOf = (line: string): string => createHash('sha256').update(line).digest('hex').slice(0, 32);
import { writeFileAtomic } from './atomic-file.ts';
import { withFileLock, type FileLockOptions } from './file-lock.ts';

const FORMAT = 'ferry-state/3';

export class StateError extends Error {
  override name = 'StateError';
}

interface StoredRecord extends PublishedRecord {
  /** sha256 (first 32 hex) of the post's line in the pack: checked when it is read back. */
  ref: string;
  /** Its line number in the pack. */
  line: number;
}

interface StoredState extends Omit<SiteState, 'published'> {
  published: Record<string, StoredRecord>;
  /** The pack file (in the site's folder) holding the published posts. */
  pack?: string;
  /** How many bytes and lines of the pack are valid (absent: the whole file, as older stores wrote it). */
  packBytes?: number;
  packLines?: number;
}

export interface JsonStateStoreOptions {
  /** Stale lines the pack may hold (besides one per live post) before it is written anew. */
  minStaleLines?: number;
  /** How writers wait for each other (see file-lock.ts). */
  lock?: Pick<FileLockOptions, 'timeoutMs' | 'staleMs'>;
}

export function createJsonStateStore(dataDir: string, { minStaleLines = 1000, lock = {} }: JsonStateStoreOptions = {}): StateStore {
  const sitesDir = join(dataDir, 'sites');
  const siteDir = (siteId: string): string => join(sitesDir, sha256Hex(siteId).slice(0, 16));
  const stateFile = (siteId: string): string => join(siteDir(siteId), 'state.json');
  const locked = async <T>(siteId: string, fn: () => Promise<T>): Promise<T> => {
    await mkdir(siteDir(siteId), { recursive: true });
    return withFileLock(join(siteDir(siteId), 'state.lock'), fn, { ...lock, what: `the state of ${siteId}` });
  };

  // A build reads state.json several times (4 MB at 10,000 posts): parsed once while the file
  // stays the same (same inode, size and modification time; every write is a new inode).
  let lastRead: { file: string; stamp: string; state: StoredState } | undefined;
  const read = async (file: string): Promise<StoredState | undefined> => {
    let text: string;
    let stamp: string;
    try {
      const info = await stat(file);
      stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (lastRead !== undefined && lastRead.file === file && lastRead.stamp === stamp) return lastRead.state;
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const state = parseState(text, file);
    lastRead = { file, stamp, state };
    return state;
  };
  const empty = (siteId: string): StoredState => ({ siteId, version: 0, published: {}, approvals: {}, pending: [], renderKeys: {} });
  const publicView = (s: StoredState): SiteState => ({
    ...s,
    published: Object.fromEntries(
      Object.entries(s.published).map(([id, { hash, title, updated, reuseKey, path }]) => [
        id,
        { hash, title, updated, ...(reuseKey === undefined ? {} : { reuseKey }), ...(path === undefined ? {} : { path }) },
      ]),
    ),
  });
  const writeState = async (s: StoredState): Promise<void> => {
    const file = stateFile(s.siteId);
    await writeFileAtomic(file, `${JSON.stringify({ format: FORMAT, ...s })}\n`);
    // What was just written need not be read back and parsed.
    const info = await stat(file);
    lastRead = { file, stamp: `${info.ino}:${info.size}:${info.mtimeMs}`, state: s };
  };
  // Posts this store handed out, with where they are in which pack.
  const loaded = new WeakMap<Post, { pack: string; line: number; ref: string }>();
  // Every post read or written, by its digest (content-addressed, so never stale), frozen: a build
  // thread keeps its store between builds, and the next build takes them without reading the pack.
  let known = new Map<string, Readonly<Post>>();
  const remember = (post: Post, ref: string): void => {
    known.set(ref, Object.freeze(post));
  };
  // The last pack read, so that the posts a build reuses and the ones it keeps cost one read.
  let cachedPack: { file: string; bytes: number | undefined; lines: string[] } | undefined;
  const packLines = async (packFile: string, validBytes: number | undefined): Promise<string[]> => {
    if (cachedPack !== undefined && cachedPack.file === packFile && cachedPack.bytes === validBytes) return cachedPack.lines;
    let buffer: Buffer;
    try {
      buffer = await readFile(packFile);
    } catch (e) {
      throw new StateError(`${packFile}: ${(e as Error).message} (the data folder is damaged; restore it from a backup)`);
    }
    if (validBytes !== undefined && buffer.length < validBytes) {
      throw new StateError(
        `${packFile}: shorter than state.json says (${buffer.length} < ${validBytes} bytes); restore the data folder from a backup`,
      );
    }
    const lines = buffer.toString('utf8', 0, validBytes ?? buffer.length).split('\n');
    cachedPack = { file: packFile, bytes: validBytes, lines };
    return lines;
  };

  // After a save: only the published posts stay remembered, and the pack's text is let go.
  const forgetAllBut = (published: ReadonlyMap<string, StoredRecord>): void => {
    const live = new Map<string, Readonly<Post>>();
    for (const { ref } of published.values()) {
      const post = known.get(ref);
      if (post !== undefined) live.set(ref, post);
    }
    known = live;
    cachedPack = undefined;
  };

  /** A build's save, under the site's lock; `stored` is state.json as read under it. */
  const saveLocked = async (
    state: Omit<SiteState, 'published'>,
    stored: StoredState | undefined,
    posts: readonly Post[],
    reuseKeys: ReadonlyMap<string, string> | undefined,
  ): Promise<void> => {
    const dir = siteDir(state.siteId);
    const published = new Map<string, StoredRecord>();
    const record = (post: Post, at: { ref: string; line: number }): void => {
      const reuseKey = reuseKeys?.get(post.id);
      published.set(post.id, {
        hash: post.contentHash,
        title: post.title,
        updated: post.updated,
        ref: at.ref,
        line: at.line,
        path: post.path,
        ...(reuseKey === undefined ? {} : { reuseKey }),
      });
    };
    // Append: posts already in the pack keep their line; only new or changed ones are written.
    const current = stored?.pack;
    if (current !== undefined && stored !== undefined) {
      const validBytes = stored.packBytes ?? (await sizeOf(join(dir, current)));
      let lineCount = stored.packLines ?? (await packLines(join(dir, current), validBytes)).length - 1;
      const appended: string[] = [];
      for (const post of posts) {
        const known = loaded.get(post);
        if (known !== undefined && known.pack === current) {
          record(post, known);
          continue;
        }
        const text = JSON.stringify(post);
        const ref = refOf(text);
        const before = Object.hasOwn(stored.published, post.id) ? stored.published[post.id] : undefined;
        if (before !== undefined && before.ref === ref) {
          record(post, before);
          continue;
        }
        record(post, { ref, line: lineCount++ });
        appended.push(`${text}\n`);
        remember(structuredClone(post), ref);
      }
      const live = posts.length;
      if (lineCount - live <= Math.max(live, minStaleLines)) {
        const bytes = appended.length === 0 ? validBytes : await appendLines(join(dir, current), validBytes, appended);
        await writeState({ ...state, published: Object.fromEntries(published), pack: current, packBytes: bytes, packLines: lineCount });
        forgetAllBut(published);
        return;
      }
      published.clear(); // mostly stale lines: write the pack anew
    }
    const pack = `posts-v${state.version}-${randomBytes(3).toString('hex')}.ndjson`;
    const tmp = join(dir, `.${pack}.tmp`);
    const out = createWriteStream(tmp, { flags: 'wx' });
    let bytes = 0;
    try {
      for (const [line, post] of posts.entries()) {
        const text = JSON.stringify(post);
        record(post, { ref: refOf(text), line });
        bytes += Buffer.byteLength(text) + 1;
        if (!out.write(`${text}\n`)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      const handle = await open(tmp, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(tmp, join(dir, pack));
    } catch (e) {
      out.destroy();
      await rm(tmp, { force: true });
      throw e;
    }
    await writeState({ ...state, published: Object.fromEntries(published), pack, packBytes: bytes, packLines: posts.length });
    forgetAllBut(published);
    // Only now that state.json names the new pack can the old ones go.
    for (const name of await readdir(dir)) {
      if (name !== pack && /^(\.)?posts-v\d+-[0-9a-f]{6}\.ndjson(\.tmp)?$/.test(name)) await rm(join(dir, name), { force: true });
    }
  };

  return {
    async load(siteId) {
      return publicView((await read(stateFile(siteId))) ?? empty(siteId));
    },

    async loadPosts(siteId, ids) {
      if (ids.length === 0) return [];
      const file = stateFile(siteId);
      const stored = (await read(file)) ?? empty(siteId);
      const pack = stored.pack;
      if (pack === undefined) throw new StateError(`${file}: names no pack of published posts`);
      const packFile = join(siteDir(siteId), pack);
      const records = ids.map((id) => {
        const rec = Object.hasOwn(stored.published, id) ? stored.published[id] : undefined;
        if (rec === undefined) throw new StateError(`${file}: no published post ${id}`);
        return { id, rec };
      });
      const missing = records.filter(({ rec }) => !known.has(rec.ref));
      if (missing.length > 0) {
        const lines = await packLines(packFile, stored.packBytes);
        for (const { id, rec } of missing) {
          const text = lines[rec.line] ?? '';
          let raw: unknown;
          try {
            raw = JSON.parse(text);
          } catch {
            raw = undefined;
          }
          const post = parsePost(raw);
          if (post === undefined || post.id !== id || refOf(text) !== rec.ref) {
            throw new StateError(`${packFile}: line ${rec.line + 1} is damaged (post ${id}); restore the data folder from a backup`);
          }
          remember(post, rec.ref);
        }
      }
      return records.map(({ id, rec }) => {
        const post = known.get(rec.ref);
        if (post === undefined || post.id !== id) throw new StateError(`${packFile}: post ${id} is not where state.json says`);
        loaded.set(post, { pack, line: rec.line, ref: rec.ref });
        return post;
      });
    },

    digestOf(post) {
      return loaded.get(post)?.ref;
    },

    save(update, posts, reuseKeys, basis) {
      return locked(update.siteId, async () => {
        const stored = await read(stateFile(update.siteId));
        await saveLocked(withLaterChanges(update, stored, basis), stored, posts, reuseKeys);
      });
    },

    saveApprovals(siteId, added, acceptOriginId) {
      return locked(siteId, async () => {
        const stored = (await read(stateFile(siteId))) ?? empty(siteId);
        const approvals = { ...stored, approvals: Object.fromEntries([...Object.entries(stored.approvals), ...Object.entries(added)]) };
        if (acceptOriginId === undefined) await writeState(approvals);
        else {
          // A feed id the origin declared after the one accepted stays pending.
          const { pendingOriginId, ...rest } = approvals;
          await writeState({
            ...rest,
            originId: acceptOriginId,
            ...(pendingOriginId === undefined || pendingOriginId === acceptOriginId ? {} : { pendingOriginId }),
          });
        }
      });
    },
    async list() {
      let dirs: string[];
      try {
        dirs = (await readdir(sitesDir)).sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      const states: SiteState[] = [];
      for (const d of dirs) {
        const s = await read(join(sitesDir, d, 'state.json'));
        if (s !== undefined) states.push(publicView(s));
      }
      return states;
    },
  };
}

/**
 * What a build saves, with the approvals and the accepted origin id that `ferry approve` recorded
 * after the build loaded `basis`: a maintainer's approval is never lost to a build that was
 * already running. Approvals the build let lapse go only if nobody approved anew meanwhile.
 */
function withLaterChanges(
  update: Omit<SiteState, 'published'>,
  stored: StoredState | undefined,
  basis: Pick<SiteState, 'approvals' | 'originId'> | undefined,
): Omit<SiteState, 'published'> {
  if (basis === undefined || stored === undefined) return update;
  const approvals = new Map(Object.entries(update.approvals));
  for (const [id, hash] of Object.entries(stored.approvals)) {
    if ((Object.hasOwn(basis.approvals, id) ? basis.approvals[id] : undefined) !== hash) approvals.set(id, hash);
  }
  const merged = { ...update, approvals: Object.fromEntries(approvals) };
  if (stored.originId === basis.originId || stored.originId === undefined) return merged;
  // A maintainer accepted an origin id since: it stands, and is no longer pending.
  const { pendingOriginId, ...rest } = merged;
  return {
    ...rest,
    originId: stored.originId,
    ...(pendingOriginId === undefined || pendingOriginId === stored.originId ? {} : { pendingOriginId }),
  };
}

async function sizeOf(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/** Cut the pack to its valid length (dropping what a crash left), append lines, fsync; the new length. */
async function appendLines(file: string, validBytes: number, lines: readonly string[]): Promise<number> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(validBytes);
    const data = Buffer.from(lines.join(''));
    await handle.write(data, 0, data.length, validBytes);
    await handle.sync();
    return validBytes + data.length;
  } finally {
    await handle.close();
  }
}

// ---- validation: stored JSON is parsed and checked, never cast -------------------------

type Obj = Record<string, unknown>;
const isObj: (v: unknown) => v is Obj = isRecord;
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseState(text: string, file: string): StoredState {
  const fail = (what: string): never => {
    throw new StateError(`${file}: ${what} (the file is damaged; restore it from a backup or delete it to start over)`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  if (!isObj(raw) || raw.format !== FORMAT) return fail(`not a ${FORMAT} file`);
  const { siteId, version, published, approvals, pending } = raw;
  const renderKeys = new Map<string, string>();
  if (isObj(raw.renderKeys)) {
    for (const [path, key] of Object.entries(raw.renderKeys)) if (typeof key === 'string') renderKeys.set(path, key);
  }
  if (typeof siteId !== 'string') return fail('siteId missing');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return fail('version invalid');
  if (!isObj(published) || !isObj(approvals) || !Array.isArray(pending)) return fail('published/approvals/pending invalid');
  // Object.fromEntries and own-property reads only: ids come from the origin ("__proto__" too).
  const pub = new Map<string, StoredRecord>();
  for (const [id, rec] of Object.entries(published)) {
    if (
      !isObj(rec) ||
      typeof rec.hash !== 'string' ||
      typeof rec.title !== 'string' ||
      typeof rec.updated !== 'string' ||
      typeof rec.ref !== 'string' ||
      !/^[0-9a-f]{32}$/.test(rec.ref) ||
      typeof rec.line !== 'number' ||
      !Number.isSafeInteger(rec.line) ||
      rec.line < 0
    ) {
      return fail(`published[${id}] invalid`);
    }
    pub.set(id, {
      hash: rec.hash,
      title: rec.title,
      updated: rec.updated,
      ref: rec.ref,
      line: rec.line,
      ...(typeof rec.reuseKey === 'string' ? { reuseKey: rec.reuseKey } : {}),
      ...(typeof rec.path === 'string' ? { path: rec.path } : {}),
    });
  }
  const appr = new Map<string, string>();
  for (const [id, hash] of Object.entries(approvals)) {
    if (typeof hash !== 'string') return fail(`approvals[${id}] invalid`);
    appr.set(id, hash);
  }
  const pend: Quarantined[] = pending.map((q, i) => {
    if (!isObj(q) || typeof q.id !== 'string' || typeof q.title !== 'string' || typeof q.hash !== 'string' || !isStrArray(q.reasons)) {
      return fail(`pending[${i}] invalid`);
    }
    return { id: q.id, title: q.title, hash: q.hash, reasons: q.reasons, ...(typeof q.html === 'string' ? { html: q.html } : {}) };
  });
  if (raw.pack !== undefined && (typeof raw.pack !== 'string' || !/^posts-v\d+-[0-9a-f]{6}\.ndjson$/.test(raw.pack)))
    return fail('pack invalid');
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if ((raw.packBytes !== undefined && !count(raw.packBytes)) || (raw.packLines !== undefined && !count(raw.packLines)))
    return fail('packBytes/packLines invalid');
  return {
    siteId,
    ...(typeof raw.pack === 'string' ? { pack: raw.pack } : {}),
    ...(count(raw.packBytes) ? { packBytes: raw.packBytes } : {}),
    ...(count(raw.packLines) ? { packLines: raw.packLines } : {}),
    ...(isObj(raw.meta) && typeof raw.meta.title === 'string' && typeof raw.meta.subtitle === 'string'
      ? { meta: { title: raw.meta.title, subtitle: raw.meta.subtitle } }
      : {}),
    ...(typeof raw.originId === 'string' ? { originId: raw.originId } : {}),
    ...(typeof raw.renderOut === 'string' ? { renderOut: raw.renderOut } : {}),
    ...(typeof raw.pendingOriginId === 'string' ? { pendingOriginId: raw.pendingOriginId } : {}),
    version,
    published: Object.fromEntries(pub),
    approvals: Object.fromEntries(appr),
    pending: pend,
    renderKeys: Object.fromEntries(renderKeys),
  };
}

function parsePost(v: unknown): Post | undefined {
  if (!isObj(v)) return undefined;
  const { id, slug, path, title, published, updated, language, html, originUrl, contentHash, authors, tags } = v;
  if (
    typeof id !== 'string' ||
    typeof slug !== 'string' ||
    typeof path !== 'string' ||
    typeof title !== 'string' ||
    typeof published !== 'string' ||
    typeof updated !== 'string' ||
    typeof language !== 'string' ||
    typeof html !== 'string' ||
    typeof originUrl !== 'string' ||
    typeof contentHash !== 'string' ||
    !isStrArray(authors) ||
    !isStrArray(tags)
  ) {
    return undefined;
  }
  return { id, slug, path, title, published, updated, authors, tags, language, html, originUrl, contentHash };
}
