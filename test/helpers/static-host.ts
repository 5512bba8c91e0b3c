// A loopback static host that serves a snapshot folder under a path prefix the way GitHub Pages
// serves a project site (https://org.github.io/blog/): a directory asked for without its trailing
// slash is 301-redirected to it, a directory is answered with its index.html, and every missing
// address under the prefix gets the folder's 404.html with status 404. Nothing is served outside
// the prefix. The folder may be the link `ferry build --out` makes; it is read at each request,
// so the server can start before the build.
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { contentTypeFor } from '../../src/edge/content-headers.ts';

export interface StaticHost {
  /** The host's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  origin: string;
  /** Where the snapshot's root is served: origin + prefix. */
  url: string;
  close(): Promise<void>;
}

export interface StaticHostOptions {
  /** Called on each file served with status 200: the bytes to send instead (a mirror that tampers). */
  transform?: (pathname: string, body: Buffer) => Buffer;
}

/** `prefix` is '/' (a domain root) or '/blog/' (a project site). */
export async function startStaticHost(folder: string, prefix = '/', options: StaticHostOptions = {}): Promise<StaticHost> {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`prefix must start and end with '/', got ${prefix}`);
  const root = normalize(folder);

  const kind = async (file: string): Promise<'file' | 'directory' | undefined> => {
    const s = await stat(file).catch(() => undefined);
    return s === undefined ? undefined : s.isDirectory() ? 'directory' : 'file';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (`${url.pathname}/` === prefix) {
      res.writeHead(301, { location: prefix }).end();
      return;
    }
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not this site');
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname.slice(prefix.length));
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = normalize(join(root, relative));
    if (file !== root && !file.startsWith(root + sep)) return notFound(res);
    let found = await kind(file);
    if (found === 'directory') {
      if (!url.pathname.endsWith('/')) {
        res.writeHead(301, { location: `${url.pathname}/${url.search}` }).end();
        return;
      }
      file = join(file, 'index.html');
      found = await kind(file);
    }
    if (found !== 'file') return notFound(res);
    const read = await readFile(file);
    const body = options.transform === undefined ? read : options.transform(url.pathname, read);
    res.writeHead(200, { 'content-type': contentTypeFor(file), 'content-length': body.byteLength }).end(body);
  };

  const notFound = async (res: ServerResponse): Promise<void> => {
    const page = await readFile(join(root, '404.html')).catch(() => Buffer.from('not found'));
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.byteLength }).end(page);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`static host: ${String(e)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: origin + prefix,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
