// A trustless IPFS gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/) over a block
// store, as a Hono sub-app the edge mounts at /ipfs. Web-standard only (Node and Workers).
//
//   GET /ipfs/<cid>?format=raw   or Accept: application/vnd.ipld.raw -> the block
//   GET /ipfs/<cid>[/<path>]?format=car   or Accept: application/vnd.ipld.car -> CARv1, dfs order,
//       no duplicates: the blocks that resolve <path> through UnixFS directories (plain or HAMT),
//       then the DAG at its end (dag-scope=all, or only its first block with dag-scope=block).
//   No format and no Accept: 400 (strict trustless mode); an Accept we do not serve: 406.
// The gateway never deserializes content for a browser: every answer is verifiable by the client.
import { Hono, type Context } from 'hono';
import { routePath } from 'hono/route';
import { CID } from 'multiformats/cid';
import type { BlockGetter } from '../ports/ipfs.ts';
import { MissingBlockError, toCar, walkDag, type Block } from '../adapters/ipfs/car.ts';
import { resolveUnixfsPath } from '../adapters/ipfs/unixfs-path.ts';

export interface IpfsGatewayOptions {
  blocks: BlockGetter;
}

const RAW = 'application/vnd.ipld.raw';
const CAR = 'application/vnd.ipld.car';
const IMMUTABLE = 'public, max-age=29030400, immutable';

type Format = 'raw' | 'car';

function chooseFormat(c: Context): Format | { status: 400 | 406; message: string } {
  const format = c.req.query('format');
  if (format === 'raw' || format === 'car') return format;
  if (format !== undefined) return { status: 400, message: `format=${format} is not served here (raw or car)` };
  const accept = c.req.header('accept');
  if (accept === undefined || accept.trim() === '' || accept.trim() === '*/*') {
    return {
      status: 400,
      message: 'trustless gateway: ask for ?format=raw or ?format=car (or Accept: application/vnd.ipld.raw / application/vnd.ipld.car)',
    };
  }
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type === RAW) return 'raw';
    if (type === CAR) {
      const version = params.find((p) => p.startsWith('version='));
      if (version === undefined || version === 'version=1') return 'car';
    }
  }
  return { status: 406, message: `none of ${accept} is served here: use ${RAW} or ${CAR};version=1` };
}

function parseRequestCid(text: string): CID | undefined {
  try {
    return CID.parse(text);
  } catch {
    return undefined;
  }
}

/** The sub-app; mount it with `app.route('/ipfs', createIpfsGateway({ blocks }))`. */
export function createIpfsGateway({ blocks }: IpfsGatewayOptions): Hono {
  const app = new Hono();

  app.get('/:cid{.+}', async (c) => {
    // Raw path segments after the mount point, percent-decoded one by one (a name may hold any
    // character but '/', including an encoded %2F).
    const prefix = routePath(c)
      .split('/')
      .findIndex((s) => s.startsWith(':cid'));
    const [cidText = '', ...rawSegments] = new URL(c.req.url).pathname.split('/').slice(Math.max(1, prefix));
    const cid = parseRequestCid(decodeSafe(cidText) ?? '');
    if (cid === undefined) return c.text(`not a valid CID: ${cidText.slice(0, 100)}`, 400);
    const segments: string[] = [];
    for (const raw of rawSegments) {
      if (raw === '') continue;
      const name = decodeSafe(raw);
      if (name === undefined) return c.text(`bad path segment: ${raw.slice(0, 100)}`, 400);
      segments.push(name);
    }

    const format = chooseFormat(c);
    if (typeof format !== 'string') return c.text(format.message, format.status);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Vary', 'Accept');
    // Content-addressed and public (every block checks against its CID): readable from any origin,
    // as the trustless gateway spec recommends, e.g. by a reader's service worker on another mirror.
    c.header('Access-Control-Allow-Origin', '*');

    if (format === 'raw') {
      if (segments.length > 0) return c.text('raw blocks are served by CID only: /ipfs/<cid>?format=raw (no path)', 400);
      const bytes = await blocks.get(cid);
      if (bytes === undefined) return c.text(`block ${cid.toString()} is not held here`, 404);
      c.header('Content-Type', RAW);
      c.header('Content-Disposition', `attachment; filename="${cid.toString()}.bin"`);
      c.header('Etag', `"${cid.toString()}.raw"`);
      c.header('Cache-Control', IMMUTABLE);
      return c.body(new Uint8Array(bytes), 200);
    }

    const scope = c.req.query('dag-scope') ?? 'all';
    if (scope !== 'all' && scope !== 'block') return c.text(`dag-scope=${scope} is not served here (all or block)`, 400);
    if (c.req.query('entity-bytes') !== undefined) return c.text('entity-bytes is not served here', 400);

    if (!(await blocks.has(cid))) return c.text(`block ${cid.toString()} is not held here`, 404);
    let pathBlocks: Block[] = [];
    let target = cid;
    if (segments.length > 0) {
      try {
        const resolved = await resolveUnixfsPath(cid, segments, blocks);
        if (!resolved.found) return c.text(`/${segments.join('/')}: ${resolved.reason}`, 404);
        pathBlocks = resolved.path;
        target = resolved.target;
      } catch (e) {
        if (e instanceof MissingBlockError) return c.text(`cannot resolve the path: ${e.message}`, 404);
        throw e;
      }
      if (!(await blocks.has(target))) return c.text(`block ${target.toString()} is not held here`, 404);
    }

    async function* blocksOut(): AsyncGenerator<Block> {
      const sent = new Set<string>();
      for (const block of pathBlocks) {
        sent.add(block.cid.toString());
        yield block;
      }
      if (scope === 'block') {
        if (!sent.has(target.toString())) {
          const bytes = await blocks.get(target);
          if (bytes === undefined) throw new MissingBlockError(target.toString());
          yield { cid: target, bytes };
        }
        return;
      }
      for await (const block of walkDag(target, blocks)) {
        if (sent.has(block.cid.toString())) continue;
        sent.add(block.cid.toString());
        yield block;
      }
    }

    const path = segments.length > 0 ? `/${segments.map(encodeURIComponent).join('/')}` : '';
    c.header('Content-Type', `${CAR}; version=1; order=dfs; dups=n`);
    c.header('Content-Disposition', `attachment; filename="${cid.toString()}.car"`);
    c.header('Etag', `"${cid.toString()}${path}.car.${scope}.dfs.n"`);
    c.header('Cache-Control', IMMUTABLE);
    // Once streaming starts the status is 200; a block missing mid-DAG ends the stream early, and a
    // client's verification (every block hashed, DAG complete) catches the short CAR.
    const chunks = toCar([cid], blocksOut());
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await chunks.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    });
    return c.body(stream, 200);
  });

  return app;
}

function decodeSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
