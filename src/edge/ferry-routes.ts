// The edge's own routes, mounted at /_ferry: what it accepted and how its mirrors are doing
// (counts and states only), and the mirror list: both public, so other origins may read them. The
// maintainers' dashboard mounts here next, without CORS headers.
import { Hono } from 'hono';
import { PUBLIC_HEADERS } from './content-headers.ts';
import type { Exclusions } from './exclusions.ts';
import type { FileCache } from './file-cache.ts';
import type { MirrorPool } from './mirror-pool.ts';
import { NO_STORE, unavailableResponse } from './responder.ts';
import type { SnapshotReader } from './snapshot-reader.ts';
import type { SnapshotServing } from './snapshot-routes.ts';

export interface FerryRoutesOptions {
  reader: SnapshotReader;
  pool: MirrorPool;
  cache: FileCache;
  exclusions: Exclusions;
  serving: SnapshotServing;
}

export function createFerryRoutes({ reader, pool, cache, exclusions, serving }: FerryRoutesOptions): Hono {
  const ferry = new Hono();

  ferry.get('/health', async () => {
    await exclusions.ready();
    // What it shows is what the edge does now: exclusions made elsewhere are read once stale.
    await exclusions.refreshIfStale();
    const a = reader.current() ?? (await reader.ensure());
    const body = {
      manifest: a
        ? {
            version: a.manifest.version,
            created: a.manifest.created,
            expires: a.manifest.expires,
            expired: serving.expired(a),
            source: a.source,
            files: Object.keys(a.manifest.files).length,
          }
        : null,
      mirrors: pool.status(),
      cache: { files: cache.size, bytes: cache.bytes },
    };
    return new Response(JSON.stringify(body, null, 2), {
      headers: { 'content-type': 'application/json', 'cache-control': NO_STORE, ...PUBLIC_HEADERS },
    });
  });

  ferry.get('/mirrors', async (c) => {
    const a = reader.current() ?? (await reader.ensure());
    if (a === undefined) return unavailableResponse(undefined, PUBLIC_HEADERS, reader.retryAfterMs());
    if (a.manifest.files['/mirrors.json'] !== undefined) {
      const res = await serving.serve(c, '/mirrors.json');
      if (res.status !== 503) return res;
    }
    const body = {
      mirrors: a.manifest.mirrors,
      manifest: new TextDecoder().decode(a.bytes),
      signature: a.signature.trim(),
    };
    return new Response(JSON.stringify(body, null, 2), {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-cache', ...PUBLIC_HEADERS },
    });
  });

  return ferry;
}
