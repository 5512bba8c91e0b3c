// The trustless gateway over loopback HTTP, checked with independent clients: @ipld/car's
// CarReader plus our own rehash of every block, ipfs-unixfs-exporter for paths, and
// `ipfs-car unpack` compared byte for byte with the snapshot. Also `ferry car`.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { CarReader } from '@ipld/car/reader';
import { Hono } from 'hono';
import { exporter } from 'ipfs-unixfs-exporter';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIpfsGateway } from '../../src/edge/ipfs-gateway.ts';
import { blockstoreDir, createFsBlockstore, type FsBlockstore } from '../../src/adapters/ipfs/fs-blockstore.ts';
import { importSnapshot } from '../../src/adapters/ipfs/unixfs-import.ts';
import { MissingBlockError, verifyCar } from '../../src/adapters/ipfs/car.ts';
import type { BlockGetter } from '../../src/ports/ipfs.ts';
import { ipfsCar, ipfsCarPack } from '../helpers/ipfs-car-cli.ts';
import { readTree } from '../helpers/tree.ts';
import { runCli } from '../helpers/run-cli.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const big = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => (i * 7919) % 251);
const snapshot = new Map<string, Uint8Array>([
  ['/index.html', enc('<!doctype html><h1>首页</h1>')],
  ['/文章/人权观察.html', enc('<p>你好，世界</p>')],
  ['/media/film.bin', big],
  ['/empty.txt', new Uint8Array(0)],
  ...Array.from({ length: 1100 }, (_, i): [string, Uint8Array] => [`/posts/p${i}/index.html`, enc(`<p>post ${i}</p>`)]),
]);

let work: string;
let store: FsBlockstore;
let root: CID;
let server: ServerType;
let base: string;

function listen(app: Hono): Promise<{ server: ServerType; base: string }> {
  return new Promise((done) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      done({ server: s, base: `http://127.0.0.1:${info.port}` }),
    );
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ferry-ipfs-gw-'));
  store = createFsBlockstore({ dir: blockstoreDir(join(work, 'data')) });
  root = (await importSnapshot(snapshot, store)).root;
  const app = new Hono();
  app.route('/ipfs', createIpfsGateway({ blocks: store }));
  ({ server, base } = await listen(app));
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(work, { recursive: true, force: true });
});

/** Independent check: every block in the CAR rehashed with multiformats' sha256. */
async function readCarIndependently(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const reader = await CarReader.fromBytes(bytes);
  const blocks = new Map<string, Uint8Array>();
  for await (const { cid, bytes: data } of reader.blocks()) {
    const digest = await sha256.digest(data);
    expect(Buffer.from(digest.bytes).equals(Buffer.from(cid.multihash.bytes)), `block ${cid.toString()} hash`).toBe(true);
    blocks.set(cid.toString(), data);
  }
  return blocks;
}

const fromMap = (blocks: Map<string, Uint8Array>): { get: (cid: CID) => Promise<Uint8Array> } => ({
  get: async (cid: CID) => {
    const b = blocks.get(cid.toString());
    if (b === undefined) throw new Error(`block ${cid.toString()} not in the CAR`);
    return b;
  },
});

