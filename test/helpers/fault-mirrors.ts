// Loopback HTTP mirrors (port 0) that serve a snapshot well or badly: hang, slow, 500, tampered,
// truncated, oversized; and a URL whose port refuses connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'good' | 'hang' | 'slow' | 'error500' | 'tamper' | 'truncate' | 'oversize';

export interface MirrorServerOptions {
  fault?: Fault;
  /** For 'slow': delay before answering, ms. */
  delayMs?: number;
}

export interface MirrorServer {
  url: string;
  /** Requests seen, by path. */
  requests: string[];
  setSnapshot(map: ReadonlyMap<string, Uint8Array>): void;
  setFault(fault: Fault): void;
  close(): Promise<void>;
}

const MANIFEST_FILES = new Set(['/manifest.json', '/manifest.json.sig']);

export async function startMirrorServer(
  snapshot: ReadonlyMap<string, Uint8Array>,
  { fault: initialFault = 'good', delayMs = 300 }: MirrorServerOptions = {},
): Promise<MirrorServer> {
  let files = snapshot;
  let fault = initialFault;
  const requests: string[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const asked = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    // Like any static host: a folder is answered with its index.html.
    const path = asked.endsWith('/') ? `${asked}index.html` : asked;
    requests.push(path);
    if (fault === 'hang') return;
    const answer = (): void => {
      if (fault === 'error500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      }
      const body = files.get(path);
      if (body === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const affected = !MANIFEST_FILES.has(path);
      if (affected && fault === 'tamper') {
        const evil = Buffer.from(body);
        const marker = Buffer.from('<script>evil()</script>');
        marker.copy(evil, 0, 0, Math.min(marker.length, evil.length));
        res.writeHead(200, { 'content-length': evil.length }).end(evil);
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
    if (fault === 'slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        answer();
      }, delayMs);
      timers.add(t);
    } else answer();
  };
  const server = createServer(handler);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    setSnapshot: (map) => {
      files = map;
    },
    setFault: (f) => {
      fault = f;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL on a port that was opened, then closed: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
