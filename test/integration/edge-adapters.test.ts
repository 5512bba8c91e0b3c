// One contract, every mirror adapter: found bytes, missing paths, the size limit, cancellation.
// Plus the mirrors file validator and `ferry edge` / startEdgeServer end to end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKeyPem } from '../../src/core/manifest.ts';
import { MirrorsConfigError, parseMirrorsConfig } from '../../src/core/mirrors-config.ts';
import { createDirectoryMirror } from '../../src/adapters/mirrors/directory-mirror.ts';
import { createHttpMirror } from '../../src/adapters/mirrors/http-mirror.ts';
import { createIpfsGatewayMirror } from '../../src/adapters/mirrors/ipfs-gateway-mirror.ts';
import { createKvMirror } from '../../src/adapters/mirrors/kv-mirror.ts';
import { createLimitedFetch } from '../../src/adapters/web/limited-fetch.ts';
import { startEdgeServer } from '../../src/node/edge-server.ts';
import { MirrorError, type Mirror } from '../../src/ports/mirror.ts';
import { startMirrorServer, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair, writeSnapshotDir } from '../helpers/signed-snapshot.ts';
import { runChild, startChild } from '../helpers/child-process.ts';

const key = testKeyPair(1);
const snap = makeSignedSnapshot(sampleFiles(), {
  version: 1,
  keyPair: key,
  now: new Date(),
  expiresInMs: 86_400_000,
  mirrors: [],
  canonical: 'https://blog.example.org',
});
const CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';
let dir: string;
let http: MirrorServer;
let gateway: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-edge-'));
  await writeSnapshotDir(join(dir, 'snap'), snap);
  http = await startMirrorServer(snap);
  const server = createServer((req, res) => {
    const m = /^\/ipfs\/([^/]+)(\/.*)$/.exec(req.url ?? '');
    const body = m && m[1] === CID ? snap.get(m[2] ?? '') : undefined;
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  gateway = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
});

