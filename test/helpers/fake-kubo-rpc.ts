// FAKE Kubo RPC server for tests, following the Kubo RPC API reference (https://docs.ipfs.tech/reference/kubo/rpc/): only the endpoints Ferry uses.
//
// Loopback node:http. Every command is POST /api/v0/<command> (Kubo answers 405 to GET), errors
// are HTTP 500 with {"Message","Code","Type":"error"}, and:
//   dag/import (multipart "file" parts holding CARs; ?pin-roots, default true): every block is
//     parsed and rehashed (a wrong upload fails with 500); with pin-roots each header root is
//     pinned recursively and reported as ndjson {"Root":{"Cid":{"/":cid},"PinErrorMsg":""}}.
//   pin/add?arg=<cid>&recursive=true: {"Pins":[cid]} if the whole DAG is held (the fake is
//     offline: a missing block is an error, as Kubo offline would report).
//   pin/ls?arg=<cid>&type=recursive[&stream=true]: ndjson {"Cid","Name","Type"} per pin when
//     streaming, else {"Keys":{cid:{"Type","Name"}}}; an unpinned CID is an error.
//   name/publish?arg=/ipfs/<cid>&key=<name>: {"Name":<ipns name>,"Value":"/ipfs/<cid>"}.
//   block/get?arg=<cid>: the raw block bytes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CarBlockIterator } from '@ipld/car/iterator';
import * as dagPb from '@ipld/dag-pb';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

export interface FakeKuboOptions {
  /** pin/add fails with this message (a pin that cannot complete). */
  failPin?: string;
  /** Answer nothing to this command until the client gives up. */
  hang?: string;
}

export interface FakeKubo {
  url: string;
  blocks: Map<string, Uint8Array>;
  pins: Map<string, { type: 'recursive'; name: string }>;
  /** key name -> value, as published. */
  ipns: Map<string, string>;
  /** Commands received, in order ("dag/import?pin-roots=false", ...). */
  requests: string[];
  options: FakeKuboOptions;
  close(): Promise<void>;
}

class RpcError extends Error {}

export async function startFakeKubo(options: FakeKuboOptions = {}): Promise<FakeKubo> {
  const blocks = new Map<string, Uint8Array>();
  const pins = new Map<string, { type: 'recursive'; name: string }>();
  const ipns = new Map<string, string>();
  const requests: string[] = [];
  const state = { options };

  const completeDag = (root: CID): string | undefined => {
    const stack = [root];
    const seen = new Set<string>();
    for (;;) {
      const cid = stack.pop();
      if (cid === undefined) return undefined;
      const key = cid.toV1().toString();
      if (seen.has(key)) continue;
      seen.add(key);
      const bytes = blocks.get(key);
      if (bytes === undefined) return `block was not found locally (offline): ipld: could not find ${key}`;
      if (cid.code === dagPb.code) stack.push(...dagPb.decode(bytes).Links.map((l) => l.Hash));
    }
  };
  const argCid = (url: URL): CID => {
    const arg = url.searchParams.get('arg');
    if (arg === null) throw new RpcError('argument "ipfs-path" is required');
    try {
      return CID.parse(arg.replace(/^\/ipfs\//, ''));
    } catch {
      throw new RpcError(`invalid path ${JSON.stringify(arg)}: invalid cid`);
    }
  };
  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const chunk of req) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  };

  const commands: Record<string, (url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'dag/import': async (url, req, res) => {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: new Uint8Array(await readBody(req)),
      }).formData();
      const roots: CID[] = [];
      for (const [, value] of form.entries()) {
        if (typeof value === 'string') continue;
        const iterator = await CarBlockIterator.fromBytes(new Uint8Array(await value.arrayBuffer())).catch((e: Error) => {
          throw new RpcError(`cannot read CAR: ${e.message}`);
        });
        roots.push(...(await iterator.getRoots()));
        for await (const { cid, bytes } of iterator) {
          const digest = await sha256.digest(bytes);
          if (cid.multihash.code !== sha256.code || Buffer.compare(digest.digest, cid.multihash.digest) !== 0) {
            throw new RpcError(`block ${cid.toString()}: data does not match the CID (hash mismatch)`);
          }
          blocks.set(cid.toV1().toString(), bytes);
        }
      }
      if (roots.length === 0) throw new RpcError('no CAR file in the request');
      res.writeHead(200, { 'content-type': 'application/json', 'x-chunked-output': '1' });
      if (url.searchParams.get('pin-roots') !== 'false') {
        for (const root of roots) {
          const problem = completeDag(root);
          if (problem === undefined) pins.set(root.toV1().toString(), { type: 'recursive', name: '' });
          res.write(`${JSON.stringify({ Root: { Cid: { '/': root.toString() }, PinErrorMsg: problem ?? '' } })}\n`);
        }
      }
      res.end();
    },
    'pin/add': async (url, _req, res) => {
      const cid = argCid(url);
      if (state.options.failPin !== undefined) throw new RpcError(state.options.failPin);
      const problem = completeDag(cid);
      if (problem !== undefined) throw new RpcError(`pin: ${problem}`);
      pins.set(cid.toV1().toString(), { type: 'recursive', name: url.searchParams.get('name') ?? '' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ Pins: [cid.toString()] })}\n`);
    },
    'pin/ls': async (url, _req, res) => {
      const cid = argCid(url);
      const pin = pins.get(cid.toV1().toString());
      const type = url.searchParams.get('type') ?? 'all';
      if (pin === undefined || (type !== 'all' && type !== pin.type)) throw new RpcError(`path '${cid.toString()}' is not pinned`);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('stream') === 'true')
        res.end(`${JSON.stringify({ Cid: cid.toString(), Name: pin.name, Type: pin.type })}\n`);
      else res.end(`${JSON.stringify({ Keys: { [cid.toString()]: { Type: pin.type, Name: pin.name } } })}\n`);
    },
    'name/publish': async (url, _req, res) => {
      const cid = argCid(url);
      if (!blocks.has(cid.toV1().toString())) throw new RpcError(`could not resolve name: block ${cid.toString()} not found locally`);
      const key = url.searchParams.get('key') ?? 'self';
      const value = `/ipfs/${cid.toString()}`;
      ipns.set(key, value);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Name: `k51qzi5uqu5d${Buffer.from(key).toString('hex')}`, Value: value }));
    },
    'block/get': async (url, _req, res) => {
      const cid = argCid(url);
      const bytes = blocks.get(cid.toV1().toString());
      if (bytes === undefined) throw new RpcError(`block ${cid.toString()} not found locally`);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(bytes);
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const name = url.pathname.replace(/^\/api\/v0\//, '');
    requests.push(`${name}${url.search}`);
    const handler = commands[name];
    const fail = (status: number, message: string): void => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Message: message, Code: 0, Type: 'error' }));
    };
    if (req.method !== 'POST') return fail(405, `${req.method} not allowed, use POST`);
    if (handler === undefined) return fail(404, `unknown command ${name}`);
    if (state.options.hang === name) return;
    handler(url, req, res).catch((e: unknown) => fail(500, e instanceof Error ? e.message : String(e)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    blocks,
    pins,
    ipns,
    requests,
    get options() {
      return state.options;
    },
    set options(next: FakeKuboOptions) {
      state.options = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
