// Turning a verified file into HTTP answers: the headers of each variant computed once per file
// and manifest version (content type, cache policy, security headers, canonical link, ETag), then
// per request only the choice among them: 304, a compressed variant or the identity bytes.
// Also the edge's own answers: stale copies, 503 and the built-in 404.
import type { Manifest } from '../core/manifest.ts';
import { chooseEncoding, type Encoding } from './compression.ts';
import { PUBLIC_HEADERS, cacheControlFor, publicHeadersFor, canonicalLink, contentTypeFor, onionLocation } from './content-headers.ts';
import { parseRange, rangeStillValid } from './byte-range.ts';
import type { CachedFile } from './file-cache.ts';
import { notFoundPage, unavailablePage } from './pages.ts';

export const NO_STORE = 'no-store';

/** The request headers a response depends on. */
export type ConditionalHeader = 'if-none-match' | 'accept-encoding' | 'range' | 'if-range';

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
  /** The same headers as [name, value, ...], for runtimes that write them directly. */
  raw: string[];
}

/** Everything needed to answer for one file under one manifest version. */
export interface Prepared {
  version: number;
  sha256: string;
  identity: Variant;
  encoded: Partial<Record<Encoding, Variant>>;
  notModified: { headers: Record<string, string>; raw: string[] };
}

/**
 * The answers for `file` (status 200, or 404 for the snapshot's 404 page, which names no
 * canonical URL: it stands for whatever address was asked).
 */
export function prepareFile(file: CachedFile, manifest: Manifest, encodings: readonly Encoding[], status = 200): Prepared {
  const base: Record<string, string> = {
    'content-type': contentTypeFor(file.path),
    'cache-control': status === 200 ? cacheControlFor(file.path) : NO_STORE,
    ...publicHeadersFor(file.path),
  };
  if (status === 200) {
    base['accept-ranges'] = 'bytes';
    const link = canonicalLink(manifest.canonical, file.path);
    if (link) base.link = link;
    const onion = onionLocation(
      manifest.mirrors.map((m) => m.url),
      file.path,
    );
    if (onion) base['onion-location'] = onion;
  }
  const hasVariants = Object.keys(file.variants).length > 0;
  if (hasVariants) base.vary = 'Accept-Encoding';
  const etag = `"${file.sha256}"`;
  const encoded: Partial<Record<Encoding, Variant>> = {};
  for (const enc of encodings) {
    const body = file.variants[enc];
    if (body === undefined) continue;
    encoded[enc] = variant(body, {
      ...base,
      etag: `"${file.sha256}-${enc}"`,
      'content-encoding': enc,
      'content-length': String(body.length),
    });
  }
  const notModified = { etag, 'cache-control': base['cache-control'] ?? NO_STORE, ...(hasVariants ? { vary: 'Accept-Encoding' } : {}) };
  return {
    version: manifest.version,
    sha256: file.sha256,
    identity: variant(file.body, { ...base, etag, 'content-length': String(file.body.length) }),
    encoded,
    notModified: { headers: notModified, raw: flatten(notModified) },
  };
}

function variant(body: Uint8Array, headers: Record<string, string>): Variant {
  return { body, headers, raw: flatten(headers) };
}

function flatten(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat();
}

/**
 * What to send, runtime-neutral: a Response is made of it (toResponse), or a runtime writes it
 * directly (Node's hot path, src/node/edge-server.ts). `raw` is `headers` as [name, value, ...],
 * made once per variant, when no extra headers were added.
 */
export interface Answer {
  status: number;
  headers: Readonly<Record<string, string>>;
  raw: string[] | undefined;
  body: Uint8Array | null;
  /** The body is a compressed variant (Content-Encoding set by the edge). */
  encoded: boolean;
}

/** The answer to one request: 304 when the client has these bytes, else the best variant it accepts. */
export function choose(
  p: Prepared,
  header: HeaderReader,
  encodings: readonly Encoding[],
  status = 200,
  extra?: Record<string, string>,
): Answer {
  if (status === 200) {
    const inm = header('if-none-match');
    if (inm !== undefined && (inm.trim() === '*' || inm.includes(p.sha256))) {
      return extra
        ? { status: 304, headers: { ...p.notModified.headers, ...extra }, raw: undefined, body: null, encoded: false }
        : { status: 304, headers: p.notModified.headers, raw: p.notModified.raw, body: null, encoded: false };
    }
    const range = header('range');
    if (range !== undefined) {
      const partial = rangeOf(p.identity, range, header('if-range'), extra);
      if (partial !== undefined) return partial;
    }
  }
  const enc = chooseEncoding(header('accept-encoding'), encodings);
  const packed = enc !== undefined ? p.encoded[enc] : undefined;
  const v = packed ?? p.identity;
  return extra
    ? { status, headers: { ...v.headers, ...extra }, raw: undefined, body: v.body, encoded: packed !== undefined }
    : { status, headers: v.headers, raw: v.raw, body: v.body, encoded: packed !== undefined };
}

export function toResponse(a: Answer): Response {
  const init: EncodedResponseInit = { status: a.status, headers: a.headers };
  // The body is already compressed: tell the Workers runtime not to compress it again (Node
  // ignores the field and sends the bytes as they are).
  if (a.encoded) init.encodeBody = 'manual';
  return new Response(a.body === null ? null : asBody(a.body), init);
}

export function respond(
  p: Prepared,
  header: HeaderReader,
  encodings: readonly Encoding[],
  status = 200,
  extra?: Record<string, string>,
): Response {
  return toResponse(choose(p, header, encodings, status, extra));
}

/**
 * A single Range: always over the identity bytes (what Content-Length and the manifest's size
 * describe), whatever encodings the client accepts. Undefined: answer with the whole file.
 */
function rangeOf(v: Variant, range: string, ifRange: string | undefined, extra: Record<string, string> | undefined): Answer | undefined {
  const etag = v.headers.etag ?? '';
  if (!rangeStillValid(ifRange, etag)) return undefined;
  const size = v.body.length;
  const ask = parseRange(range, size);
  if (ask.type === 'whole') return undefined;
  if (ask.type === 'unsatisfiable') {
    const { 'content-length': _length, ...headers } = v.headers;
    return {
      status: 416,
      headers: { ...headers, ...extra, 'content-range': `bytes */${size}` },
      raw: undefined,
      body: null,
      encoded: false,
    };
  }
  return {
    status: 206,
    headers: {
      ...v.headers,
      ...extra,
      'content-range': `bytes ${ask.start}-${ask.end}/${size}`,
      'content-length': String(ask.end - ask.start + 1),
    },
    raw: undefined,
    body: v.body.subarray(ask.start, ask.end + 1),
    encoded: false,
  };
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
 * No mirror can deliver: the 503 page, listing the other mirrors the manifest names. With
 * `headers` = SECURITY_HEADERS where no CORS belongs (the /_ferry/ routes). `retryAfterMs`: when the
 * edge will look again (with no manifest yet, the reader's backoff); default 30 s.
 */
export function unavailableResponse(
  manifest: Manifest | undefined,
  headers: Readonly<Record<string, string>> = PUBLIC_HEADERS,
  retryAfterMs = 30_000,
): Response {
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new Response(unavailablePage(manifest), {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, 'retry-after': retryAfter, ...headers },
  });
}

/** The edge's own 404 page, for a snapshot without one. */
export function builtInNotFound(): Response {
  return new Response(notFoundPage(), {
    status: 404,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': NO_STORE, ...PUBLIC_HEADERS },
  });
}

/** Bodies here are always ArrayBuffer-backed (fetch, fs, compression), never shared memory. */
function asBody(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}
