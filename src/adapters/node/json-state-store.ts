// StateStore on the local file system: one JSON file per site, written atomically.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SiteState, StateStore } from '../../ports/state.ts';
import type { PublishedRecord, Quarantined } from '../../core/guard.ts';
import type { Post } from '../../core/model.ts';
import { sha256Hex } from '../../core/bytes.ts';
import { writeFileAtomic } from './atomic-file.ts';

const FORMAT = 'ferry-state/1';

export class StateError extends Error {
  override name = 'StateError';
}

export function createJsonStateStore(dataDir: string): StateStore {
  const sitesDir = join(dataDir, 'sites');
  const fileFor = (siteId: string): string => join(sitesDir, sha256Hex(siteId).slice(0, 16), 'state.json');

  const read = async (file: string): Promise<SiteState | undefined> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return parseState(text, file);
  };

  return {
    async load(siteId) {
      const state = await read(fileFor(siteId));
      return state ?? { siteId, version: 0, published: {}, approvals: {}, pending: [] };
    },
    async save(state) {
      await writeFileAtomic(fileFor(state.siteId), `${JSON.stringify({ format: FORMAT, ...state })}\n`);
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
        if (s !== undefined) states.push(s);
      }
      return states;
    },
  };
}

// ---- validation: stored JSON is parsed and checked, never cast -------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseState(text: string, file: string): SiteState {
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
  if (typeof siteId !== 'string') return fail('siteId missing');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return fail('version invalid');
  if (!isObj(published) || !isObj(approvals) || !Array.isArray(pending)) return fail('published/approvals/pending invalid');
  const pub: Record<string, PublishedRecord> = {};
  for (const [id, rec] of Object.entries(published)) {
    if (!isObj(rec) || typeof rec.hash !== 'string') return fail(`published[${id}] invalid`);
    pub[id] = { hash: rec.hash, post: parsePost(rec.post) ?? fail(`published[${id}].post invalid`) };
  }
  const appr: Record<string, string> = {};
  for (const [id, hash] of Object.entries(approvals)) {
    if (typeof hash !== 'string') return fail(`approvals[${id}] invalid`);
    appr[id] = hash;
  }
  const pend: Quarantined[] = pending.map((q, i) => {
    if (!isObj(q) || typeof q.id !== 'string' || typeof q.title !== 'string' || typeof q.hash !== 'string' || !isStrArray(q.reasons)) {
      return fail(`pending[${i}] invalid`);
    }
    return { id: q.id, title: q.title, hash: q.hash, reasons: q.reasons };
  });
  return { siteId, version, published: pub, approvals: appr, pending: pend };
}

function parsePost(v: unknown): Post | undefined {
  if (!isObj(v)) return undefined;
  const str = ['id', 'slug', 'path', 'title', 'published', 'updated', 'language', 'html', 'originUrl', 'contentHash'] as const;
  for (const k of str) if (typeof v[k] !== 'string') return undefined;
  if (!isStrArray(v.authors) || !isStrArray(v.tags)) return undefined;
  return {
    id: String(v.id),
    slug: String(v.slug),
    path: String(v.path),
    title: String(v.title),
    published: String(v.published),
    updated: String(v.updated),
    authors: v.authors,
    tags: v.tags,
    language: String(v.language),
    html: String(v.html),
    originUrl: String(v.originUrl),
    contentHash: String(v.contentHash),
  };
}
