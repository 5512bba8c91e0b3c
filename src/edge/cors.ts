// Cross-origin reading of the public snapshot: feeds in browser feed readers, the service worker
// fetching from other mirrors, mirror-finders reading mirrors.json and the signed manifest. The
// snapshot is public and no credentials are involved, so every origin may read it (`*`). Nothing
// under /_ferry/ but its public status routes carries these headers.

/** Response headers a cross-origin script may read besides the CORS-safelisted ones. */
const EXPOSED = ['ETag', 'Link', 'Content-Range', 'Accept-Ranges', 'Content-Encoding', 'Age', 'Warning', 'X-Ferry-Stale', 'Onion-Location'];

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED.join(', '),
};

/** Request headers a cross-origin reader may send (conditional and range requests). */
const ALLOWED_REQUEST_HEADERS = 'Range, If-Range, If-None-Match, If-Modified-Since';

/** The answer to a CORS preflight for a public path: GET and HEAD, cacheable for a day. */
export function preflightResponse(extra: Readonly<Record<string, string>>): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
      'access-control-max-age': '86400',
      allow: 'GET, HEAD, OPTIONS',
      'cache-control': 'public, max-age=86400',
      ...extra,
    },
  });
}
