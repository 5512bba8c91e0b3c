// The edge: a Hono app on Web-standard Request/Response (the same code on Node and Workers),
// assembled from small parts: the mirror pool and the snapshot reader (verification), the file
// cache, the responder (headers, 304, encoding), the snapshot routes and the /_ferry routes.
import { Hono, type Context } from 'hono';
import { createIpfsGateway } from './ipfs-gateway.ts';
import type { BlockGetter } from '../ports/ipfs.ts';
import type { EdgeStateStore } from '../ports/edge-state.ts';
import type { Mirror } from '../ports/mirror.ts';
import { createMemoryEdgeState } from '../adapters/edge-state/memory-edge-state.ts';
import { createWebCompressor, type Compressor } from './compression.ts';
import { PUBLIC_HEADERS, SECURITY_HEADERS } from './content-headers.ts';
import { preflightResponse } from './cors.ts';
import { createExclusions, type Exclusions } from './exclusions.ts';
import { createFerryRoutes } from './ferry-routes.ts';
import { createFileCache } from './file-cache.ts';
import { createLegacyFeedRoutes } from './legacy-feeds.ts';
import { createManifestRoutes } from './manifest-routes.ts';
import { createMirrorPool, type MirrorPool } from './mirror-pool.ts';
import type { HedgePolicy, PoolHealth } from './pool-state.ts';
import { unavailableResponse, type ConditionalHeader } from './responder.ts';
import {
  DEFAULT_READER_TIMEOUTS,
  createSnapshotReader,
  type ReaderEvent,
  type ReaderTimeouts,
  type SnapshotReader,
} from './snapshot-reader.ts';
import { createSnapshotRoutes, createSnapshotServing, type ServingEvent, type SnapshotServing } from './snapshot-routes.ts';

export type EdgeEvent = ReaderEvent | ServingEvent | { type: 'mirror-state'; mirror: string; state: PoolHealth; error?: string };

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
  /** How often exclusions made elsewhere (another process or isolate) are read from the store, ms (default 10 s). */
  exclusionsTtlMs?: number;
  compressor?: Compressor;
  /** Upper bound for the verified bytes kept in memory (default 256 MB). */
  maxCacheBytes?: number;
  onEvent?: (event: EdgeEvent) => void;
  /**
   * How to read a request header. The default is the Web-standard one; a runtime may pass a
   * cheaper one (Node reads the raw IncomingMessage headers instead of building a Headers object).
   */
  requestHeader?: (c: Context, name: ConditionalHeader) => string | undefined;
  /** Blocks of the snapshot's IPFS DAG, served as a trustless gateway at /ipfs/ when given. */
  ipfs?: BlockGetter;
  /** The maintainers' dashboard and public status (src/edge/dashboard), mounted at /_ferry after the edge's own routes. */
  dashboard?: Hono;
}

export interface Edge {
  app: Hono;
  pool: MirrorPool;
  reader: SnapshotReader;
  /** Stop asking a mirror (the health checker's verdict, a maintainer's pause) and ask it again. */
  exclusions: Exclusions;
  /**
   * The answer for a GET or HEAD of a snapshot path that is verified, prepared and current, or
   * undefined: then ask `app`. A runtime may call it first to skip building a Request (Node does).
   */
  cached: SnapshotServing['cached'];
}

const FERRY_PREFIX = '/_ferry/';

function methodNotAllowed(): Response {
  return new Response('Method Not Allowed\n', { status: 405, headers: { allow: 'GET, HEAD, OPTIONS', ...SECURITY_HEADERS } });
}

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

  const timeouts: ReaderTimeouts = { ...DEFAULT_READER_TIMEOUTS, ...options.timeouts };
  const exclusions = createExclusions({
    store,
    now,
    ...(options.exclusionsTtlMs !== undefined ? { ttlMs: options.exclusionsTtlMs } : {}),
    // Asked again: the checker's verdict replaces what this edge saw, so it starts afresh.
    onIncluded: (id) => pool.clear(id),
  });
  const pool = createMirrorPool({
    mirrors: options.mirrors,
    ...(options.hedge ? { hedge: options.hedge } : {}),
    exclusion: (id) => exclusions.reason(id),
    onStateChange: (mirror, state, obs) => {
      onEvent({
        type: 'mirror-state',
        mirror: mirror.id,
        state: state.health,
        ...('error' in obs ? { error: obs.error } : {}),
      });
    },
  });
  const reader = createSnapshotReader({
    pool,
    publicKey: options.publicKey,
    now,
    store,
    timeouts,
    onEvent,
  });
  const cache = createFileCache({ compressor, maxBytes: maxCacheBytes });
  const serving = createSnapshotServing({
    reader,
    pool,
    cache,
    store,
    exclusions,
    compressor,
    now,
    manifestTtlMs,
    missRefreshMs,
    requestHeader,
    onEvent,
  });

  const app = new Hono();
  // Content-addressed: every block is verified by its CID, by the client, so the gateway needs no
  // manifest check of its own.
  if (options.ipfs !== undefined) app.route('/ipfs', createIpfsGateway({ blocks: options.ipfs }));
  app.route('/_ferry', createFerryRoutes({ reader, pool, cache, exclusions, serving }));
  if (options.dashboard !== undefined) app.route('/_ferry', options.dashboard);
  // Routes mounted under /_ferry go above: the rest of /_ferry/ is not part of the snapshot, and
  // answers without CORS headers.
  app.all(`${FERRY_PREFIX}*`, (c) =>
    c.req.method === 'GET' || c.req.method === 'HEAD'
      ? new Response('Not Found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS } })
      : methodNotAllowed(),
  );
  app.options('*', () => preflightResponse(SECURITY_HEADERS));
  app.route('/', createLegacyFeedRoutes());
  app.route(
    '/',
    createManifestRoutes({
      reader,
      pool,
      cache,
      compressor,
      publicKey: options.publicKey,
      now,
      requestHeader,
      announcementTtlMs: missRefreshMs,
      requestMs: timeouts.requestMs,
      manifestMaxBytes: timeouts.manifestMaxBytes,
    }),
  );
  app.route('/', createSnapshotRoutes(serving));

  // Other methods fall through to here.
  app.notFound(methodNotAllowed);

  app.onError((e, c) => {
    onEvent({ type: 'unavailable', path: '', error: e instanceof Error ? e.message : String(e) });
    return unavailableResponse(reader.current()?.manifest, c.req.path.startsWith(FERRY_PREFIX) ? SECURITY_HEADERS : PUBLIC_HEADERS);
  });

  return { app, pool, reader, exclusions, cached: serving.cached };
}
