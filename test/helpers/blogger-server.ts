// A loopback HTTP server that serves a fixture folder the way Blogger serves a blog (see
// test/fixtures/README.md): the paged Atom feed at /feeds/posts/default, with {BASE}
// replaced by the server's own origin, and the images under /media/. Extra or replacing routes
// let fault tests make one URL fail, hang or loop. With `updatedMin`, a request with Blogger's
// updated-min parameter is answered as Blogger does: only the entries updated at or after it
// (newest published first, max-results per page, default 25), paged with rel="next" links that
// carry the parameter on. It is opt-in because fixture folders swapped in with setFolder keep
// their entries' fixed updated times, where Blogger would stamp an edit with the time it was made.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, base: string) => void | Promise<void>;

export interface BloggerServerOptions {
  /** Handlers by path (without the query), consulted before the Blogger routes. */
  routes?: Record<string, RouteHandler>;
  /** Answer updated-min as Blogger does (see above); otherwise the parameter is ignored. */
  updatedMin?: boolean;
}

export interface BloggerServer {
  /** The server's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  base: string;
  /** Every request's path and query, in the order received. */
  requests: string[];
  /** How many requests for the feed (any page) were received. */
  feedRequests(): number;
  /** Serve another fixture folder from now on, at the same address (the origin changed). */
  setFolder(folder: string): void;
  close(): Promise<void>;
}

export const FEED_PATH = '/feeds/posts/default';

/**
 * Serves `folder`: a fixture folder such as test/fixtures/blogger-clean (its blogger/
 * subfolder is used) or a folder holding feed-page<N>.xml and media/ directly.
 */
export async function startBloggerServer(
  folder: string,
  { routes = {}, updatedMin = false }: BloggerServerOptions = {},
): Promise<BloggerServer> {
  const rootOf = (f: string): string => (existsSync(join(f, 'blogger', 'feed-page1.xml')) ? join(f, 'blogger') : f);
  let root = rootOf(folder);
  const requests: string[] = [];
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    requests.push(url.pathname + url.search);
    const route = routes[url.pathname];
    if (route !== undefined) return route(req, res, base);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');

    if (url.pathname === FEED_PATH) {
      const since = url.searchParams.get('updated-min');
      if (updatedMin && since !== null) {
        const text = await updatedSince(root, url, since);
        if (text === undefined) return send(res, 400, 'text/plain', 'bad updated-min, start-index or max-results');
        return send(res, 200, 'application/atom+xml; charset=UTF-8', text.replaceAll('{BASE}', base));
      }
      const page = pageNumber(url.searchParams);
      const text = page === undefined ? undefined : await readFile(join(root, `feed-page${page}.xml`), 'utf8').catch(() => undefined);
      if (text === undefined) return send(res, 404, 'text/plain', 'no such page');
      return send(res, 200, 'application/atom+xml; charset=UTF-8', text.replaceAll('{BASE}', base));
    }
    if (url.pathname.startsWith('/media/')) {
      const mediaRoot = join(root, 'media');
      const file = normalize(join(mediaRoot, decodeURIComponent(url.pathname.slice('/media/'.length))));
      if (!file.startsWith(mediaRoot + sep)) return send(res, 404, 'text/plain', 'not found');
      const bytes = await readFile(file).catch(() => undefined);
      if (bytes === undefined) return send(res, 404, 'text/plain', 'not found');
      return send(res, 200, 'image/png', bytes);
    }
    return send(res, 404, 'text/plain', 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `test server error: ${String(e)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('blogger test server has no TCP address');
  base = `http://127.0.0.1:${address.port}`;

  return {
    base,
    requests,
    feedRequests: () => requests.filter((r) => r === FEED_PATH || r.startsWith(`${FEED_PATH}?`)).length,
    setFolder: (f) => {
      root = rootOf(f);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Blogger's paging: start-index K with max-results M is page 1 + (K - 1) / M. */
function pageNumber(params: URLSearchParams): number | undefined {
  const start = params.get('start-index');
  const max = params.get('max-results');
  if (start === null && max === null) return 1;
  const k = Number(start ?? '1');
  const m = Number(max ?? '25');
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 1 || (k - 1) % m !== 0) return undefined;
  return 1 + (k - 1) / m;
}

/**
 * Blogger's answer to updated-min: the fixture's entries (every page) updated at or after it,
 * paged by start-index and max-results. The feed's head is page 1's, with its own self and next
 * links. Undefined when a parameter is not what Blogger accepts.
 */
async function updatedSince(root: string, url: URL, since: string): Promise<string | undefined> {
  const min = Date.parse(since);
  const start = Number(url.searchParams.get('start-index') ?? '1');
  const max = Number(url.searchParams.get('max-results') ?? '25');
  if (
    !/^\d{4}-\d\d-\d\dT/.test(since) ||
    !Number.isFinite(min) ||
    !Number.isInteger(start) ||
    !Number.isInteger(max) ||
    start < 1 ||
    max < 1
  ) {
    return undefined;
  }
  const pages: string[] = [];
  for (let n = 1; ; n++) {
    const text = await readFile(join(root, `feed-page${n}.xml`), 'utf8').catch(() => undefined);
    if (text === undefined) break;
    pages.push(text);
  }
  const first = pages[0];
  if (first === undefined) return undefined;
  const entries = pages.flatMap((p) => p.match(/<entry[\s>][\s\S]*?<\/entry>/g) ?? []);
  const updated = (entry: string): number => Date.parse(/<updated>([^<]*)<\/updated>/.exec(entry)?.[1] ?? '');
  const matching = entries.filter((e) => updated(e) >= min);
  const link = (rel: string, k: number): string => {
    const q = new URLSearchParams({ 'updated-min': since, 'start-index': String(k), 'max-results': String(max) });
    return `<link rel='${rel}' type='application/atom+xml' href='{BASE}${FEED_PATH}?${q.toString().replaceAll('&', '&amp;')}'/>`;
  };
  const head = (first.split(/<entry[\s>]/)[0] ?? '').replace(/<\/feed>\s*$/, '').replace(/<link rel='(self|next)'[^>]*\/>/g, '');
  const next = start - 1 + max < matching.length ? link('next', start + max) : '';
  return `${head}${link('self', start)}${next}${matching.slice(start - 1, start - 1 + max).join('')}</feed>`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
