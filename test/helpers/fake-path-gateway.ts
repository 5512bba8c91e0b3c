// FAKE: a loopback stand-in for a browser-facing IPFS path gateway (Kubo's /ipfs/<cid>/<path>, per https://specs.ipfs.tech/http-gateways/path-gateway/), which cannot run here.
//
// Ferry's embedded gateway (src/edge/ipfs-gateway.ts) is strictly trustless: a browser asking it for
// /ipfs/<cid>/index.html gets 400/406, by design. Readers reach a snapshot on IPFS through a path
// gateway such as this one, which deserializes content for them. It keeps what the spec and Kubo
// do for browsers, at the same URL shape: a directory asked for without its trailing slash is
// 301-redirected to it; a directory is answered with its index.html; a name that does not resolve
// is the gateway's own 404 (a path gateway never serves the site's 404.html); Content-Type by file
// extension, with nosniff. Every answer is fetched from the trustless gateway upstream as a CAR
// (`?format=car`, the path's blocks then the file's DAG), each block is checked against its CID,
// and the path is walked from the root with ipfs-unixfs-exporter using only those blocks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CarBlockIterator } from '@ipld/car/iterator';
import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter';
import { CID } from 'multiformats/cid';
import { isBlockValid } from '../../src/adapters/ipfs/block-hash.ts';
import { contentTypeFor } from '../../src/edge/content-headers.ts';

export interface PathGateway {
  /** The gateway's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Every request's path and query, in the order received. */
  requests: string[];
  close(): Promise<void>;
}

export interface PathGatewayOptions {
  /** Origin of the trustless gateway (the edge, which mounts it at /ipfs/). */
  upstream: string;
  /** Deadline of each upstream request, ms. */
  timeoutMs?: number;
  /** Largest CAR accepted from upstream, bytes. */
  maxCarBytes?: number;
}

class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startPathGateway({
  upstream,
  timeoutMs = 10_000,
  maxCarBytes = 64 * 1024 * 1024,
}: PathGatewayOptions): Promise<PathGateway> {
  const requests: string[] = [];

  /**
   * The UnixFS entry at root/names, from a CAR whose every block was checked: with scope 'block'
   * only the path and the entry's first block (enough to tell a directory from a file), with 'all'
   * the entry's whole DAG too.
   */
  const resolve = async (root: CID, names: readonly string[], scope: 'block' | 'all'): Promise<UnixFSEntry> => {
    const path = names.map(encodeURIComponent).join('/');
    const res = await fetch(`${upstream}/ipfs/${root.toString()}${path === '' ? '' : `/${path}`}?format=car&dag-scope=${scope}`, {
      headers: { accept: 'application/vnd.ipld.car' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new UpstreamError(404, `no link named ${JSON.stringify(names.join('/'))} under ${root.toString()}`);
    }
    if (res.status !== 200 || res.body === null) throw new UpstreamError(502, `upstream answered ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > maxCarBytes) throw new UpstreamError(502, `upstream CAR is over ${maxCarBytes} bytes`);
    const blocks = new Map<string, Uint8Array>();
    for await (const block of await CarBlockIterator.fromBytes(bytes)) {
      if (!(await isBlockValid(block.cid, block.bytes)))
        throw new UpstreamError(502, `block ${block.cid.toString()} does not match its CID`);
      blocks.set(block.cid.toString(), block.bytes);
    }
    const store = {
      get: async (cid: CID): Promise<Uint8Array> => {
        const found = blocks.get(cid.toString());
        if (found === undefined) throw new UpstreamError(502, `upstream CAR lacks block ${cid.toString()}`);
        return found;
      },
    };
    return exporter(names.length === 0 ? root : `${root.toString()}/${names.join('/')}`, store);
  };

  const contentOf = async (entry: UnixFSEntry): Promise<Buffer> => {
    const parts: Uint8Array[] = [];
    for await (const chunk of entry.content()) if (chunk instanceof Uint8Array) parts.push(chunk);
    return Buffer.concat(parts);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    requests.push(url.pathname + url.search);
    const [empty, ns, cidText = '', ...raw] = url.pathname.split('/');
    if (empty !== '' || ns !== 'ipfs') return text(res, 404, 'only /ipfs/<cid>/<path> is served here');
    let root: CID;
    try {
      root = CID.parse(cidText);
    } catch {
      return text(res, 400, `invalid CID ${JSON.stringify(cidText)}`);
    }
    let names: string[];
    try {
      names = raw.filter((s) => s !== '').map((s) => decodeURIComponent(s));
    } catch {
      return text(res, 400, 'bad percent-encoding in the path');
    }
    const asDirectory = url.pathname.endsWith('/');
    let path = names;
    if ((await resolve(root, names, 'block')).type === 'directory') {
      if (!asDirectory) {
        res.writeHead(301, { location: `${url.pathname}/${url.search}` }).end();
        return;
      }
      path = [...names, 'index.html'];
    }
    const entry = await resolve(root, path, 'all');
    if (entry.type !== 'file' && entry.type !== 'raw') return text(res, 404, `${names.join('/')} is not a file`);
    const body = await contentOf(entry);
    res
      .writeHead(200, {
        'content-type': contentTypeFor(`/${path.join('/')}`),
        'content-length': body.byteLength,
        'x-content-type-options': 'nosniff',
        etag: `"${entry.cid.toString()}"`,
      })
      .end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof UpstreamError ? e.status : 500;
      if (!res.headersSent) text(res, status, `path gateway: ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(message);
}
