// The edge: a Hono app on Web-standard Request/Response (the same code on Node and Workers).
// Every snapshot path is read through the mirror pool, verified against the signed manifest,
// cached (with its compressed variants and ready-made headers) and served. When no mirror can
// deliver: the last verified copy, marked stale; with none, a 503 page. Never an unverified byte.
import { Hono, type Context } from 'hono';
import { createIpfsGateway } from './ipfs-gateway.ts';
import type { BlockGetter } from '../ports/ipfs.ts';
import { sha256Hex } from '../core/bytes.ts';
import type { EdgeStateStore } from '../ports/edge-state.ts';
import type { Mirror } from '../ports/mirror.ts';
import { createMemoryEdgeState } from '../adapters/edge-state/memory-edge-state.ts';
import { chooseEncoding, createWebCompressor, type Compressor, type Encoding } from './compression.ts';
import {
  SECURITY_HEADERS,
  cacheControlFor,
  canonicalLink,
  contentTypeFor,
  isCompressible,
  onionLocation,
  toSnapshotPath,
} from './content-headers.ts';
import { createMirrorPool, UnavailableError, type MirrorPool } from './mirror-pool.ts';
import { notFoundPage, unavailablePage } from './pages.ts';
import type { HedgePolicy, PoolHealth } from './pool-state.ts';
import {
  createSnapshotReader,
  type AcceptedManifest,
  type ReaderEvent,
  type ReaderTimeouts,
  type SnapshotReader,
} from './snapshot-reader.ts';

export type EdgeEvent =
  | ReaderEvent
  | { type: 'mirror-state'; mirror: string; state: PoolHealth; error?: string }
  | { type: 'served-stale'; path: string }
  | { type: 'unavailable'; path: string; error: string };

export interface EdgeOptions {
  mirrors: readonly Mirror[];
  /** The pinned ed25519 public key (raw 32 bytes; use decodeKey for PEM or base64 text). */
  publicKey: Uint8Array;
  now?: () => Date;
  /** Last accepted manifest and last verified copies (default: memory). */
  store?: EdgeStateStore;
  hedge?: HedgePolicy;
  timeouts?: Partial<ReaderTimeouts>;
  /** How often the manifest is looked for again while serving, ms (default 60 s). */
  manifestTtlMs?: number;
  /** Least time between manifest refreshes caused by unknown paths, ms (default 5 s). */
  missRefreshMs?: number;
  compressor?: Compressor;
  /** Upper bound for the verified bytes kept in memory (default 256 MB). */
  maxCacheBytes?: number;
  onEvent?: (event: EdgeEvent) => void;
  /**
   * How to read a request header. The default is the Web-standard one; a runtime may pass a
   * cheaper one (Node reads the raw IncomingMessage headers instead of building a Headers object).
   */
  requestHeader?: (c: Context, name: 'if-none-match' | 'accept-encoding') => string | undefined;
  /** Blocks of the snapshot's IPFS DAG, served as a trustless gateway at /ipfs/ when given. */
  ipfs?: BlockGetter;
}

export interface Edge {
  app: Hono;
  pool: MirrorPool;
  reader: SnapshotReader;
}

interface CachedFile {
  path: string;
  sha256: string;
  body: Uint8Array;
  variants: Partial<Record<Encoding, Uint8Array>>;
  verifiedAt: number;
}

interface Variant {
  body: Uint8Array;
  headers: Record<string, string>;
}

interface Prepared {
  version: number;
  sha256: string;
  identity: Variant;
  encoded: Partial<Record<Encoding, Variant>>;
  notModified: Record<string, string>;
}

const NO_STORE = 'no-store';

export function createEdgeApp(options: EdgeOptions): Hono {
  return createEdge(options).app;
}

