// Turning a verified file into HTTP answers: the headers of each variant computed once per file
// and manifest version (content type, cache policy, security headers, canonical link, ETag), then
// per request only the choice among them: 304, a compressed variant or the identity bytes.
// Also the edge's own answers: stale copies, 503 and the built-in 404.
import type { Manifest } from '../core/manifest.ts';
import { chooseEncoding, type Encoding } from './compression.ts';
import { SECURITY_HEADERS, cacheControlFor, canonicalLink, contentTypeFor, onionLocation } from './content-headers.ts';
import type { CachedFile } from './file-cache.ts';
import { notFoundPage, unavailablePage } from './pages.ts';

export const NO_STORE = 'no-store';

/** The request headers a response depends on. */
export type ConditionalHeader = 'if-none-match' | 'accept-encoding';

/** How to read one request header (a runtime may pass a cheaper reader than Headers). */
export type HeaderReader = (name: ConditionalHeader) => string | undefined;

/**
 * Cloudflare's Response option: 'manual' sends a body that is already encoded as it is, where
 * 'automatic' (the default) would compress it again per Content-Encoding. Other runtimes ignore it.
 */
type EncodedResponseInit = ResponseInit & { encodeBody?: 'automatic' | 'manual' };

export interface Variant {
  body: Uint8Array;
  headers: Record<string, string>;
}

/** Everything needed to answer for one file under one manifest version. */
export interface Prepared {
  version: number;
  sha256: string;
  identity: Variant;
  encoded: Partial<Record<Encoding, Variant>>;
  notModified: Record<string, string>;
}

/** The answers for `file` at `requestPath` (status 200, or 404 for the snapshot's 404 page). */
export function prepareFile(
  file: CachedFile,
  manifest: Manifest,
  requestPath: string,
  encodings: readonly Encoding[],
  status = 200,
): Prepared {
  const base: Record<string, string> = {
    'content-type': contentTypeFor(file.path),
    'cache-control': status === 200 ? cacheControlFor(file.path) : NO_STORE,
    ...SECURITY_HEADERS,
  };
  const link = canonicalLink(manifest.canonical, requestPath);
  if (link) base.link = link;
  const onion = onionLocation(
    manifest.mirrors.map((m) => m.url),
    requestPath,
  );
  if (onion) base['onion-location'] = onion;
  const hasVariants = Object.keys(file.variants).length > 0;
  if (hasVariants) base.vary = 'Accept-Encoding';
  const etag = `"${file.sha256}"`;
  const encoded: Partial<Record<Encoding, Variant>> = {};
  for (const enc of encodings) {
    const body = file.variants[enc];
    if (body === undefined) continue;
    encoded[enc] = {
      body,
      headers: { ...base, etag: `"${file.sha256}-${enc}"`, 'content-encoding': enc, 'content-length': String(body.length) },
    };
  }
  return {
    version: manifest.version,
    sha256: file.sha256,
    identity: { body: file.body, headers: { ...base, etag, 'content-length': String(file.body.length) } },
    encoded,
    notModified: { etag, 'cache-control': base['cache-control'] ?? NO_STORE, ...(hasVariants ? { vary: 'Accept-Encoding' } : {}) },
  };
}

/** The answer to one request: 304 when the client has these bytes, else the best variant it accepts. */
export function respond(
  p: Prepared,
  header: HeaderReader,
  encodings: readonly Encoding[],
  status = 200,
  extra?: Record<string, string>,
): Response {
  const inm = header('if-none-match');
  if (status === 200 && inm !== undefined && (inm.trim() === '*' || inm.includes(p.sha256))) {
    return new Response(null, { status: 304, headers: extra ? { ...p.notModified, ...extra } : p.notModified });
  }
  const enc = chooseEncoding(header('accept-encoding'), encodings);
  const packed = enc !== undefined ? p.encoded[enc] : undefined;
  const v = packed ?? p.identity;
  const init: EncodedResponseInit = { status, headers: extra ? { ...v.headers, ...extra } : v.headers };
  // The body is already compressed: tell the Workers runtime not to compress it again (Node
  // ignores the field and sends the bytes as they are).
  if (packed !== undefined) init.encodeBody = 'manual';
  return new Response(asBody(v.body), init);
}

/** The headers that mark a last verified copy served past its manifest or without a mirror. */
export function staleHeaders(nowMs: number, verifiedAt: number): Record<string, string> {
  return {
    'x-ferry-stale': '1',
    warning: '110 - "Response is Stale"',
    age: String(Math.max(0, Math.floor((nowMs - verifiedAt) / 1000))),
    'cache-control': 'no-cache',
  };
}

/**
 * No mirror can deliver: the 503 page, listing the other mirrors the manifest names. `retryAfterMs`:
 * when the edge will look again (with no manifest yet, the reader's backoff); default 30 s.
 */
export function unavailableResponse(manifest: Manifest | undefined, retryAfterMs = 30_000): Response {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new Response(unavailablePage(manifest ? manifest.mirrors.map((m) => m.url) : []), {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, 'retry-after': retryAfter, ...SECURITY_HEADERS },
  });
}

/** The edge's own 404 page, for a snapshot without one. */
export function builtInNotFound(): Response {
  return new Response(notFoundPage(), {
    status: 404,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, ...SECURITY_HEADERS },
  });
}

/** Bodies here are always ArrayBuffer-backed (fetch, fs, compression), never shared memory. */
function asBody(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}