afterAll(async () => {
  await http.close();
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

const fetch = createLimitedFetch();
const kvStore = (): { get: (key: string, type: 'stream') => Promise<ReadableStream<Uint8Array> | null> } => ({
  get: async (k) => {
    const body = k.startsWith('snap/') ? snap.get(k.slice(4)) : undefined;
    return body === undefined ? null : new Blob([body.slice()]).stream();
  },
});
const adapters: Record<string, () => Mirror> = {
  http: () => createHttpMirror({ id: 'h', kind: 'http', url: http.url, priority: 1 }, { fetch }),
  directory: () => createDirectoryMirror({ id: 'd', kind: 'directory', path: 'snap', priority: 1 }, { baseDir: dir }),
  'ipfs-gateway': () => createIpfsGatewayMirror({ id: 'i', kind: 'ipfs-gateway', url: gateway.url, cid: CID, priority: 1 }, { fetch }),
  kv: () => createKvMirror({ id: 'k', kind: 'kv', prefix: 'snap', priority: 1 }, { kv: kvStore() }),
};

describe.each(Object.keys(adapters))('mirror adapter %s', (kind) => {
  const mirror = (): Mirror => {
    const make = adapters[kind];
    if (make === undefined) throw new Error(kind);
    return make();
  };
  it('returns the bytes of a path', async () => {
    const res = await mirror().get('/media/protest-1.png', { maxBytes: 1e6, timeoutMs: 1000 });
    expect(res).toEqual({ found: true, body: snap.get('/media/protest-1.png') });
  });
  it('says a path is missing', async () => {
    expect(await mirror().get('/nope.html', { maxBytes: 1e6, timeoutMs: 1000 })).toEqual({ found: false });
  });
  it('refuses a body over the limit', async () => {
    const size = snap.get('/index.html')?.length ?? 0;
    await expect(mirror().get('/index.html', { maxBytes: size - 1, timeoutMs: 1000 })).rejects.toMatchObject({
      problem: 'too-large',
    });
  });
  it('stops when cancelled', async () => {
    const c = new AbortController();
    c.abort();
    await expect(mirror().get('/index.html', { maxBytes: 1e6, timeoutMs: 1000, signal: c.signal })).rejects.toBeInstanceOf(MirrorError);
  });
});

describe('mirrors file', () => {
  const kinds = ['http', 'directory', 'ipfs-gateway'];
  it('accepts the documented shape', () => {
    const text = '{"mirrors":[{"id":"a","kind":"http","url":"http://127.0.0.1:1234/","priority":1}]}';
    expect(parseMirrorsConfig(text, 'mirrors.json', kinds)).toEqual([
      { id: 'a', kind: 'http', url: 'http://127.0.0.1:1234/', priority: 1 },
    ]);
  });
  it.each([
    ['{"mirrors":[{"id":"a","kind":"http","url":"ftp://x/"}]}', "mirrors.json: mirror 'a': url must be http(s)"],
    [
      '{"mirrors":[{"id":"a","kind":"s3","url":"https://x/"}]}',
      "mirrors.json: mirror 'a': kind must be one of http, directory, ipfs-gateway",
    ],
    ['{"mirrors":[{"id":"a","kind":"http"}]}', "mirrors.json: mirror 'a': kind 'http' needs url"],
    ['{"mirrors":[{"id":"a","kind":"http","url":"https://x/","priority":"1"}]}', "mirror 'a': priority must be a number"],
    [
      '{"mirrors":[{"id":"a","kind":"http","url":"https://x/"},{"id":"a","kind":"http","url":"https://y/"}]}',
      "mirror 'a': id is used twice",
    ],
    ['{"mirrors":[{"kind":"http","url":"https://x/"}]}', 'mirrors.json: mirrors[0]: id must be'],
    ['[]', 'expected an object {"mirrors":[...]}'],
    ['{', 'not valid JSON'],
  ])('%s -> %s', (text, message) => {
    expect(() => parseMirrorsConfig(text, 'mirrors.json', kinds)).toThrow(MirrorsConfigError);
    expect(() => parseMirrorsConfig(text, 'mirrors.json', kinds)).toThrow(message);
  });
});

describe('Node runtime', () => {
  it('startEdgeServer serves a directory mirror over HTTP with brotli', async () => {
    const server = await startEdgeServer({
      mirrors: [{ id: 'local', kind: 'directory', path: join(dir, 'snap'), priority: 1 }],
      publicKey: encodePublicKeyPem(key.publicKey),
      dataDir: join(dir, 'state'),
    });
    try {
      const res = await globalThis.fetch(`${server.url}/rss.xml`, { headers: { 'accept-encoding': 'br' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe('br');
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(snap.get('/rss.xml'));
    } finally {
      await server.close();
    }
  });

  it('`ferry edge` prints its address and serves through the mirrors file', async () => {
    await writeFile(join(dir, 'edge.json'), JSON.stringify({ mirrors: [{ id: 'a', kind: 'http', url: http.url, priority: 1 }] }));
    await writeFile(join(dir, 'pub.pem'), encodePublicKeyPem(key.publicKey));
    const edge = startChild(
      process.execPath,
      ['bin/ferry.js', 'edge', '--mirrors', join(dir, 'edge.json'), '--pubkey', join(dir, 'pub.pem'), '--port', '0'],
      { timeoutMs: 30_000, env: { ...process.env, XDG_STATE_HOME: join(dir, 'xdg-state') } },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        edge.child.stdout?.on('data', () => {
          const m = /Ferry edge listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(edge.stdout());
          if (m?.[1]) resolve(m[1]);
        });
        void edge.exited.then(({ code }) => reject(new Error(`exited ${code}: ${edge.stdout()}${edge.stderr()}`)));
      });
      const res = await globalThis.fetch(`${url}/2016/06/27th-anniversary.html`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(snap.get('/2016/06/27th-anniversary.html'));
    } finally {
      await edge.stop('SIGTERM');
    }
  });

  it('`ferry edge` names the file, mirror and field of a bad mirrors file', async () => {
    await writeFile(join(dir, 'bad.json'), '{"mirrors":[{"id":"a","kind":"http","url":"file:///etc/"}]}');
    await writeFile(join(dir, 'pub.pem'), encodePublicKeyPem(key.publicKey));
    const run = await runChild(
      process.execPath,
      ['bin/ferry.js', 'edge', '--mirrors', join(dir, 'bad.json'), '--pubkey', join(dir, 'pub.pem')],
      {
        timeoutMs: 30_000,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("bad.json: mirror 'a': url must be http(s)");
  });
});
