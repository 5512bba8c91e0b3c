// Loopback HTTP mirrors (port 0) that serve a snapshot well or badly: hang, slow, 500, tampered
// (same size), a planted script (bigger), a censor's block page, truncated, oversized; that go
// down (connections refused) and come back on the same port; and a URL whose port refuses connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeFor } from '../../src/core/content-type.ts';

export type Fault =
  | 'good'
  | 'hang'
  | 'slow'
  | 'error500'
  /** HTTP 503 with a 100 KB error page (bigger than most files): an error, not the file. */
  | 'bigerror'
  /** Same size, other bytes. */
  | 'tamper'
  /** A script planted in every page: a bigger body, honest Content-Length. */
  | 'inject'
  /** The file cut short, with an honest (smaller) Content-Length. */
  | 'short'
  | 'blockpage'
  /** Content-Length announces the full size; the connection is cut halfway. */
  | 'truncate'
  | 'oversize';

export interface MirrorServerOptions {
  fault?: Fault;
  /** For 'slow': delay before answering, ms. */
  delayMs?: number;
  /** Extra delay before answering a path, whatever the fault (e.g. a slow manifest), ms. */
  delayFor?: (path: string) => number;
  /** Called with each request's path before it is answered (under the fault in force then). */
  onRequest?: (path: string) => void;
  /**
   * Answer as a public static host does (GitHub Pages, an IPFS gateway): a Content-Type by file name
   * and `Access-Control-Allow-Origin: *` on every answer, so browsers on other origins (the reader's
   * service worker failing over) can read it. Off by default: the edge reads mirrors without either.
   */
  publicHost?: boolean;
}

/** What 'inject' plants in every page: a bigger body with a script in it. */
export const PLANTED_SCRIPT = '<script src="https://evil.example/x.js"></script>';
/** What 'blockpage' answers for every path, manifest included, with status 200. */
export const BLOCK_PAGE = '<!doctype html><title>Blocked</title><h1>This site is blocked by order of the authorities</h1>';

export interface MirrorServer {
  url: string;
  /** Requests seen, by path. */
  requests: string[];
  setSnapshot(map: ReadonlyMap<string, Uint8Array>): void;
  setFault(fault: Fault): void;
  /** Stop listening (connections are refused) until start(); open connections are cut. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const MANIFEST_FILES = new Set(['/manifest.json', '/manifest.json.sig']);

export async function startMirrorServer(
  snapshot: ReadonlyMap<string, Uint8Array>,
  {
    fault: initialFault = 'good',
    delayMs = 300,
    delayFor = () => 0,
    onRequest = () => undefined,
    publicHost = false,
  }: MirrorServerOptions = {},
): Promise<MirrorServer> {
  let files = snapshot;
  let currentFault = initialFault;
  const requests: string[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const asked = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    // Like any static host: a folder is answered with its index.html.
    const path = asked.endsWith('/') ? `${asked}index.html` : asked;
    requests.push(path);
    // The fault this request is answered under (a hook may set the next one).
    const fault = currentFault;
    onRequest(path);
    if (publicHost) {
      res.setHeader('access-control-allow-origin', '*');
      if (files.has(path)) res.setHeader('content-type', contentTypeFor(path));
    }
    if (fault === 'hang') return;
    const answer = (): void => {
      if (fault === 'error500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      }
      if (fault === 'bigerror') {
        res.writeHead(503, { 'content-type': 'text/html' }).end(`<h1>Service unavailable</h1>${'<p>try later</p>'.repeat(7000)}`);
        return;
      }
      const body = files.get(path);
      if (body === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (fault === 'blockpage') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(BLOCK_PAGE);
        return;
      }
      const affected = !MANIFEST_FILES.has(path);
      if (affected && fault === 'inject') {
        const text = Buffer.from(body).toString('latin1');
        const at = text.indexOf('</head>');
        const evil = Buffer.from(at >= 0 ? text.slice(0, at) + PLANTED_SCRIPT + text.slice(at) : PLANTED_SCRIPT + text, 'latin1');
        res.writeHead(200, { 'content-length': evil.length }).end(evil);
        return;
      }
      if (affected && fault === 'tamper') {
        const evil = Buffer.from(body);
        const marker = Buffer.from('<script>evil()</script>');
        marker.copy(evil, 0, 0, Math.min(marker.length, evil.length));
        res.writeHead(200, { 'content-length': evil.length }).end(evil);
        return;
      }
      if (affected && fault === 'short') {
        const cut = body.subarray(0, Math.max(0, body.length - 10));
        res.writeHead(200, { 'content-length': cut.length }).end(cut);
        return;
      }
      if (affected && fault === 'truncate') {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
        return;
      }
      if (affected && fault === 'oversize') {
        const big = Buffer.concat([Buffer.from(body), Buffer.alloc(body.length + 1024, 0x41)]);
        res.writeHead(200, { 'content-length': big.length }).end(big);
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    };
    const wait = (fault === 'slow' ? delayMs : 0) + delayFor(path);
    if (wait > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) answer();
      }, wait);
      timers.add(t);
    } else answer();
  };
  const server = createServer(handler);
  const port = await listen(server);
  let listening = true;
  const stop = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    setSnapshot: (map) => {
      files = map;
    },
    setFault: (f) => {
      currentFault = f;
    },
    stop,
    start: async () => {
      if (listening) return;
      await listen(server, port);
      listening = true;
    },
    close: stop,
  };
}

/** A URL on a port that was opened, then closed: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
