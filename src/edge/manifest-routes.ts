// Any edge is itself a mirror: it serves the manifest it accepted and its signature, byte for
// byte, so `ferry verify <edge URL>` works and edges chain. Where a mirror announces the manifest
// it is moving to (/manifest.next.json), the edge passes that on too, once its signature verifies
// with the pinned key; it never serves a manifest it has not checked.
import { Hono, type Context } from 'hono';
import { sha256Hex, utf8ToBytes, utf8ToString } from '../core/bytes.ts';
import {
  MANIFEST_PATH,
  NEXT_MANIFEST_PATH,
  NEXT_SIGNATURE_PATH,
  SIGNATURE_PATH,
  parseManifest,
  verifySignatureText,
} from '../core/manifest.ts';
import type { Compressor } from './compression.ts';
import { PUBLIC_HEADERS } from './content-headers.ts';
import type { FileCache } from './file-cache.ts';
import type { MirrorPool } from './mirror-pool.ts';
import { builtInNotFound, prepareFile, respond, unavailableResponse, type ConditionalHeader, type Prepared } from './responder.ts';
import type { AcceptedManifest, SnapshotReader } from './snapshot-reader.ts';

export interface ManifestRoutesOptions {
  reader: SnapshotReader;
  pool: MirrorPool;
  cache: FileCache;
  compressor: Compressor;
  publicKey: Uint8Array;
  now: () => Date;
  requestHeader: (c: Context, name: ConditionalHeader) => string | undefined;
  /** How long an announcement (or its absence) is kept before the mirrors are asked again, ms. */
  announcementTtlMs: number;
  /** Per request to a mirror for the announcement, ms; the whole look-up gets twice this. */
  requestMs: number;
  manifestMaxBytes: number;
}

interface Pair {
  manifest: Prepared;
  signature: Prepared;
}

interface Announcement {
  /** For the current manifest of this version. */
  version: number;
  at: number;
  pair: Pair | undefined;
}

export function createManifestRoutes(o: ManifestRoutesOptions): Hono {
  const { reader, cache, compressor } = o;
  let served: { accepted: AcceptedManifest; pair: Promise<Pair> } | undefined;
  let announced: { version: number; at: number; lookup: Promise<Announcement> } | undefined;

  const preparePair = async (manifestPath: string, bytes: Uint8Array, signature: string, a: AcceptedManifest): Promise<Pair> => {
    const at = o.now().getTime();
    const sigPath = `${manifestPath}.sig`;
    const sigBytes = utf8ToBytes(signature);
    const [m, s] = await Promise.all([
      cache.toCached(manifestPath, sha256Hex(bytes), bytes, at),
      cache.toCached(sigPath, sha256Hex(sigBytes), sigBytes, at),
    ]);
    return {
      manifest: prepareFile(m, a.manifest, compressor.encodings),
      signature: prepareFile(s, a.manifest, compressor.encodings),
    };
  };

  const currentPair = (a: AcceptedManifest): Promise<Pair> => {
    if (served?.accepted !== a) served = { accepted: a, pair: preparePair(MANIFEST_PATH, a.bytes, a.signature, a) };
    return served.pair;
  };

  /** The first mirror (in pool order) whose announcement is signed by the pinned key and not older. */
  const lookUpAnnouncement = async (a: AcceptedManifest): Promise<Announcement> => {
    const at = o.now().getTime();
    const signal = AbortSignal.timeout(o.requestMs * 2);
    for (const mirror of o.pool.ordered()) {
      if (signal.aborted) break;
      try {
        const opts = { signal, timeoutMs: o.requestMs };
        const [m, s] = await Promise.all([
          mirror.get(NEXT_MANIFEST_PATH, { ...opts, maxBytes: o.manifestMaxBytes }),
          mirror.get(NEXT_SIGNATURE_PATH, { ...opts, maxBytes: 1024 }),
        ]);
        if (!m.found || !s.found) continue;
        const signature = utf8ToString(s.body, NEXT_SIGNATURE_PATH);
        if (!verifySignatureText(m.body, signature, o.publicKey)) continue;
        const next = parseManifest(utf8ToString(m.body, NEXT_MANIFEST_PATH));
        if (next.version < a.manifest.version) continue;
        return { version: a.manifest.version, at, pair: await preparePair(NEXT_MANIFEST_PATH, m.body, signature, a) };
      } catch {
        // Not announced there, or not readable: ask the next mirror.
      }
    }
    return { version: a.manifest.version, at, pair: undefined };
  };

  const announcement = async (a: AcceptedManifest): Promise<Pair | undefined> => {
    const t = o.now().getTime();
    if (announced === undefined || announced.version !== a.manifest.version || t - announced.at >= o.announcementTtlMs) {
      announced = { version: a.manifest.version, at: t, lookup: lookUpAnnouncement(a) };
    }
    return (await announced.lookup).pair;
  };

  const send = (c: Context, p: Prepared): Response => respond(p, (name) => o.requestHeader(c, name), compressor.encodings);

  const accepted = async (): Promise<AcceptedManifest | undefined> => reader.current() ?? (await reader.ensure());

  const routes = new Hono();
  routes.get(MANIFEST_PATH, async (c) => {
    const a = await accepted();
    return a === undefined
      ? unavailableResponse(undefined, PUBLIC_HEADERS, reader.retryAfterMs())
      : send(c, (await currentPair(a)).manifest);
  });
  routes.get(SIGNATURE_PATH, async (c) => {
    const a = await accepted();
    return a === undefined
      ? unavailableResponse(undefined, PUBLIC_HEADERS, reader.retryAfterMs())
      : send(c, (await currentPair(a)).signature);
  });
  routes.get(NEXT_MANIFEST_PATH, async (c) => {
    const a = await accepted();
    const pair = a === undefined ? undefined : await announcement(a);
    return pair === undefined ? builtInNotFound() : send(c, pair.manifest);
  });
  routes.get(NEXT_SIGNATURE_PATH, async (c) => {
    const a = await accepted();
    const pair = a === undefined ? undefined : await announcement(a);
    return pair === undefined ? builtInNotFound() : send(c, pair.signature);
  });
  return routes;
}
