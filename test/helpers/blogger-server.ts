// A loopback HTTP server that serves a fixture folder the way Blogger serves a blog (see
// test/fixtures/README.md): the paged Atom feed at /feeds/posts/default, with {BASE}
// replaced by the server's own origin, and the images under /media/. Extra or replacing routes
// let fault tests make one URL fail, hang or loop.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, base: string) => void | Promise<void>;

export interface BloggerServerOptions {
  /** Handlers by path (without the query), consulted before the Blogger routes. */
  routes?: Record<string, RouteHandler>;
}

export interface BloggerServer {
  /** The server's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  base: string;
  /** Every request's path and query, in the order received. */
  requests: string[];
  /** Serve another fixture folder from now on, at the same address (the origin changed). */
  setFolder(folder: string): void;
  close(): Promise<void>;
}

export const FEED_PATH = '/feeds/posts/default';

/**
 * Serves `folder`: a fixture folder such as test/fixtures/blogger-clean (its blogger/
 * subfolder is used) or a folder holding feed-page<N>.xml and media/ directly.
 */
export async function startBloggerServer(folder: string, { routes = {} }: BloggerServerOptions = {}): Promise<BloggerServer> {
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

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
