// `ferry verify`: check a snapshot (a folder, or a mirror's URL) against its signed manifest.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FetchError, type LimitedFetch } from '../ports/fetch.ts';
import { MANIFEST_PATH, NEXT_MANIFEST_PATH, NEXT_SIGNATURE_PATH, SIGNATURE_PATH } from '../core/manifest.ts';
import { acceptManifest, checkFile } from '../core/verify.ts';
import { utf8ToString } from '../core/bytes.ts';
import { createLimitedFetch } from '../adapters/web/limited-fetch.ts';

export interface SnapshotReader {
  /** Bytes at a snapshot path, or undefined when it is not there. */
  get(path: string, maxBytes: number): Promise<Uint8Array | undefined>;
  /** Every path present, when the reader can list (a folder can; a URL cannot). */
  list?(): Promise<string[]>;
  describe: string;
}

export interface VerifyProblem {
  path: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  location: string;
  version?: number;
  expires?: string;
  checked: number;
  problems: VerifyProblem[];
}

const MANIFEST_MAX = 64 * 1024 * 1024;

export async function verifySnapshot(
  reader: SnapshotReader,
  opts: {
    publicKey: Uint8Array;
    now: Date;
    concurrency?: number;
    /** The highest version accepted before (ferry verify --state): a lower one is a rollback. */
    minVersion?: number;
  },
): Promise<VerifyReport> {
  const fail = (path: string, problem: string): VerifyReport => ({
    ok: false,
    location: reader.describe,
    checked: 0,
    problems: [{ path, problem }],
  });
  const manifestBytes = await reader.get(MANIFEST_PATH, MANIFEST_MAX);
  if (manifestBytes === undefined) return fail(MANIFEST_PATH, 'missing');
  const sigBytes = await reader.get(SIGNATURE_PATH, 1024);
  if (sigBytes === undefined) return fail(SIGNATURE_PATH, 'missing');
  let manifest;
  try {
    manifest = acceptManifest(manifestBytes, utf8ToString(sigBytes, 'manifest.json.sig'), {
      publicKey: opts.publicKey,
      now: opts.now,
      ...(opts.minVersion === undefined ? {} : { minVersion: opts.minVersion }),
    });
  } catch (e) {
    return fail(MANIFEST_PATH, (e as Error).message);
  }
  const problems: VerifyProblem[] = [];
  const paths = Object.keys(manifest.files);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      const path = paths[i];
      const entry = path === undefined ? undefined : manifest.files[path];
      if (path === undefined || entry === undefined) continue;
      try {
        const bytes = await reader.get(path, entry.size);
        if (bytes === undefined) problems.push({ path, problem: 'missing' });
        else checkFile(manifest, path, bytes);
      } catch (e) {
        problems.push({ path, problem: (e as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 16 }, worker));
  if (reader.list !== undefined) {
    for (const path of await reader.list()) {
      const own = path === MANIFEST_PATH || path === SIGNATURE_PATH || path === NEXT_MANIFEST_PATH || path === NEXT_SIGNATURE_PATH;
      if (!own && manifest.files[path] === undefined) {
        problems.push({ path, problem: 'not listed in the manifest (a mirror must serve nothing else)' });
      }
    }
  }
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    ok: problems.length === 0,
    location: reader.describe,
    version: manifest.version,
    expires: manifest.expires,
    checked: paths.length,
    problems,
  };
}

export function folderReader(dir: string, { describe = dir }: { describe?: string } = {}): SnapshotReader {
  return {
    describe,
    async get(path) {
      try {
        // A local file is read whole; checkFile compares its size before hashing.
        return await readFile(join(dir, ...path.slice(1).split('/')));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw e;
      }
    },
    async list() {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() || e.isSymbolicLink())
        .map((e) => `/${relative(dir, join(e.parentPath, e.name)).split(sep).join('/')}`)
        .sort();
    },
  };
}

export function urlReader(
  base: string,
  { fetch = createLimitedFetch(), timeoutMs = 20_000 }: { fetch?: LimitedFetch; timeoutMs?: number } = {},
): SnapshotReader {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    describe: root,
    async get(path, maxBytes) {
      const url = new URL(path.slice(1).split('/').map(encodeURIComponent).join('/'), root).href;
      // One byte over the listed size is enough to tell a mismatch without reading a huge body.
      const res = await fetch(url, { timeoutMs, maxBytes: maxBytes + 1 }).catch((e: unknown) => {
        if (e instanceof FetchError && e.problem === 'too-large') {
          return { status: 200, body: new Uint8Array(maxBytes + 1), url, headers: new Headers() };
        }
        throw e;
      });
      if (res.status === 404 || res.status === 410) return undefined;
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${url}`);
      return res.body;
    },
  };
}
