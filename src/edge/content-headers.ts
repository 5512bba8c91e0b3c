// Per-path response headers: cache policy by kind of file, and the security headers every
// answer carries (content types by name are core/content-type.ts, shared with the publishers). Pure.
import { extensionOf, fileName, isFeedPath } from '../core/content-type.ts';

import { PAGE_CSP, SERVICE_WORKER_PATH, WORKER_CSP, canonicalUrlOf } from '../core/render-html.ts';
import { CORS_HEADERS } from './cors.ts';

export { contentTypeFor, extensionOf, fileName, isFeedPath } from '../core/content-type.ts';

/** Worth compressing: text formats. Images are already compressed. */
export function isCompressible(contentType: string): boolean {
  return /^(text\/|application\/(json|xml|rss\+xml|atom\+xml|feed\+json|manifest\+json)|image\/svg\+xml)/.test(contentType);
}

const HASHED = /[.-][0-9a-f]{8,64}\.[a-z0-9]+$/i;

export function cacheControlFor(path: string): string {
  if (path.startsWith('/media/') || HASHED.test(fileName(path))) return 'public, max-age=31536000, immutable';
  if (path.startsWith('/manifest.') || path === '/mirrors.json' || path === SERVICE_WORKER_PATH) return 'no-cache';
  if (isFeedPath(path)) return 'public, max-age=300';
  if (extensionOf(path) === 'html' || extensionOf(path) === '') return 'public, max-age=60, stale-while-revalidate=600';
  return 'public, max-age=3600';
}

/** The pages' own policy (as their meta tag has it), plus what only a header can say. */
export const CONTENT_SECURITY_POLICY = `${PAGE_CSP}; frame-ancestors 'none'`;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Every public answer (snapshot files, the edge's own 404 and 503 pages): security and CORS headers. */
export const PUBLIC_HEADERS: Readonly<Record<string, string>> = { ...SECURITY_HEADERS, ...CORS_HEADERS };

/** The public headers for a snapshot file: the service worker gets its own policy (it fetches mirrors). */
export function publicHeadersFor(path: string): Readonly<Record<string, string>> {
  return path === SERVICE_WORKER_PATH ? { ...PUBLIC_HEADERS, 'content-security-policy': WORKER_CSP } : PUBLIC_HEADERS;
}

/**
 * `Link: <canonical URL>; rel="canonical"` for a snapshot path: the same URL as the page's own
 * rel=canonical (canonicalUrlOf: a directory index as its directory, every segment
 * percent-encoded, so a Chinese path makes a valid header). Undefined when the canonical URL is
 * unusable.
 */
export function canonicalLink(canonical: string, snapshotPath: string): string | undefined {
  if (!/^https?:\/\/[^\s<>"]+$/.test(canonical)) return undefined;
  const url = encodedOrUndefined(() => canonicalUrlOf(canonical.endsWith('/') ? canonical : `${canonical}/`, snapshotPath));
  return url === undefined ? undefined : `<${url}>; rel="canonical"`;
}

/** The first onion mirror's URL for this snapshot path (directory form, encoded), for `Onion-Location`. */
export function onionLocation(mirrorUrls: readonly string[], snapshotPath: string): string | undefined {
  for (const url of mirrorUrls) {
    const m = /^(https?:\/\/[a-z2-7]{16,56}\.onion)(\/[^\s]*)?$/i.exec(url);
    if (m?.[1] !== undefined) {
      const base = `${m[1]}${m[2] ?? '/'}`;
      return encodedOrUndefined(() => canonicalUrlOf(base.endsWith('/') ? base : `${base}/`, snapshotPath));
    }
  }
  return undefined;
}

/** A path with a lone surrogate cannot be percent-encoded: no header rather than a broken one. */
function encodedOrUndefined(encode: () => string): string | undefined {
  try {
    return encode();
  } catch {
    return undefined;
  }
}

/** The snapshot path a request path maps to: `/` -> `/index.html`, `/2016/06/` -> `/2016/06/index.html`. */
export function toSnapshotPath(requestPath: string): string {
  return requestPath.endsWith('/') ? `${requestPath}index.html` : requestPath;
}
