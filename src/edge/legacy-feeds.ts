// Blogger's feed addresses, which subscribers of the old blog still poll: /feeds/posts/default
// (Atom; `?alt=rss` for RSS) and /feeds/posts/summary. Each is a permanent redirect to the
// snapshot's own feed, relative to the request, so it holds under a sub-path too.
import { Hono, type Context } from 'hono';
import { FEED_PATHS } from '../core/feeds.ts';
import { PUBLIC_HEADERS } from './content-headers.ts';

/** Where a Blogger feed request goes: RSS for alt=rss, Atom for anything else. */
export function legacyFeedTarget(alt: string | undefined): string {
  return alt?.toLowerCase() === 'rss' ? FEED_PATHS.rss : FEED_PATHS.atom;
}

/** `target` (a root path) as a URL relative to `requestPath`. */
export function relativeTo(requestPath: string, target: string): string {
  const depth = requestPath.split('/').length - 2;
  return `${'../'.repeat(depth)}${target.slice(1)}`;
}

export function createLegacyFeedRoutes(): Hono {
  const feeds = new Hono();
  const redirect = (c: Context): Response =>
    new Response(null, {
      status: 301,
      headers: {
        location: relativeTo(c.req.path, legacyFeedTarget(c.req.query('alt'))),
        'cache-control': 'public, max-age=86400',
        ...PUBLIC_HEADERS,
      },
    });
  feeds.get('/feeds/posts/:view{default|summary}', redirect);
  feeds.get('/feeds/posts/:view{default|summary}/', redirect);
  return feeds;
}
