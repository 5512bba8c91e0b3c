// What the reader's service worker does for one snapshot file, apart from the browser's events
// (sw.ts wires those): keep the highest signed manifest seen, ask the reader's own address first
// and the signed mirrors and IPFS gateways after it (hedged, with the edge's pool), accept bytes
// only if the signed manifest lists their sha256 and size, keep every verified file, and fall back
// to a kept copy when nothing answers. The rules for manifests and files are core's, shared with
// the edge (signed-manifest.ts). Runs in a browser or in Node (tests): every I/O is a parameter.
import { createMirrorPool, AttemptError, UnavailableError, type MirrorPool } from '../edge/mirror-pool.ts';
import { MirrorError } from '../ports/mirror-error.ts';
import { readerSources } from '../core/reader-sources.ts';
import { isRecord } from '../core/is-record.ts';
import {
  ExpiredError,
  MANIFEST_PATH,
  RollbackError,
  SIGNATURE_PATH,
  acceptManifestWith,
  checkDigest,
  isSafeSnapshotPath,
  sizeMismatch,
  type Manifest,
  type VerifySignature,
} from '../core/signed-manifest.ts';
import { createSourceMirror, type FetchLike, type SourceMirror } from './source-mirror.ts';

/** Where the worker keeps its state and verified copies (the Cache API in a browser). */
export interface ReaderStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface ReaderOptions {
  publicKey: Uint8Array;
  /** The worker's scope: the snapshot's root on the reader's address, ending with '/'. */
  scope: string;
  store: ReaderStore;
  verify: VerifySignature;
  fetch?: FetchLike;
  now?: () => Date;
  /** sha256 of bytes as hex (WebCrypto's digest in the browser). */
  sha256?: (bytes: Uint8Array) => Promise<string>;
  /** One request's deadline, ms (4000). */
  requestTimeoutMs?: number;
  /** Deadline of a whole lookup over every source, ms (10000). */
  deadlineMs?: number;
  /** How long to wait for a source before asking the next one too, before any latency is known, ms (1000). */
  hedgeMs?: number;
  /** Least time between two manifest checks prompted by the same source, ms (30000). */
  recheckMs?: number;
}

export interface ReadResult {
  bytes: Uint8Array;
  /** Which source delivered it ('cache' for a kept copy). */
  source: string;
  /** A kept copy that the current manifest no longer lists as is (or none could be checked). */
  stale: boolean;
  /** Settles once a freshly verified copy is in the store (the answer need not wait for it). */
  kept: Promise<void>;
}

export interface ReadOptions {
  preferKept?: boolean;
  /** The browser's answer to its own request for this page from the origin (navigation preload), if any. */
  preloaded?: Promise<Response | undefined>;
}

export interface Reader {
  /**
   * The verified file, or undefined when path is not in the snapshot or no manifest was ever
   * accepted (then the worker leaves the request alone). With preferKept, a kept copy that is the
   * very file the current manifest signs is answered without asking any source (the worker uses
   * it for a page's stylesheet, icon and images; pages themselves are asked for first).
   */
  read(path: string, options?: ReadOptions): Promise<ReadResult | undefined>;
  /** The accepted manifest (after loading the kept one or fetching the origin's), if any. */
  manifest(): Promise<Manifest | undefined>;
  /** A verified copy kept earlier, without asking any source (the offline page when nothing answers). */
  kept(path: string): Promise<ReadResult | undefined>;
  /** Ask the sources for a newer manifest now (install, and a periodic check). */
  refresh(): Promise<Manifest | undefined>;
  /** What happened, most recent last (bounded), for tests and the benchmark. */
  events(): readonly string[];
}

const STATE_KEY = 'state';
/** The snapshot's mirror list (core/build.ts MIRRORS_JSON_PATH), which names its IPFS root. */
const MIRRORS_JSON_PATH = '/mirrors.json';
const FILE_KEY = 'file:';
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 4096;

interface Accepted {
  manifest: Manifest;
  /** Highest version ever accepted: the rollback floor, also once the manifest expired. */
  highest: number;
}

