// The edge's mirror list as data (e.g. mirrors/edge.json): validated once, defaults in one place,
// errors that name the file, the mirror and the field, and say what to fix. Pure: the text comes in.

/** One mirror the edge reads from. Which fields a kind needs is data (MIRROR_KIND_FIELDS). */
export interface MirrorConfig {
  id: string;
  kind: string;
  /** Lower is preferred. */
  priority: number;
  /** Base URL (http, ipfs-gateway), normalised to end with '/'. */
  url?: string;
  /** Folder (directory kind), as written in the file (the runtime resolves it). */
  path?: string;
  /** Snapshot CID (ipfs-gateway kind). */
  cid?: string;
  /** Key prefix (kv kind). */
  prefix?: string;
}

export const DEFAULT_MIRROR_PRIORITY = 10;

/** Fields each known kind requires. A runtime passes the kinds it can build. */
export const MIRROR_KIND_FIELDS: Readonly<Record<string, readonly ('url' | 'path' | 'cid')[]>> = {
  http: ['url'],
  'ipfs-gateway': ['url', 'cid'],
  directory: ['path'],
  kv: [],
};

export class MirrorsConfigError extends Error {
  override name = 'MirrorsConfigError';
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CID = /^[A-Za-z0-9]{20,128}$/;

/**
 * Parse `{"mirrors":[{"id":"a","kind":"http","url":"http://127.0.0.1:1234/","priority":1}]}`.
 * `kinds` lists the kinds this runtime supports (Workers has no `directory`).
 */
export function parseMirrorsConfig(text: string, fileName: string, kinds: readonly string[]): MirrorConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MirrorsConfigError(`${fileName}: not valid JSON (${(e as Error).message}); expected {"mirrors":[...]}`);
  }
  return validateMirrorsConfig(raw, fileName, kinds);
}

export function validateMirrorsConfig(raw: unknown, fileName: string, kinds: readonly string[]): MirrorConfig[] {
  const list = isRecord(raw) ? raw.mirrors : undefined;
  if (!Array.isArray(list)) {
    throw new MirrorsConfigError(`${fileName}: expected an object {"mirrors":[...]} with a list of mirrors`);
  }
  if (list.length === 0) throw new MirrorsConfigError(`${fileName}: "mirrors" is empty; list at least one mirror`);
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const where = `${fileName}: mirrors[${i}]`;
    if (!isRecord(entry)) throw new MirrorsConfigError(`${where}: must be an object with id, kind and url`);
    const id = entry.id;
    if (typeof id !== 'string' || !ID.test(id)) {
      throw new MirrorsConfigError(`${where}: id must be 1-64 letters, digits, '.', '_' or '-' (e.g. "gh-pages")`);
    }
    const at = `${fileName}: mirror '${id}'`;
    if (seen.has(id)) throw new MirrorsConfigError(`${at}: id is used twice; give each mirror its own id`);
    seen.add(id);
    const kind = entry.kind;
    if (typeof kind !== 'string' || !kinds.includes(kind)) {
      throw new MirrorsConfigError(`${at}: kind must be one of ${kinds.join(', ')}`);
    }
    const priority = entry.priority ?? DEFAULT_MIRROR_PRIORITY;
    if (typeof priority !== 'number' || !Number.isFinite(priority)) {
      throw new MirrorsConfigError(`${at}: priority must be a number (lower is preferred)`);
    }
    const out: MirrorConfig = { id, kind, priority };
    if (entry.url !== undefined) {
      if (typeof entry.url !== 'string' || !isHttpUrl(entry.url)) {
        throw new MirrorsConfigError(`${at}: url must be http(s), e.g. "https://mirror.example.org/"`);
      }
      out.url = entry.url.endsWith('/') ? entry.url : `${entry.url}/`;
    }
    for (const field of ['path', 'cid', 'prefix'] as const) {
      const v = entry[field];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v === '') throw new MirrorsConfigError(`${at}: ${field} must be a non-empty string`);
      out[field] = v;
    }
    if (out.cid !== undefined && !CID.test(out.cid)) {
      throw new MirrorsConfigError(`${at}: cid must be a CID (letters and digits), e.g. "bafybei..."`);
    }
    for (const field of MIRROR_KIND_FIELDS[kind] ?? []) {
      if (out[field] === undefined) throw new MirrorsConfigError(`${at}: kind '${kind}' needs ${field}`);
    }
    return out;
  });
}

function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(text);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
