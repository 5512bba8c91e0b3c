// Node runtime wiring for the edge: mirror adapters Node can build (http, ipfs-gateway, directory),
// zlib compression (gzip + brotli, once per verified file), state in a folder or in memory, and
// @hono/node-server. The app itself is runtime-agnostic (src/edge/app.ts).
import { getRequestListener } from '@hono/node-server';
import type { Context } from 'hono';
import { IncomingMessage, createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { decodeKey } from '../core/manifest.ts';
import type { MirrorConfig } from '../core/mirrors-config.ts';
import { createFsEdgeState } from '../adapters/edge-state/fs-edge-state.ts';
import { createMemoryEdgeState } from '../adapters/edge-state/memory-edge-state.ts';
import { createDirectoryMirror } from '../adapters/mirrors/directory-mirror.ts';
import { createHttpMirror } from '../adapters/mirrors/http-mirror.ts';
import { createIpfsGatewayMirror } from '../adapters/mirrors/ipfs-gateway-mirror.ts';
import { createLimitedFetch } from '../adapters/web/limited-fetch.ts';
import { createEdge, type Edge, type EdgeOptions } from '../edge/app.ts';
import type { Compressor } from '../edge/compression.ts';
import type { Answer } from '../edge/responder.ts';
import type { LimitedFetch } from '../ports/fetch.ts';
import { createMirrors, type MirrorFactories } from '../ports/mirror.ts';

export interface NodeMirrorDeps {
  fetch: LimitedFetch;
  /** Folder that relative directory mirrors are resolved against. */
  baseDir: string;
}

export const NODE_MIRROR_FACTORIES: MirrorFactories<NodeMirrorDeps> = {
  http: createHttpMirror,
  'ipfs-gateway': createIpfsGatewayMirror,
  directory: createDirectoryMirror,
};

export const NODE_MIRROR_KINDS = Object.keys(NODE_MIRROR_FACTORIES);

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export function createZlibCompressor(): Compressor {
  return {
    encodings: ['br', 'gzip'],
    async compress(bytes, encoding) {
      const out =
        encoding === 'br'
          ? await brotliAsync(bytes, {
              params: {
                [zlib.BROTLI_PARAM_QUALITY]: bytes.length <= 1024 * 1024 ? 11 : 5,
                [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
              },
            })
          : await gzipAsync(bytes, { level: 9 });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}

/** Read a header straight from Node's IncomingMessage (no Headers object per request). */
export function nodeRequestHeader(c: Context, name: string): string | undefined {
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env && env.incoming instanceof IncomingMessage) {
    const v = env.incoming.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }
  return c.req.header(name);
}

/**
 * Request paths the hot path takes as they come: no percent-escapes to decode, no dot segments
 * to normalise, so the raw path is exactly the path Hono would route (anything else goes to Hono).
 */
const PLAIN_PATH = /^\/[\w\-~./]*$/;

/**
 * GET and HEAD of a verified, prepared, current snapshot file are written straight from the
 * edge's prepared answer (headers as a ready array, body as cached): no Request, Response or
 * Headers objects. Everything else, and any doubt, goes to the Hono app.
 */
export function fastListener(edge: Edge, slow: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestListener {
  const keepAlive = (work: Promise<unknown>): void => void work.catch(() => undefined);
  return (req, res) => {
    const method = req.method;
    const url = req.url;
    if ((method === 'GET' || method === 'HEAD') && url !== undefined) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (PLAIN_PATH.test(path) && !path.includes('/.')) {
        const headers = req.headers;
        const answer = edge.cached(path, (name) => headerText(headers[name]), keepAlive);
        if (answer !== undefined) {
          writeAnswer(res, answer, method === 'HEAD');
          return;
        }
      }
    }
    // @hono/node-server answers errors itself; should it fail anyway, the connection is cut.
    slow(req, res).catch(() => res.destroy());
  };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function writeAnswer(res: ServerResponse, a: Answer, head: boolean): void {
  res.writeHead(a.status, a.raw ?? a.headers);
  if (head || a.body === null) res.end();
  else res.end(a.body);
}

/** The peer's address, for the dashboard's sign-in limit (kept a minute, never logged). */
export function nodeClientAddress(c: Context): string {
  const env: unknown = c.env;
  if (typeof env === 'object' && env !== null && 'incoming' in env && env.incoming instanceof IncomingMessage) {
    return env.incoming.socket.remoteAddress ?? 'unknown';
  }
  return 'unknown';
}

export interface StartEdgeServerOptions {
  mirrors: readonly MirrorConfig[];
  /** PEM, base64 or the raw 32 bytes. */
  publicKey: string | Uint8Array;
  port?: number;
  host?: string;
  /** Keep the last accepted manifest and verified copies here (default: memory only). */
  dataDir?: string;
  baseDir?: string;
  fetch?: LimitedFetch;
  hedge?: EdgeOptions['hedge'];
  timeouts?: EdgeOptions['timeouts'];
  manifestTtlMs?: number;
  exclusionsTtlMs?: number;
  onEvent?: EdgeOptions['onEvent'];
  /** Serve these blocks as a trustless IPFS gateway at /ipfs/. */
  ipfs?: EdgeOptions['ipfs'];
  /** The dashboard (or the public status alone), mounted at /_ferry. */
  dashboard?: EdgeOptions['dashboard'];
}

export interface EdgeServer {
  url: string;
  edge: Edge;
  /**
   * Stop listening. Requests in flight get up to drainMs to finish (default 0: every connection
   * is cut at once); idle keep-alive connections are closed as soon as they are idle.
   */
  close(opts?: { drainMs?: number }): Promise<void>;
}

export async function startEdgeServer({
  mirrors,
  publicKey,
  port = 0,
  host = '127.0.0.1',
  dataDir,
  baseDir = process.cwd(),
  fetch = createLimitedFetch(),
  ...rest
}: StartEdgeServerOptions): Promise<EdgeServer> {
  const edge = createEdge({
    mirrors: createMirrors(mirrors, NODE_MIRROR_FACTORIES, { fetch, baseDir }),
    publicKey: typeof publicKey === 'string' ? decodeKey(publicKey, 'public') : publicKey,
    store: dataDir === undefined ? createMemoryEdgeState() : createFsEdgeState(dataDir),
    compressor: createZlibCompressor(),
    requestHeader: nodeRequestHeader,
    ...(rest.hedge ? { hedge: rest.hedge } : {}),
    ...(rest.timeouts ? { timeouts: rest.timeouts } : {}),
    ...(rest.manifestTtlMs !== undefined ? { manifestTtlMs: rest.manifestTtlMs } : {}),
    ...(rest.exclusionsTtlMs !== undefined ? { exclusionsTtlMs: rest.exclusionsTtlMs } : {}),
    ...(rest.onEvent ? { onEvent: rest.onEvent } : {}),
    ...(rest.ipfs ? { ipfs: rest.ipfs } : {}),
    ...(rest.dashboard ? { dashboard: rest.dashboard } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(fastListener(edge, getRequestListener(edge.app.fetch)));
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  // Load the manifest now, so the first reader does not wait for it.
  await edge.reader.ensure().catch(() => undefined);
  return {
    url: `http://${shownHost}:${address.port}`,
    edge,
    close: ({ drainMs = 0 } = {}) =>
      new Promise<void>((resolve, reject) => {
        // A connection becomes idle when its response is done: close those as they appear.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.close((e) => {
          clearInterval(idle);
          clearTimeout(cut);
          if (e) reject(e);
          else resolve();
        });
        server.closeIdleConnections();
        if (drainMs <= 0) server.closeAllConnections();
      }),
  };
}
