// StateStore on the local file system. Per site: state.json (small: a record per post, approvals,
// what is held back), written atomically, and the published posts themselves in one pack file
// (a JSON line per post, streamed, so memory never holds the whole blog as one string), written
// under a new name before state.json points at it. A crash at any point leaves the old or the new
// state. One sequential file instead of a file per post: creating 10,000 small files costs seconds.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SiteState, StateStore } from '../../ports/state.ts';
import type { PublishedRecord, Quarantined } from '../../core/guard.ts';
import type { Post } from '../../core/model.ts';
import { sha256Hex } from '../../core/bytes.ts';
import { writeFileAtomic } from './atomic-file.ts';

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
}

export function createJsonStateStore(dataDir: string): StateStore {
  const sitesDir = join(dataDir, 'sites');
  const siteDir = (siteId: string): string => join(sitesDir, sha256Hex(siteId).slice(0, 16));
  const stateFile = (siteId: string): string => join(siteDir(siteId), 'state.json');

  const read = async (file: string): Promise<StoredState | undefined> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return parseState(text, file);
  };
  const empty = (siteId: string): StoredState => ({ siteId, version: 0, published: {}, approvals: {}, pending: [], renderKeys: {} });
  const publicView = (s: StoredState): SiteState => ({
    ...s,
    published: Object.fromEntries(
      Object.entries(s.published).map(([id, { hash, title, updated, reuseKey }]) => [id, { hash, title, updated, ...(reuseKey === undefined ? {} : { reuseKey }) }]),
    ),
  });
  const writeState = (s: StoredState): Promise<void> =>
    writeFileAtomic(stateFile(s.siteId), `${JSON.stringify({ format: FORMAT, ...s })}\n`);

  return {
    async load(siteId) {
      return publicView((await read(stateFile(siteId))) ?? empty(siteId));
    },

    async loadPosts(siteId, ids) {
      if (ids.length === 0) return [];
      const file = stateFile(siteId);
      const stored = (await read(file)) ?? empty(siteId);
      if (stored.pack === undefined) throw new StateError(`${file}: names no pack of published posts`);
      const packFile = join(siteDir(siteId), stored.pack);
      let lines: string[];
      try {
        lines = (await readFile(packFile, 'utf8')).split('\n');
      } catch (e) {
        throw new StateError(`${packFile}: ${(e as Error).message} (the data folder is damaged; restore it from a backup)`);
      }
      return ids.map((id) => {
        const rec = Object.hasOwn(stored.published, id) ? stored.published[id] : undefined;
        if (rec === undefined) throw new StateError(`${file}: no published post ${id}`);
        const text = lines[rec.line] ?? '';
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          raw = undefined;
        }
        const post = parsePost(raw);
        if (post === undefined || post.id !== id || sha256Hex(text).slice(0, 32) !== rec.ref) {
          throw new StateError(`${packFile}: line ${rec.line + 1} is damaged (post ${id}); restore the data folder from a backup`);
        }
        return post;
      });
    },

    async save(state, posts, reuseKeys) {
      const dir = siteDir(state.siteId);
      await mkdir(dir, { recursive: true });
      const pack = `posts-v${state.version}-${randomBytes(3).toString('hex')}.ndjson`;
      const tmp = join(dir, `.${pack}.tmp`);
      const published = new Map<string, StoredRecord>();
      const out = createWriteStream(tmp, { flags: 'wx' });
      try {
        for (const [line, post] of posts.entries()) {
          const text = JSON.stringify(post);
          const reuseKey = reuseKeys?.get(post.id);
          published.set(post.id, {
            hash: post.contentHash,
            title: post.title,
            updated: post.updated,
            ref: sha256Hex(text).slice(0, 32),
            line,
            ...(reuseKey === undefined ? {} : { reuseKey }),
          });
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
      await writeState({ ...state, published: Object.fromEntries(published), pack });
      // Only now that state.json names the new pack can the old ones go.
      for (const name of await readdir(dir)) {
        if (name !== pack && /^(\.)?posts-v\d+-[0-9a-f]{6}\.ndjson(\.tmp)?$/.test(name)) await rm(join(dir, name), { force: true });
      }
    },

    async saveApprovals(siteId, approvals, acceptOriginId) {
      const stored = (await read(stateFile(siteId))) ?? empty(siteId);
      if (acceptOriginId === undefined) await writeState({ ...stored, approvals });
      else {
        const { pendingOriginId: _accepted, ...rest } = stored;
        await writeState({ ...rest, approvals, originId: acceptOriginId });
      }
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

// ---- validation: stored JSON is parsed and checked, never cast -------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
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
    return { id: q.id, title: q.title, hash: q.hash, reasons: q.reasons };
  });
  if (raw.pack !== undefined && (typeof raw.pack !== 'string' || !/^posts-v\d+-[0-9a-f]{6}\.ndjson$/.test(raw.pack))) return fail('pack invalid');
  return {
    siteId,
    ...(typeof raw.pack === 'string' ? { pack: raw.pack } : {}),
    ...(isObj(raw.meta) && typeof raw.meta.title === 'string' && typeof raw.meta.subtitle === 'string'
      ? { meta: { title: raw.meta.title, subtitle: raw.meta.subtitle } }
      : {}),
    ...(typeof raw.originId === 'string' ? { originId: raw.originId } : {}),
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
