// Serving snapshot paths: every path read through the mirror pool, verified against the signed
// manifest, cached and answered. When no mirror can deliver: the last verified copy, marked stale;
// with none, a 503 page. Never an unverified byte. The hot case (a file already prepared for the
// current manifest) is answered without a promise.
import { Hono, type Context } from 'hono';
import { sha256Hex } from '../core/bytes.ts';
import { hrefOf } from '../core/paths.ts';
import type { EdgeStateStore } from '../ports/edge-state.ts';
import { background } from './background.ts';
import type { Compressor } from './compression.ts';
import type { Exclusions } from './exclusions.ts';
import { PUBLIC_HEADERS, toSnapshotPath } from './content-headers.ts';
import type { CachedFile, FileCache } from './file-cache.ts';
import { UnavailableError, type MirrorPool } from './mirror-pool.ts';
import {
  builtInNotFound,
  choose,
  prepareFile,
  respond,
  toResponse,
  type Answer,
  type HeaderReader,
  staleHeaders,
  unavailableResponse,
  type ConditionalHeader,
  type Prepared,
} from './responder.ts';
import type { AcceptedManifest, SnapshotReader } from './snapshot-reader.ts';

export type ServingEvent = { type: 'served-stale'; path: string } | { type: 'unavailable'; path: string; error: string };

export interface SnapshotServingOptions {
  reader: SnapshotReader;
  pool: MirrorPool;
  cache: FileCache;
  store: EdgeStateStore;
  exclusions: Exclusions;
  compressor: Compressor;
  now: () => Date;
  manifestTtlMs: number;
  missRefreshMs: number;
  requestHeader: (c: Context, name: ConditionalHeader) => string | undefined;
  onEvent: (event: ServingEvent) => void;
}

export interface SnapshotServing {
  /** Answer one snapshot path (GET or HEAD). */
  serve(c: Context, requestPath: string): Response | Promise<Response>;
  /**
   * The hot path, without a Context: the answer for a request path (as Hono's c.req.path has it)
   * already verified, prepared and current, or undefined (then `serve` it). `keepAlive` receives
   * background work (a due manifest refresh).
   */
  cached: (requestPath: string, header: HeaderReader, keepAlive: (work: Promise<unknown>) => void) => Answer | undefined;
  /** Whether the manifest's expiry has passed. */
  expired(a: AcceptedManifest): boolean;
}

/** Prepared answers kept for the hot path, at most this many request paths. */
const MAX_PREPARED = 10_000;

