// The service worker's reader (src/sw/reader.ts) in Node, against real loopback mirrors and a real
// trustless IPFS gateway (the edge's, over blocks the snapshot's own import made): which source it
// asks, in what order, and what it accepts. The browser itself is test/integration/service-worker-chromium.test.ts.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBlockstore } from '../../src/adapters/ipfs/memory-blockstore.ts';
import { importSnapshotIncremental } from '../../src/adapters/ipfs/unixfs-import.ts';
import { snapshotFilesOf } from '../../src/adapters/node/snapshot-source.ts';
import { rawCidOf } from '../../src/core/raw-cid.ts';
import { createIpfsGateway } from '../../src/edge/ipfs-gateway.ts';
import { createReader, UnavailableError, type ReaderStore } from '../../src/sw/reader.ts';
import { createSignatureVerifier } from '../../src/sw/signature.ts';
import { startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { startPathGateway, type PathGateway } from '../helpers/fake-path-gateway.ts';
import { makeSignedSnapshot, testKeyPair } from '../helpers/signed-snapshot.ts';
import { createHash } from 'node:crypto';

const keys = testKeyPair(21);
const now = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;

function memoryStore(): ReaderStore & { map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return { map, get: async (k) => map.get(k), put: async (k, v) => void map.set(k, v) };
}

describe('the reader: origin first, then signed mirrors by priority, then IPFS blocks; only verified bytes', () => {
  let a: MirrorServer;
  let b: MirrorServer;
  let c: MirrorServer;
  let d: MirrorServer;
  let gateway: ServerType;
  let gatewayUrl: string;
  let pathGateway: PathGateway;
  /** The IPFS root of version 2 (imported into the gateway's blocks). */
  let root2: string;
  const gatewayRequests: string[] = [];
  /** When false the gateway answers 503 to everything (down for this reader). */
  let gatewayUp = true;
  let snapshots: Map<number, Map<string, Uint8Array>>;
  const fetched: string[] = [];
  const recordingFetch = (url: string, init: RequestInit): Promise<Response> => {
    fetched.push(url);
    return fetch(url, init);
  };

  /** A photo larger than one IPFS block (1 MiB): several blocks, read by path through a path gateway. */
  const big = new Uint8Array(1_500_000).map((_, i) => (i * 7919) % 251);
  const snapshot = (version: number, home: string, expiresInMs = DAY, extra: Record<string, string> = {}): Map<string, Uint8Array> =>
    makeSignedSnapshot(
      { '/index.html': home, '/2016/06/人权.html': '<p>人权 human rights</p>', '/style.css': 'body{}', '/media/big.bin': big, ...extra },
      {
        version,
        keyPair: keys,
        now,
        expiresInMs,
        canonical: a.url,
        mirrors: [
          { id: 'a', kind: 'http', url: a.url, priority: 1 },
          { id: 'gw', kind: 'ipfs-gateway', url: gatewayUrl, priority: 0 },
          { id: 'c', kind: 'http', url: c.url, priority: 2 },
          { id: 'd', kind: 'http', url: d.url, priority: 3 },
          { id: 'b', kind: 'http', url: b.url, priority: 4 },
          { id: 'kv', kind: 'kv', url: 'kv://snapshot', priority: 5 },
          { id: 'pgw', kind: 'ipfs-gateway', url: pathGateway.url + '/', priority: 6 },
        ],
      },
    );

  beforeAll(async () => {
    const empty = new Map<string, Uint8Array>();
    a = await startMirrorServer(empty);
    b = await startMirrorServer(empty);
    c = await startMirrorServer(empty, { fault: 'tamper' });
    d = await startMirrorServer(empty);
    const blocks = createMemoryBlockstore();
    const app = new Hono();
    app.use('*', async (ctx, next) => {
      gatewayRequests.push(new URL(ctx.req.url).pathname + new URL(ctx.req.url).search);
      if (!gatewayUp) return ctx.text('down', 503);
      await next();
      return undefined;
    });
    app.route('/ipfs', createIpfsGateway({ blocks }));
    gateway = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/`;
    pathGateway = await startPathGateway({ upstream: gatewayUrl.slice(0, -1) });
    snapshots = new Map([
      [1, snapshot(1, '<p>home, version 1</p>')],
      [2, snapshot(2, '<p>home, version 2</p>')],
      [3, snapshot(3, '<p>home, version 3, a new post</p>')],
    ]);
    // The gateway holds version 2's blocks, imported as the republisher does.
    root2 = (await importSnapshotIncremental(snapshotFilesOf(snapshots.get(2) ?? empty), blocks)).root.toString();
    // Version 4's mirror list names that root (a build names the last published one).
    snapshots.set(4, snapshot(4, '<p>home, version 4</p>', DAY, { '/mirrors.json': JSON.stringify({ ipfs: `ipfs://${root2}` }) }));
  });

  afterAll(async () => {
    await Promise.all([a, b, c, d].map((m) => m.close()));
    await pathGateway.close();
    await new Promise<void>((resolve) => gateway.close(() => resolve()));
  });

  const v = (n: number): Map<string, Uint8Array> => snapshots.get(n) ?? new Map();
  const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

  let store: ReturnType<typeof memoryStore>;
  const reader = (opts: { at?: Date } = {}) =>
    createReader({
      publicKey: keys.publicKey,
      scope: a.url,
      store,
      verify: createSignatureVerifier().verify,
      fetch: recordingFetch,
      now: () => opts.at ?? now,
      hedgeMs: 200,
      requestTimeoutMs: 1000,
      deadlineMs: 4000,
    });

  const setAll = (n: number): void => {
    for (const m of [a, b, c, d]) m.setSnapshot(v(n));
  };

  afterEach(async () => {
    a.setFault('good');
    b.setFault('good');
    d.setFault('good');
    gatewayUp = true;
    await Promise.all([a, b, c, d].map((m) => m.start()));
    // Only the reader's address and the signed manifest's mirrors were ever asked (never the kv
    // mirror, which has no web address, nor any other host).
    const allowed = new Set([a, b, c, d].map((m) => new URL(m.url).origin).concat(new URL(gatewayUrl).origin, pathGateway.url));
    expect(fetched.filter((u) => !allowed.has(new URL(u).origin))).toEqual([]);
  });

  it('reads from the origin while it answers, and keeps the verified copy', async () => {
    store = memoryStore();
    setAll(2);
    const r = reader();
    const got = await r.read('/index.html');
    expect(got?.source).toBe('a');
    expect(text(got?.bytes)).toBe('<p>home, version 2</p>');
    expect(text(store.map.get('file:/index.html'))).toBe('<p>home, version 2</p>');
    expect((await r.manifest())?.version).toBe(2);
    // Not a file of the snapshot: left to the network.
    expect(await r.read('/_unknown.html')).toBeUndefined();
  });

  it('a block page with status 200 on the origin: C (tampered, same size) and D (an older signed manifest) are refused, B delivers', async () => {
    store = memoryStore();
    setAll(2);
    d.setSnapshot(v(1));
    const r = reader();
    expect((await r.refresh())?.version).toBe(2);
    a.setFault('blockpage');
    const got = await r.read('/index.html');
    expect(got?.source).toBe('b');
    expect(text(got?.bytes)).toBe('<p>home, version 2</p>');
    const events = r.events().join('\n');
    expect(events).toMatch(/c: .*does not match the manifest/);
    expect(events).toMatch(/d: manifest refused: RollbackError: manifest version 1 is older than version 2/);
    expect((await r.manifest())?.version).toBe(2);
  });

  it('every http mirror bad: the IPFS gateway’s raw block, verified by its CID (= the signed sha256)', async () => {
    store = memoryStore();
    setAll(2);
    const r = reader();
    await r.refresh();
    a.setFault('inject');
    b.setFault('hang');
    await d.stop();
    const path = '/2016/06/人权.html';
    const got = await r.read(path);
    expect(got?.source).toBe('gw');
    expect(text(got?.bytes)).toBe('<p>人权 human rights</p>');
    const sha = createHash('sha256')
      .update(v(2).get(path) ?? new Uint8Array())
      .digest('hex');
    expect(gatewayRequests).toContain(`/ipfs/${rawCidOf(sha)}?format=raw`);
    // Readable from a page on another origin (the worker runs on the reader's mirror).
    const direct = await fetch(`${gatewayUrl}ipfs/${rawCidOf(sha)}?format=raw`);
    expect(direct.headers.get('access-control-allow-origin')).toBe('*');
    expect(new Uint8Array(await direct.arrayBuffer())).toEqual(v(2).get(path));
  });

  it('a file larger than one block: by path under the root the verified mirrors.json names, through a path gateway', async () => {
    store = memoryStore();
    setAll(4);
    const r = reader();
    await r.refresh();
    expect((await r.read('/mirrors.json'))?.source).toBe('a');
    a.setFault('blockpage');
    b.setFault('hang');
    await d.stop();
    const got = await r.read('/media/big.bin');
    expect(got?.source).toBe('pgw');
    expect(Buffer.compare(got?.bytes ?? new Uint8Array(), big)).toBe(0);
    expect(pathGateway.requests).toContain(`/ipfs/${root2}/media/big.bin`);
  });

  it('a newer signed snapshot on the origin is taken up when its bytes do not match the held manifest', async () => {
    store = memoryStore();
    setAll(2);
    const r = reader();
    await r.refresh();
    a.setSnapshot(v(3));
    const got = await r.read('/index.html');
    expect(got?.source).toBe('a');
    expect(text(got?.bytes)).toBe('<p>home, version 3, a new post</p>');
    expect((await r.manifest())?.version).toBe(3);
  });

  it('remembers the highest version across restarts: an origin serving an older signed snapshot is refused', async () => {
    store = memoryStore();
    setAll(3);
    await reader().refresh();
    // The worker restarts (a new reader on the same store); every mirror now serves version 2.
    setAll(2);
    const r = reader();
    expect((await r.manifest())?.version).toBe(3);
    await r.refresh();
    expect((await r.manifest())?.version).toBe(3);
    expect(r.events().join('\n')).toMatch(/a: manifest version 2 is older than version 3 already accepted \(rollback\)/);
  });

  it('nothing answers: the verified copy kept earlier; a file never read is unavailable', async () => {
    store = memoryStore();
    setAll(2);
    const r = reader();
    await r.read('/index.html');
    await Promise.all([a, b, c, d].map((m) => m.stop()));
    gatewayUp = false;
    const got = await r.read('/index.html');
    expect(got, r.events().join('\n')).toMatchObject({ source: 'cache', stale: false });
    expect(text(got?.bytes)).toBe('<p>home, version 2</p>');
    await expect(r.read('/style.css')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('an expired manifest everywhere (freeze): only the kept copy, marked stale', async () => {
    store = memoryStore();
    setAll(2);
    await reader().read('/index.html');
    const later = reader({ at: new Date(now.getTime() + 2 * DAY) });
    const got = await later.read('/index.html');
    expect(got).toMatchObject({ source: 'cache', stale: true });
    expect(later.events().join('\n')).toMatch(/a: manifest version 2 expired at/);
  });
});