export function createReader(opts: ReaderOptions): Reader {
  const {
    publicKey,
    scope,
    store,
    verify,
    fetch = (input, init) => globalThis.fetch(input, init),
    now = () => new Date(),
    sha256 = webSha256,
    requestTimeoutMs = 4000,
    deadlineMs = 10_000,
    hedgeMs = 1000,
    recheckMs = 30_000,
  } = opts;
  const log: string[] = [];
  const note = (line: string): void => {
    log.push(line);
    if (log.length > 200) log.shift();
  };
  let state: Accepted | undefined;
  let loaded: Promise<void> | undefined;
  let pool: { manifest: Manifest; pool: MirrorPool; mirrors: Map<string, SourceMirror> } | undefined;
  const lastCheck = new Map<string, number>();
  /** sha256 of the copy kept for each path, as this worker last stored or checked it. */
  const keptDigests = new Map<string, string>();

  const load = (): Promise<void> =>
    (loaded ??= (async () => {
      const kept = await store.get(STATE_KEY);
      if (kept === undefined) return;
      const parsed = parseState(kept);
      if (parsed === undefined) return;
      try {
        // Checked again: what is kept is only as good as its signature. Expired is fine here (it
        // still sets the floor); fresh() decides whether it may serve.
        const manifest = await acceptManifestWith(parsed.manifest, parsed.signature, { publicKey, now: new Date(0) }, verify);
        state = { manifest, highest: Math.max(parsed.highest, manifest.version) };
      } catch (e) {
        note(`kept manifest refused: ${String(e)}`);
      }
    })());

  /** The IPFS root the kept (verified) /mirrors.json names, for files too large for one block. */
  const rootCid = async (): Promise<string | undefined> => {
    const bytes = await store.get(FILE_KEY + MIRRORS_JSON_PATH);
    if (bytes === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    const ipfs = isRecord(raw) ? raw.ipfs : undefined;
    const cid = typeof ipfs === 'string' ? /^ipfs:\/\/([A-Za-z0-9]{20,128})$/.exec(ipfs)?.[1] : undefined;
    return cid;
  };

  const isFresh = (m: Manifest): boolean => Date.parse(m.expires) > now().getTime();

  /** Accept a manifest from a source if it verifies, is not expired and not lower than the floor. */
  const tryManifest = async (mirror: SourceMirror, signal?: AbortSignal): Promise<Manifest> => {
    const get = (path: string, maxBytes: number) =>
      mirror.get(path, { maxBytes, timeoutMs: requestTimeoutMs, ...(signal === undefined ? {} : { signal }) });
    const [m, s] = await Promise.all([get(MANIFEST_PATH, MAX_MANIFEST_BYTES), get(SIGNATURE_PATH, MAX_SIGNATURE_BYTES)]);
    if (!m.found || !s.found) throw new MirrorError(mirror.id, 'http-status', 'no manifest.json or manifest.json.sig');
    const signatureText = new TextDecoder().decode(s.body);
    const floor = state?.highest;
    const manifest = await acceptManifestWith(
      m.body,
      signatureText,
      { publicKey, now: now(), ...(floor === undefined ? {} : { minVersion: floor }) },
      verify,
    );
    if (state === undefined || manifest.version > state.manifest.version || !isFresh(state.manifest)) {
      state = { manifest, highest: Math.max(state?.highest ?? 0, manifest.version) };
      note(`accepted manifest version ${manifest.version} from ${mirror.id}`);
      await store.put(STATE_KEY, encodeState(m.body, signatureText, state.highest));
    }
    return manifest;
  };

  const poolOf = (list: readonly SourceMirror[]): MirrorPool =>
    createMirrorPool({ mirrors: list, hedge: { initialMs: hedgeMs, minMs: Math.min(300, hedgeMs), maxMs: hedgeMs * 2 } });

  const mirrorsFor = (manifest: Manifest): { pool: MirrorPool; mirrors: Map<string, SourceMirror> } => {
    if (pool?.manifest === manifest) return pool;
    const entryOf = (path: string) => state?.manifest.files[path];
    const list = readerSources(manifest, scope).map((s) => createSourceMirror(s, { fetch, entryOf, rootCid }));
    const created = poolOf(list);
    // A source caught serving bad bytes stays last when the next manifest lists it again.
    for (const m of list) {
      const prev = pool?.pool.state(m.id);
      if (prev?.health === 'compromised') created.observe(m.id, { type: 'compromised', error: prev.compromisedReason ?? 'compromised' });
    }
    pool = { manifest, pool: created, mirrors: new Map(list.map((m) => [m.id, m])) };
    return pool;
  };

  /** The first source (origin first) that gives an acceptable manifest; state is updated. */
  const refresh = async (): Promise<Manifest | undefined> => {
    await load();
    const base = state?.manifest;
    const { pool: p, mirrors } = base === undefined ? originOnly() : mirrorsFor(base);
    try {
      await p.race(
        async (m, signal) => {
          const mirror = mirrors.get(m.id);
          if (mirror === undefined) throw new MirrorError(m.id, 'bad-path', 'not a source');
          lastCheck.set(mirror.id, Date.now());
          try {
            return await tryManifest(mirror, signal);
          } catch (e) {
            if (e instanceof MirrorError) throw e;
            const error = `${mirror.id}: ${e instanceof Error ? e.message : String(e)}`;
            // As the edge sees it: an outdated or expired manifest is a failure; one that does not
            // verify (a block page, a forgery) is bad bytes.
            const stale = e instanceof RollbackError || e instanceof ExpiredError;
            throw new AttemptError({ type: stale ? 'failure' : 'compromised', error });
          }
        },
        { deadlineMs, only: (m) => mirrors.get(m.id)?.servesManifest === true },
      );
    } catch (e) {
      note(`manifest check: ${String(e)}`);
    }
    return state?.manifest;
  };

  /** Before any manifest: the reader's own address is the only source there is. */
  const originOnly = (): { pool: MirrorPool; mirrors: Map<string, SourceMirror> } => {
    const origin = createSourceMirror(
      { id: 'origin', kind: 'http', base: scope, priority: 0, origin: true },
      { fetch, entryOf: () => undefined },
    );
    return { pool: poolOf([origin]), mirrors: new Map([[origin.id, origin]]) };
  };

  const fresh = async (): Promise<Manifest | undefined> => {
    await load();
    if (state !== undefined && isFresh(state.manifest)) return state.manifest;
    return (await refresh()) !== undefined && state !== undefined && isFresh(state.manifest) ? state.manifest : undefined;
  };

  /** Throws IntegrityError unless bytes are what manifest signs for path; returns their sha256. */
  const matches = async (manifest: Manifest, path: string, bytes: Uint8Array, source: string): Promise<string> => {
    const mismatch = sizeMismatch(manifest, path, bytes.length, source);
    if (mismatch !== undefined) throw mismatch;
    const digest = await sha256(bytes);
    checkDigest(manifest, path, { sha256: digest, size: bytes.length }, source);
    return digest;
  };

  /** A source's bytes that do not match may be a newer snapshot's: ask it for its manifest once in a while. */
  const newerFrom = async (mirror: SourceMirror, signal: AbortSignal): Promise<Manifest | undefined> => {
    if (!mirror.servesManifest) return undefined;
    const last = lastCheck.get(mirror.id);
    if (last !== undefined && Date.now() - last < recheckMs) return undefined;
    lastCheck.set(mirror.id, Date.now());
    const before = state?.manifest.version ?? 0;
    const m = await tryManifest(mirror, signal);
    return m.version > before ? m : undefined;
  };

  const fetchVerified = async (manifest: Manifest, path: string, preloaded?: Promise<Response | undefined>): Promise<ReadResult> => {
    const { pool: p, mirrors } = mirrorsFor(manifest);
    // The browser's own request for the page (navigation preload) stands for the origin's first attempt.
    let preload = preloaded;
    const win = await p.race(
      async (m, signal) => {
        const mirror = mirrors.get(m.id);
        if (mirror === undefined) throw new MirrorError(m.id, 'bad-path', 'not a source');
        const attempt = async (): Promise<Uint8Array> => {
          const current = state?.manifest ?? manifest;
          const entry = current.files[path];
          if (entry === undefined) throw new MirrorError(mirror.id, 'bad-path', `${path} is not in manifest version ${current.version}`);
          const options = { signal, maxBytes: entry.size, timeoutMs: requestTimeoutMs };
          const answer = mirror.source.origin ? preload : undefined;
          if (answer !== undefined) preload = undefined;
          const r = answer === undefined ? await mirror.get(path, options) : await mirror.take(answer, path, options);
          if (!r.found) throw new MirrorError(mirror.id, 'http-status', `${path}: not found`);
          await matches(current, path, r.body, mirror.id);
          return r.body;
        };
        try {
          return await attempt();
        } catch (e) {
          const integrity = !(e instanceof MirrorError) || e.problem === 'too-large';
          if (!integrity) throw e;
          // Bytes the manifest does not cover (a block page answering 200, a planted script) or a
          // newer snapshot's: only a newer signed manifest from the same source can tell them apart.
          let newer: Manifest | undefined;
          try {
            newer = await newerFrom(mirror, signal);
          } catch (refused) {
            note(`${mirror.id}: manifest refused: ${String(refused)}`);
          }
          if (newer !== undefined) return attempt();
          note(`${mirror.id}: ${e instanceof Error ? e.message : String(e)}`);
          throw new AttemptError({ type: 'compromised', error: e instanceof Error ? e.message : String(e) });
        }
      },
      { deadlineMs },
    );
    note(`${path} from ${win.mirror.id}`);
    const digest = state?.manifest.files[path]?.sha256;
    // Already kept as is (this worker stored or read exactly these bytes): nothing to write.
    if (digest !== undefined && keptDigests.get(path) === digest)
      return { bytes: win.value, source: win.mirror.id, stale: false, kept: Promise.resolve() };
    const kept = store.put(FILE_KEY + path, win.value).then(
      () => {
        if (digest !== undefined) keptDigests.set(path, digest);
      },
      (e: unknown) => note(`${path}: not kept: ${String(e)}`),
    );
    return { bytes: win.value, source: win.mirror.id, stale: false, kept };
  };

  const kept = async (path: string, manifest: Manifest | undefined): Promise<ReadResult | undefined> => {
    const bytes = await store.get(FILE_KEY + path);
    if (bytes === undefined) return undefined;
    let stale = true;
    if (manifest !== undefined) {
      try {
        keptDigests.set(path, await matches(manifest, path, bytes, 'cache'));
        stale = false;
      } catch {
        // Verified when it was kept, under an earlier manifest: still the publisher's, but older.
      }
    }
    note(`${path} from the cache${stale ? ' (stale)' : ''}`);
    return { bytes, source: 'cache', stale, kept: Promise.resolve() };
  };

  const read = async (path: string, { preferKept = false, preloaded }: ReadOptions = {}): Promise<ReadResult | undefined> => {
    if (!isSafeSnapshotPath(path) || path === MANIFEST_PATH || path === SIGNATURE_PATH) return undefined;
    const manifest = await fresh();
    // Never accepted a manifest (the first visit's check failed): nothing to verify against and
    // nothing kept, so the request goes to the network as if there were no worker.
    if (state === undefined) return undefined;
    if (manifest === undefined) {
      // No fresh signed manifest anywhere: only what was verified before may be shown, as stale.
      return (await kept(path, undefined)) ?? unavailable(path, 'no fresh signed manifest');
    }
    let current = manifest;
    if (current.files[path] === undefined) {
      // Perhaps a page newer than the manifest this worker holds.
      const last = lastCheck.get('*');
      if (last === undefined || Date.now() - last >= recheckMs) {
        lastCheck.set('*', Date.now());
        current = (await refresh()) ?? current;
      }
      if (current.files[path] === undefined) return undefined;
    }
    // A kept copy known to be the file the current manifest signs is that file: no need to ask.
    if (preferKept && keptDigests.get(path) === current.files[path]?.sha256) {
      const copy = await kept(path, current);
      if (copy !== undefined && !copy.stale) return copy;
    }
    try {
      return await fetchVerified(current, path, preloaded);
    } catch (e) {
      if (!(e instanceof UnavailableError)) throw e;
      note(`${path}: ${e.message}`);
      return (await kept(path, state?.manifest)) ?? unavailable(path, e.message);
    }
  };

  const unavailable = (path: string, why: string): never => {
    throw new UnavailableError(path, [why]);
  };

  return {
    read,
    manifest: async () => {
      await load();
      return state?.manifest;
    },
    refresh,
    kept: async (path) => {
      await load();
      return kept(path, state?.manifest);
    },
    events: () => log,
  };
}

/** Thrown by read() when no source delivered and nothing verified is kept. */
export { UnavailableError };

async function webSha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.from(bytes)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function encodeState(manifest: Uint8Array, signature: string, highest: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ manifest: new TextDecoder().decode(manifest), signature, highest }));
}

function parseState(bytes: Uint8Array): { manifest: Uint8Array; signature: string; highest: number } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  const { manifest, signature, highest } = raw;
  if (typeof manifest !== 'string' || typeof signature !== 'string' || typeof highest !== 'number' || !Number.isSafeInteger(highest)) {
    return undefined;
  }
  return { manifest: new TextEncoder().encode(manifest), signature, highest };
}
