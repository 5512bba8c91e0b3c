// The edge as readers, feed readers and other edges meet it, over real HTTP: a Node edge server
// on port 0 reading a snapshot folder (directory mirror) or a loopback HTTP mirror.
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeServer, type EdgeServer } from '../../src/node/edge-server.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair, writeSnapshotDir } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const files = {
  ...sampleFiles(),
  '/atom.xml': `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>${'<entry><title>a</title></entry>'.repeat(20)}</feed>`,
  '/feed.json': JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 't', items: [] }),
  '/mirrors.json': JSON.stringify({ mirrors: [{ id: 'a', url: 'https://mirror-a.example.org/' }] }),
  '/2016/06/六四.html': `<!doctype html><html lang="zh"><title>六四</title><body>${'<p>六四 27 周年</p>'.repeat(30)}</body></html>`,
};
const snap = makeSignedSnapshot(files, {
  version: 3,
  keyPair: key,
  now: new Date(),
  expiresInMs: 86_400_000,
  mirrors: [{ id: 'a', kind: 'http', url: 'https://mirror-a.example.org/', priority: 1 }],
  canonical: 'https://blog.example.org/',
});
const bytesOf = (path: string): Uint8Array => {
  const b = snap.get(path);
  if (b === undefined) throw new Error(`${path} is not in the test snapshot`);
  return b;
};

let dir: string;
let edge: EdgeServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-edge-http-'));
  await writeSnapshotDir(join(dir, 'snap'), snap);
  edge = await startEdgeServer({
    mirrors: [{ id: 'local', kind: 'directory', path: join(dir, 'snap'), priority: 1 }],
    publicKey: key.publicKey,
  });
});
afterAll(async () => {
  await edge.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** One raw HTTP exchange (node:http: no Accept-Encoding, no decoding, no redirects followed). */
function http(url: string, { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('CORS', () => {
  it('lets any origin read public snapshot files, feeds, the mirror list and the edge pages', async () => {
    for (const path of [
      '/',
      '/index.html',
      '/rss.xml',
      '/atom.xml',
      '/feed.json',
      '/mirrors.json',
      '/media/protest-1.png',
      '/no-such-page',
      '/2016/06',
      '/_ferry/health',
      '/_ferry/mirrors',
    ]) {
      const res = await http(`${edge.url}${path}`, { headers: { origin: 'https://reader.example' } });
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers['access-control-allow-origin'], path).toBe('*');
      expect(res.headers['access-control-allow-credentials'], path).toBeUndefined();
    }
    const page = await http(`${edge.url}/index.html`, { headers: { origin: 'https://reader.example' } });
    expect(page.headers['access-control-expose-headers']).toMatch(/\bETag\b.*\bLink\b/);
  });

  it('answers a preflight for public paths, and none under /_ferry/ but its public routes', async () => {
    const ask = {
      origin: 'https://reader.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'range, if-none-match',
    };
    const pre = await http(`${edge.url}/rss.xml`, { method: 'OPTIONS', headers: ask });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toContain('GET');
    expect(pre.headers['access-control-allow-headers']?.toLowerCase()).toContain('range');
    expect(pre.headers['access-control-allow-headers']?.toLowerCase()).toContain('if-none-match');
    expect(pre.body.length).toBe(0);

    for (const path of ['/_ferry/health', '/_ferry/dashboard', '/_ferry/']) {
      const res = await http(`${edge.url}${path}`, { method: 'OPTIONS', headers: ask });
      expect(res.status, path).toBe(405);
      expect(res.headers['access-control-allow-origin'], path).toBeUndefined();
    }
    // Admin routes (any /_ferry/ path but the public ones) never carry CORS headers.
    const admin = await http(`${edge.url}/_ferry/dashboard`, { headers: { origin: 'https://evil.example' } });
    expect(admin.status).toBe(404);
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    expect(admin.headers['content-security-policy']).toBeDefined();
    // Methods that change things are still refused.
    const post = await http(`${edge.url}/index.html`, { method: 'POST', headers: { origin: 'https://reader.example' } });
    expect(post.status).toBe(405);
  });

  it('still serves the signed bytes to a cross-origin reader', async () => {
    const res = await http(`${edge.url}/rss.xml`, { headers: { origin: 'https://reader.example' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(bytesOf('/rss.xml'));
  });
});

describe('old Blogger feed addresses', () => {
  const cases: [string, string][] = [
    ['/feeds/posts/default', '/atom.xml'],
    ['/feeds/posts/default/', '/atom.xml'],
    ['/feeds/posts/default?alt=rss', '/rss.xml'],
    ['/feeds/posts/default?alt=atom&max-results=25', '/atom.xml'],
    ['/feeds/posts/summary', '/atom.xml'],
    ['/feeds/posts/summary?alt=rss', '/rss.xml'],
  ];
  for (const [from, to] of cases) {
    it(`${from} -> ${to}, permanently`, async () => {
      const res = await http(`${edge.url}${from}`);
      expect(res.status).toBe(301);
      const location = res.headers.location ?? '';
      // Relative to the request, so it holds when the edge is served under a sub-path too.
      expect(location).not.toMatch(/^(https?:)?\/\//);
      const target = new URL(location, `${edge.url}${from}`);
      expect(target.pathname).toBe(to);
      expect(new URL(location, `https://proxy.example/blog${from}`).pathname).toBe(`/blog${to}`);
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const feed = await http(target.href);
      expect(feed.status).toBe(200);
      expect(feed.body).toEqual(bytesOf(to));
    });
  }
  it('a feed reader following redirects gets the signed feed', async () => {
    const res = await fetch(`${edge.url}/feeds/posts/default?alt=rss`);
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytesOf('/rss.xml'));
  });
});