export function createSnapshotServing(o: SnapshotServingOptions): SnapshotServing {
  const { reader, cache, store, exclusions, compressor, now, onEvent } = o;
  const prepared = new Map<string, Prepared>();
  const inflight = new Map<string, Promise<CachedFile>>();
  let lastRefreshAt = 0;
  let lastMissRefreshAt = -Infinity;
  let expiresFor: { version: number; ms: number } | undefined;

  const expiresMs = (a: AcceptedManifest): number => {
    if (expiresFor?.version !== a.manifest.version) expiresFor = { version: a.manifest.version, ms: Date.parse(a.manifest.expires) };
    return expiresFor.ms;
  };

  const send = (p: Prepared, c: Context, status = 200, extra?: Record<string, string>): Response =>
    respond(p, (name) => o.requestHeader(c, name), compressor.encodings, status, extra);

  const prepare = (file: CachedFile, a: AcceptedManifest, status = 200): Prepared =>
    prepareFile(file, a.manifest, compressor.encodings, status);

  /** Read a path through the pool (one request per path at a time), verified, cached. */
  const fetchFile = (path: string, c: Context): Promise<CachedFile> => {
    let p = inflight.get(path);
    if (p === undefined) {
      p = (async () => {
        const verified = await reader.getFile(path);
        const cached = await cache.toCached(path, verified.entry.sha256, verified.body, now().getTime());
        cache.remember(cached);
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

  /** No mirror delivered `path`: the last verified copy (stale unless it matches the manifest), or 503. */
  const fallback = async (c: Context, path: string, a: AcceptedManifest, error: string): Promise<Response> => {
    const want = a.manifest.files[path]?.sha256;
    let copy = cache.get(path);
    if (copy === undefined) {
      const stored = await store.loadFile(path).catch(() => undefined);
      if (stored !== undefined && sha256Hex(stored.body) === stored.sha256) {
        copy = await cache.toCached(path, stored.sha256, stored.body, Date.parse(stored.verifiedAt) || 0);
        if (copy.sha256 === want) cache.remember(copy);
      }
    }
    const fresh = copy !== undefined && copy.sha256 === want && expiresMs(a) > now().getTime();
    if (copy !== undefined && fresh) return send(prepare(copy, a), c);
    if (copy !== undefined) {
      onEvent({ type: 'served-stale', path });
      return send(prepare(copy, a), c, 200, staleHeaders(now().getTime(), copy.verifiedAt));
    }
    onEvent({ type: 'unavailable', path, error });
    return unavailableResponse(a.manifest);
  };

  const notFound = async (c: Context, a: AcceptedManifest): Promise<Response> => {
    const entry = a.manifest.files['/404.html'];
    if (entry !== undefined) {
      const cached = cache.get('/404.html');
      const ok = cached?.sha256 === entry.sha256 ? cached : await fetchFile('/404.html', c).catch(() => undefined);
      if (ok !== undefined) return send(prepare(ok, a, 404), c, 404);
    }
    return builtInNotFound();
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

  const serveVerified = async (c: Context, requestPath: string): Promise<Response> => {
    let a = reader.current() ?? (await reader.ensure());
    if (a === undefined) return unavailableResponse(undefined, PUBLIC_HEADERS, reader.retryAfterMs());
    let path = resolvePath(requestPath, a);
    if (path === undefined) {
      if (!requestPath.endsWith('/') && a.manifest.files[`${requestPath}/index.html`] !== undefined) {
        // Only ever a redirect on this same host, percent-encoded (a Chinese folder name too).
        return new Response(null, {
          status: 301,
          headers: { location: `${hrefOf(requestPath)}/`, 'cache-control': 'public, max-age=300', ...PUBLIC_HEADERS },
        });
      }
      const t = now().getTime();
      if (t - lastMissRefreshAt >= o.missRefreshMs) {
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
      if (expiresMs(a) <= now().getTime()) return fallback(c, path, a, 'the manifest expired and no newer one was found');
    }
    let file = cache.get(path);
    if (file === undefined || file.sha256 !== entry.sha256) {
      try {
        file = await fetchFile(path, c);
      } catch (e) {
        if (e instanceof UnavailableError) return fallback(c, path, a, e.message);
        throw e;
      }
      a = reader.current() ?? a;
    }
    const p = prepare(file, a);
    if (path === toSnapshotPath(requestPath)) {
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      prepared.set(requestPath, p);
    }
    return send(p, c);
  };

  /** Everything but the hot cached case. */
  const serveSlow = async (c: Context, requestPath: string): Promise<Response> => {
    await exclusions.ready();
    const reading = exclusions.refreshIfStale();
    if (reading !== undefined) background(c, reading);
    return serveVerified(c, requestPath);
  };

  const cached = (requestPath: string, header: HeaderReader, keepAlive: (work: Promise<unknown>) => void): Answer | undefined => {
    const a = reader.current();
    if (a === undefined) {
      lastRefreshAt = now().getTime();
      return undefined;
    }
    const t = now().getTime();
    if (t - lastRefreshAt >= o.manifestTtlMs) {
      lastRefreshAt = t;
      keepAlive(reader.refresh());
    }
    const p = prepared.get(requestPath);
    if (p !== undefined && p.version === a.manifest.version && expiresMs(a) > t) return choose(p, header, compressor.encodings);
    return undefined;
  };

  return {
    serve(c, requestPath) {
      const answer = cached(
        requestPath,
        (name) => o.requestHeader(c, name),
        (work) => background(c, work),
      );
      return answer !== undefined ? toResponse(answer) : serveSlow(c, requestPath);
    },
    cached,
    expired: (a) => expiresMs(a) <= now().getTime(),
  };
}

/** GET and HEAD of every snapshot path (Hono answers HEAD through GET routes). */
export function createSnapshotRoutes(serving: SnapshotServing): Hono {
  const routes = new Hono();
  // One handler per match keeps Hono on its fast path.
  routes.get('*', (c) => serving.serve(c, c.req.path));
  return routes;
}