describe('trustless gateway', () => {
  it('serves a raw block by ?format=raw and by Accept', async () => {
    for (const init of [{ url: `${base}/ipfs/${root}?format=raw` }, { url: `${base}/ipfs/${root}`, accept: 'application/vnd.ipld.raw' }]) {
      const res = await fetch(init.url, { headers: init.accept ? { accept: init.accept } : {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw');
      expect(res.headers.get('content-disposition')).toContain('attachment');
      const body = new Uint8Array(await res.arrayBuffer());
      expect((await sha256.digest(body)).bytes).toEqual(root.multihash.bytes);
    }
  });

  it('answers 404 for a block it does not hold, 400 for a bad CID or no format, 406 for another type', async () => {
    const absent = CID.createV1(0x55, await sha256.digest(enc('not stored')));
    expect((await fetch(`${base}/ipfs/${absent}?format=raw`)).status).toBe(404);
    expect((await fetch(`${base}/ipfs/${absent}?format=car`)).status).toBe(404);
    expect((await fetch(`${base}/ipfs/undefined?format=raw`)).status).toBe(400);
    expect((await fetch(`${base}/ipfs/${root}`)).status).toBe(400);
    expect((await fetch(`${base}/ipfs/${root}`, { headers: { accept: 'text/html' } })).status).toBe(406);
    expect((await fetch(`${base}/ipfs/${root}/index.html?format=raw`)).status).toBe(400);
    expect((await fetch(`${base}/ipfs/${root}/no-such-file?format=car`)).status).toBe(404);
  });

  // Real work (1,100 files, an ipfs-car child): room for a loaded machine, each child with its own deadline.
  it('serves the whole DAG as a CAR that CarReader, ipfs-car unpack and verifyCar accept', { timeout: 90_000 }, async () => {
    const res = await fetch(`${base}/ipfs/${root}`, { headers: { accept: 'application/vnd.ipld.car' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=n');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const blocks = await readCarIndependently(bytes);
    expect(blocks.has(root.toString())).toBe(true);
    await verifyCar(bytes, root, 'loopback gateway');

    const carFile = join(work, 'whole.car');
    await writeFile(carFile, bytes);
    expect(await ipfsCar(['roots', carFile])).toBe(root.toString());
    const out = join(work, 'unpacked');
    await ipfsCar(['unpack', carFile, '--output', out]);
    const tree = await readTree(out);
    expect([...tree.keys()].sort()).toEqual([...snapshot.keys()].sort());
    for (const [path, expected] of snapshot) expect(Buffer.compare(tree.get(path) ?? Buffer.alloc(1), Buffer.from(expected)), path).toBe(0);
  });

  it('resolves /ipfs/<cid>/<path> through plain and HAMT directories (Chinese names percent-encoded)', async () => {
    for (const path of ['/文章/人权观察.html', '/posts/p1099/index.html', '/media/film.bin']) {
      const url = `${base}/ipfs/${root}${path.split('/').map(encodeURIComponent).join('/')}?format=car`;
      const res = await fetch(url);
      expect(res.status, path).toBe(200);
      const blocks = await readCarIndependently(new Uint8Array(await res.arrayBuffer()));
      // An independent UnixFS client walks the path from the root using only the CAR's blocks.
      const entry = await exporter(`${root.toString()}${path}`, fromMap(blocks));
      const parts: Uint8Array[] = [];
      for await (const chunk of entry.content()) parts.push(chunk as Uint8Array);
      expect(Buffer.compare(Buffer.concat(parts), Buffer.from(snapshot.get(path) ?? new Uint8Array(1))), path).toBe(0);
      // Only the path and the file: far fewer blocks than the whole site.
      expect(blocks.size).toBeLessThan(20);
    }
  });

  it('dag-scope=block sends the path blocks and the first block only', async () => {
    const res = await fetch(`${base}/ipfs/${root}/media/film.bin?format=car&dag-scope=block`);
    const blocks = await readCarIndependently(new Uint8Array(await res.arrayBuffer()));
    expect(blocks.size).toBe(3); // root, media/, film.bin's root node (not its 3 leaves)
  });

  it('a store missing a block: 200, the CAR cut where the block is missing, the transfer aborted, the error reported', async () => {
    const film = await exporter(`${root.toString()}/media/film.bin`, {
      get: async (cid: CID) => (await store.get(cid)) ?? new Uint8Array(),
    });
    const holes: BlockGetter = {
      get: async (cid) => (cid.toString() === film.cid.toString() ? undefined : store.get(cid)),
      has: async (cid) => cid.toString() !== film.cid.toString() && (await store.has(cid)),
    };
    const app = new Hono();
    app.route('/ipfs', createIpfsGateway({ blocks: holes }));
    const other = await listen(app);
    // @hono/node-server reports a response stream that fails on console.error: captured here, asserted below.
    const reported: unknown[] = [];
    const consoleError = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void reported.push(...args));
    try {
      const full = new Uint8Array(await (await fetch(`${base}/ipfs/${root}?format=car`)).arrayBuffer());
      const res = await fetch(`${other.base}/ipfs/${root}?format=car`);
      expect(res.status).toBe(200);
      const { bytes, error } = await readUntilError(res);
      // The transfer is aborted, not ended: no client or cache can take the cut CAR for a whole one.
      expect(String(error)).toMatch(/terminated/);
      // What arrived is the start of the whole CAR: every block up to the missing one, whole and hashed.
      expect(bytes.length).toBeGreaterThan(100);
      expect(bytes.length).toBeLessThan(full.length);
      expect(Buffer.from(full.subarray(0, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
      const sent = await readCarIndependently(bytes);
      expect(sent.size).toBeGreaterThan(0);
      expect(sent.has(film.cid.toString())).toBe(false);
      await expect(verifyCar(bytes, root, 'holey gateway')).rejects.toThrow(/holey gateway/);
    } finally {
      consoleError.mockRestore();
      await new Promise((done) => other.server.close(done));
    }
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(MissingBlockError);
    expect(reported[0]).toMatchObject({ cid: film.cid.toString() });
  });
});

/** Reads a body until it ends or fails: the bytes that arrived, and how it ended. */
async function readUntilError(res: Response): Promise<{ bytes: Uint8Array; error: unknown }> {
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let error: unknown;
  try {
    for (;;) {
      const next = await reader?.read();
      if (next === undefined || next.done) break;
      chunks.push(next.value);
    }
  } catch (e) {
    error = e;
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), error };
}

describe('ferry car', () => {
  it('writes a CARv1 with the ipfs-car root, readable and unpackable by ipfs-car', { timeout: 90_000 }, async () => {
    const dir = join(work, 'site');
    for (const [path, bytes] of snapshot) {
      const file = join(dir, ...path.slice(1).split('/'));
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, bytes);
    }
    const expected = await ipfsCarPack(dir, join(work, 'reference.car'));
    const run = await runCli(['car', dir, '--out', join(work, 'ferry.car'), '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const report: unknown = JSON.parse(run.out);
    expect(report).toMatchObject({ cid: expected });
    expect(await ipfsCar(['roots', join(work, 'ferry.car')])).toBe(expected);
    const listed = await ipfsCar(['ls', join(work, 'ferry.car')]);
    expect(listed).toContain('文章/人权观察.html');
    const out = join(work, 'ferry-unpacked');
    await ipfsCar(['unpack', join(work, 'ferry.car'), '--output', out]);
    const tree = await readTree(out);
    expect(tree.size).toBe(snapshot.size);
    for (const [path, bytes] of snapshot) expect(Buffer.compare(tree.get(path) ?? Buffer.alloc(1), Buffer.from(bytes)), path).toBe(0);

    const plain = await runCli(['car', dir, '--out', join(work, 'plain.car')]);
    expect(plain.out).toBe(expected);
    expect((await runCli(['car', dir])).code).toBe(2);
  });
});