export function createEdge(options: EdgeOptions): Edge {
  const {
    now = () => new Date(),
    store = createMemoryEdgeState(),
    manifestTtlMs = 60_000,
    missRefreshMs = 5_000,
    compressor = createWebCompressor(),
    maxCacheBytes = 256 * 1024 * 1024,
    onEvent = () => undefined,
    requestHeader = (c, name) => c.req.header(name),
  } = options;

  // Compromised marks are shared through the store (KV on Workers), so every isolate or process
  // skips a mirror once any of them caught it serving bad bytes, until the health checker clears it.
  let marksDirty = false;
  let applyingMarks = false;
  const pool = createMirrorPool({
    mirrors: options.mirrors,
    ...(options.hedge ? { hedge: options.hedge } : {}),
    onStateChange: (mirror, state, obs) => {
      if (!applyingMarks && (obs.type === 'compromised' || obs.type === 'cleared')) marksDirty = true;
      onEvent({
        type: 'mirror-state',
        mirror: mirror.id,
        state: state.health,
        ...('error' in obs ? { error: obs.error } : {}),
      });
    },
  });
  let marksLoaded: Promise<void> | undefined;
  const loadMarks = (): Promise<void> =>
    (marksLoaded ??= store.loadCompromised().then(
      (marks) => {
        applyingMarks = true;
        try {
          for (const [id, reason] of Object.entries(marks)) {
            if (pool.state(id) !== undefined && pool.state(id)?.health !== 'compromised') {
              pool.observe(id, { type: 'compromised', error: `${reason} (recorded by another edge)` });
            }
          }
        } finally {
          applyingMarks = false;
        }
      },
      () => undefined,
    ));
  const flushMarks = (c: Context): void => {
    if (!marksDirty) return;
    marksDirty = false;
    const marks = Object.fromEntries(
      pool
        .status()
        .filter((m) => m.state === 'compromised')
        .map((m) => [m.id, m.compromisedReason ?? 'served bytes that fail verification']),
    );
    background(c, store.saveCompromised(marks));
  };
  const reader = createSnapshotReader({
    pool,
    publicKey: options.publicKey,
    now,
    store,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    onEvent,
  });

  const files = new Map<string, CachedFile>();
  let cachedBytes = 0;
  const prepared = new Map<string, Prepared>();
  const inflight = new Map<string, Promise<CachedFile>>();
  let lastRefreshAt = 0;
  let lastMissRefreshAt = -Infinity;
  let expiresFor: { version: number; ms: number } | undefined;

  const expiresMs = (a: AcceptedManifest): number => {
    if (expiresFor?.version !== a.manifest.version) expiresFor = { version: a.manifest.version, ms: Date.parse(a.manifest.expires) };
    return expiresFor.ms;
  };

  const remember = (file: CachedFile): void => {
    const old = files.get(file.path);
    if (old) cachedBytes -= old.body.length + variantBytes(old);
    files.delete(file.path);
    files.set(file.path, file);
    cachedBytes += file.body.length + variantBytes(file);
    for (const [key, f] of files) {
      if (cachedBytes <= maxCacheBytes || key === file.path) break;
      files.delete(key);
      cachedBytes -= f.body.length + variantBytes(f);
    }
  };

  const toCached = async (path: string, sha256: string, body: Uint8Array, verifiedAt: number): Promise<CachedFile> => {
    const variants: Partial<Record<Encoding, Uint8Array>> = {};
    if (body.length >= 256 && isCompressible(contentTypeFor(path))) {
      for (const enc of compressor.encodings) {
        const packed = await compressor.compress(body, enc).catch(() => undefined);
        if (packed !== undefined && packed.length < body.length) variants[enc] = packed;
      }
    }
    return { path, sha256, body, variants, verifiedAt };
  };

  /** Read a path through the pool (one request per path at a time), verified, cached. */
  const fetchFile = (path: string, c: Context): Promise<CachedFile> => {
    let p = inflight.get(path);
    if (p === undefined) {
      p = (async () => {
        const verified = await reader.getFile(path);
        const cached = await toCached(path, verified.entry.sha256, verified.body, now().getTime());
        remember(cached);
        background(
          c,
          store.saveFile(path, { sha256: cached.sha256, body: cached.body, verifiedAt: new Date(cached.verifiedAt).toISOString() }),
        );
        return cached;
      })().finally(() => inflight.delete(path));
      inflight.set(path, p);
    }
    return p;
  };

  const prepare = (requestPath: string, file: CachedFile, a: AcceptedManifest, status = 200): Prepared => {
    const base: Record<string, string> = {
      'content-type': contentTypeFor(file.path),
      'cache-control': status === 200 ? cacheControlFor(file.path) : NO_STORE,
      ...SECURITY_HEADERS,
    };
    const link = canonicalLink(a.manifest.canonical, requestPath);
    if (link) base.link = link;
    const onion = onionLocation(
      a.manifest.mirrors.map((m) => m.url),
      requestPath,
    );
    if (onion) base['onion-location'] = onion;
    const hasVariants = Object.keys(file.variants).length > 0;
    if (hasVariants) base.vary = 'Accept-Encoding';
    const etag = `"${file.sha256}"`;
    const encoded: Partial<Record<Encoding, Variant>> = {};
    for (const enc of compressor.encodings) {
      const body = file.variants[enc];
      if (body === undefined) continue;
      encoded[enc] = {
        body,
        headers: { ...base, etag: `"${file.sha256}-${enc}"`, 'content-encoding': enc, 'content-length': String(body.length) },
      };
    }
    return {
      version: a.manifest.version,
      sha256: file.sha256,
      identity: { body: file.body, headers: { ...base, etag, 'content-length': String(file.body.length) } },
      encoded,
      notModified: { etag, 'cache-control': base['cache-control'] ?? NO_STORE, ...(hasVariants ? { vary: 'Accept-Encoding' } : {}) },
    };
  };

  const send = (p: Prepared, c: Context, status = 200, extra?: Record<string, string>): Response => {
    const inm = requestHeader(c, 'if-none-match');
    if (status === 200 && inm !== undefined && (inm.trim() === '*' || inm.includes(p.sha256))) {
      return new Response(null, { status: 304, headers: extra ? { ...p.notModified, ...extra } : p.notModified });
    }
    const enc = chooseEncoding(requestHeader(c, 'accept-encoding'), compressor.encodings);
    const v = (enc !== undefined ? p.encoded[enc] : undefined) ?? p.identity;
    return new Response(asBody(v.body), { status, headers: extra ? { ...v.headers, ...extra } : v.headers });
  };

  const staleHeaders = (verifiedAt: number): Record<string, string> => ({
    'x-ferry-stale': '1',
    warning: '110 - "Response is Stale"',
    age: String(Math.max(0, Math.floor((now().getTime() - verifiedAt) / 1000))),
    'cache-control': 'no-cache',
  });

  const unavailable = (a: AcceptedManifest | undefined): Response => {
    // With no manifest yet, the reader says when it will look again.
    const waitMs = a === undefined ? reader.retryAfterMs() : undefined;
    const retryAfter = waitMs === undefined ? '30' : String(Math.max(1, Math.ceil(waitMs / 1000)));
    return new Response(unavailablePage(a ? a.manifest.mirrors.map((m) => m.url) : []), {
      status: 503,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, 'retry-after': retryAfter, ...SECURITY_HEADERS },
    });
  };

  /** No mirror delivered `path`: the last verified copy (stale unless it matches the manifest), or 503. */
  const fallback = async (c: Context, requestPath: string, path: string, a: AcceptedManifest, error: string): Promise<Response> => {
    const want = a.manifest.files[path]?.sha256;
    let copy = files.get(path);
    if (copy === undefined) {
      const stored = await store.loadFile(path).catch(() => undefined);
      if (stored !== undefined && sha256Hex(stored.body) === stored.sha256) {
        copy = await toCached(path, stored.sha256, stored.body, Date.parse(stored.verifiedAt) || 0);
        if (copy.sha256 === want) remember(copy);
      }
    }
    const fresh = copy !== undefined && copy.sha256 === want && expiresMs(a) > now().getTime();
    if (copy !== undefined && fresh) return send(prepare(requestPath, copy, a), c);
    if (copy !== undefined) {
      onEvent({ type: 'served-stale', path });
      return send(prepare(requestPath, copy, a), c, 200, staleHeaders(copy.verifiedAt));
    }
    onEvent({ type: 'unavailable', path, error });
    return unavailable(a);
  };

  const notFound = async (c: Context, a: AcceptedManifest): Promise<Response> => {
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, ...SECURITY_HEADERS };
    if (a.manifest.files['/404.html'] !== undefined) {
      const cached = files.get('/404.html');
      const ok = cached?.sha256 === a.manifest.files['/404.html'].sha256 ? cached : await fetchFile('/404.html', c).catch(() => undefined);
      if (ok !== undefined) return send(prepare('/404.html', ok, a, 404), c, 404);
    }
    return new Response(notFoundPage(), { status: 404, headers });
  };

  const resolvePath = (requestPath: string, a: AcceptedManifest): string | undefined => {
    const direct = toSnapshotPath(requestPath);
    if (a.manifest.files[direct] !== undefined) return direct;
    let decoded: string;
    try {
      decoded = toSnapshotPath(decodeURIComponent(requestPath));
    } catch {
      return undefined;
    }
    return a.manifest.files[decoded] !== undefined ? decoded : undefined;
  };

  /** Serve one snapshot path (everything but the hot cached case). */
  const serveSlow = async (c: Context, requestPath: string): Promise<Response> => {
    await loadMarks();
    try {
      return await serveVerified(c, requestPath);
    } finally {
      flushMarks(c);
    }
  };

  const serveVerified = async (c: Context, requestPath: string): Promise<Response> => {
    let a = reader.current() ?? (await reader.ensure());
    if (a === undefined) return unavailable(undefined);
    let path = resolvePath(requestPath, a);
    if (path === undefined) {
      if (!requestPath.endsWith('/') && a.manifest.files[`${requestPath}/index.html`] !== undefined) {
        // Only ever a relative redirect on this same host.
        return new Response(null, { status: 301, headers: { location: `${requestPath}/`, 'cache-control': 'public, max-age=300' } });
      }
      const t = now().getTime();
      if (t - lastMissRefreshAt >= missRefreshMs) {
        lastMissRefreshAt = t;
        a = (await reader.refresh()) ?? a;
        path = resolvePath(requestPath, a);
      }
      if (path === undefined) return notFound(c, a);
    }
    const entry = a.manifest.files[path];
    if (entry === undefined) return notFound(c, a);
    if (expiresMs(a) <= now().getTime()) {
      // The manifest expired and no newer one came: only last verified copies, marked stale.
      a = (await reader.refresh()) ?? a;
      if (expiresMs(a) <= now().getTime()) return fallback(c, requestPath, path, a, 'the manifest expired and no newer one was found');
    }
    let file = files.get(path);
    if (file === undefined || file.sha256 !== entry.sha256) {
      try {
        file = await fetchFile(path, c);
      } catch (e) {
        if (e instanceof UnavailableError) return fallback(c, requestPath, path, a, e.message);
        throw e;
      }
      a = reader.current() ?? a;
    }
    const p = prepare(requestPath, file, a);
    if (path === toSnapshotPath(requestPath)) {
      if (prepared.size >= 10_000) prepared.clear();
      prepared.set(requestPath, p);
    }
    return send(p, c);
  };

  const app = new Hono();
  // Content-addressed: every block is verified by its CID, by the client, so the gateway needs no
  // manifest check of its own.
  if (options.ipfs !== undefined) app.route('/ipfs', createIpfsGateway({ blocks: options.ipfs }));

  app.get('/_ferry/health', async () => {
    await loadMarks();
    const a = reader.current() ?? (await reader.ensure());
    const body = {
      manifest: a
        ? {
            version: a.manifest.version,
            created: a.manifest.created,
            expires: a.manifest.expires,
            expired: expiresMs(a) <= now().getTime(),
            source: a.source,
            files: Object.keys(a.manifest.files).length,
          }
        : null,
      mirrors: pool.status(),
      cache: { files: files.size, bytes: cachedBytes },
    };
    return new Response(JSON.stringify(body, null, 2), {
      headers: { 'content-type': 'application/json', 'cache-control': NO_STORE, ...SECURITY_HEADERS },
    });
  });

  app.get('/_ferry/mirrors', async (c) => {
    const a = reader.current() ?? (await reader.ensure());
    if (a === undefined) return unavailable(undefined);
    if (a.manifest.files['/mirrors.json'] !== undefined) {
      const res = await serveSlow(c, '/mirrors.json');
      if (res.status !== 503) return res;
    }
    const body = {
      mirrors: a.manifest.mirrors,
      manifest: new TextDecoder().decode(a.bytes),
      signature: a.signature.trim(),
    };
    return new Response(JSON.stringify(body, null, 2), {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-cache', ...SECURITY_HEADERS },
    });
  });

  // GET and HEAD (Hono answers HEAD through GET routes). One handler per match keeps Hono on its
  // fast path; other methods fall through to notFound, which answers 405.
  app.get('*', (c) => {
    const requestPath = c.req.path;
    const a = reader.current();
    if (a !== undefined) {
      const t = now().getTime();
      if (t - lastRefreshAt >= manifestTtlMs) {
        lastRefreshAt = t;
        background(c, reader.refresh());
      }
      const p = prepared.get(requestPath);
      if (p !== undefined && p.version === a.manifest.version && expiresMs(a) > t) return send(p, c);
    } else {
      lastRefreshAt = now().getTime();
    }
    return serveSlow(c, requestPath);
  });

  app.notFound(() => new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD', ...SECURITY_HEADERS } }));

  app.onError((e) => {
    onEvent({ type: 'unavailable', path: '', error: e instanceof Error ? e.message : String(e) });
    return unavailable(reader.current());
  });

  return { app, pool, reader };
}

/** Bodies here are always ArrayBuffer-backed (fetch, fs, compression), never shared memory. */
function asBody(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function variantBytes(f: CachedFile): number {
  let n = 0;
  for (const v of Object.values(f.variants)) n += v.length;
  return n;
}

/** Keep background work alive where the runtime needs it (Workers' waitUntil); never unhandled. */
function background(c: Context, work: Promise<unknown>): void {
  const guarded = work.catch(() => undefined);
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // Node has no execution context: the promise simply runs on.
  }
}
