// The reader's service worker, as bundled into every snapshot's /sw.js (src/node/service-worker-bundle.ts;
// the build puts the publisher's public key in front of it as FERRY_PUBLIC_KEY). It answers
// navigations and requests for the snapshot's files with verified bytes (reader.ts) and leaves
// every other request alone. See docs/service-worker.md for what it protects and what it cannot.
import { fromBase64 } from '../core/bytes.ts';
import { contentTypeFor } from '../core/content-type.ts';
import { OFFLINE_PATH } from '../core/reader-paths.ts';
import { createCacheStore } from './cache-store.ts';
import { createReader, UnavailableError, type ReadResult } from './reader.ts';
import { createSignatureVerifier } from './signature.ts';
import { snapshotPathOf } from './request-path.ts';

declare const self: ServiceWorkerGlobalScope;
declare const FERRY_PUBLIC_KEY: string;

/** Kept copies live in one cache; a new worker version reads what the old one kept. */
const CACHE_NAME = 'ferry-sw-1';
/** How often a navigation also checks the reader's address for a newer manifest. */
const RECHECK_MS = 5 * 60_000;

const scope = self.registration.scope;
const reader = createReader({
  publicKey: fromBase64(FERRY_PUBLIC_KEY),
  scope,
  store: createCacheStore(self.caches, CACHE_NAME, scope),
  verify: createSignatureVerifier().verify,
});
let lastRefresh = 0;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      lastRefresh = Date.now();
      await reader.refresh();
      // The offline page and the home page, so that both open with nothing answering; the mirror
      // list, which names the snapshot's IPFS root (for files too large for one IPFS block).
      for (const path of [OFFLINE_PATH, '/index.html', '/mirrors.json']) await reader.read(path).catch(() => undefined);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // The browser asks for a page while it starts this worker, which then reads that answer first.
      await self.registration.navigationPreload?.enable().catch(() => undefined);
      await self.clients.claim();
      // The pages open now were read before this worker existed: keep a verified copy of each.
      for (const client of await self.clients.matchAll({ type: 'window' })) {
        const path = snapshotPathOf(client.url, scope);
        if (path !== undefined) await reader.read(path).catch(() => undefined);
      }
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const path = snapshotPathOf(request.url, scope);
  if (path === undefined) return;
  const navigation = request.mode === 'navigate';
  if (navigation && Date.now() - lastRefresh > RECHECK_MS) {
    lastRefresh = Date.now();
    event.waitUntil(reader.refresh().catch(() => undefined));
  }
  // A preload not used (the page was answered from elsewhere) must still settle within the event.
  const preloaded = navigation ? event.preloadResponse.then((r: unknown) => (r instanceof Response ? r : undefined)) : undefined;
  if (preloaded !== undefined)
    event.waitUntil(
      preloaded.then(
        () => undefined,
        () => undefined,
      ),
    );
  event.respondWith(answer(request, path, navigation, (p) => event.waitUntil(p), preloaded));
});

async function answer(
  request: Request,
  path: string,
  navigation: boolean,
  keepAlive: (p: Promise<void>) => void,
  preloaded: Promise<Response | undefined> | undefined,
): Promise<Response> {
  try {
    // A page is asked for first (a newer snapshot shows at once); what it loads (stylesheet, icon,
    // images) comes from the kept copy when that is the very file the current manifest signs.
    const result = await reader.read(path, navigation ? { preloaded } : { preferKept: true });
    // Not a file of the snapshot: the network, as if there were no worker (for a page, the
    // browser's own request, already under way).
    if (result === undefined) return (await preloaded) ?? (await fetch(request));
    // The copy is stored after the answer: the page need not wait for the disk.
    keepAlive(result.kept);
    return respond(path, result, 200);
  } catch (e) {
    if (!navigation) return new Response('', { status: 504, headers: { 'x-ferry-error': errorText(e) } });
    const offline = await reader.kept(OFFLINE_PATH);
    if (offline !== undefined) return respond(OFFLINE_PATH, offline, 503);
    return new Response('暂时无法连接 · No connection for now\n', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}

function respond(path: string, result: ReadResult, status: number): Response {
  const headers: Record<string, string> = {
    'content-type': contentTypeFor(path),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-ferry-source': result.source,
  };
  if (result.stale) headers['x-ferry-stale'] = '1';
  return new Response(Uint8Array.from(result.bytes), { status, headers });
}

function errorText(e: unknown): string {
  const text = e instanceof UnavailableError ? 'no source delivered a verified copy' : e instanceof Error ? e.name : 'error';
  return text.replace(/[^\x20-\x7e]/g, '?');
}
