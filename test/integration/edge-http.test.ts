// The edge as readers, feed readers and other edges meet it, over real HTTP: a Node edge server
// on port 0 reading a snapshot folder (directory mirror) or a loopback HTTP mirror.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKeyPem } from '../../src/core/manifest.ts';
import { startEdgeServer, type EdgeServer } from '../../src/node/edge-server.ts';
import { buildSnapshot } from '../helpers/built-snapshot.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair, writeSnapshotDir } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const files = {
  ...sampleFiles(),
  '/atom.xml': `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>${'<entry><title>a</title></entry>'.repeat(20)}</feed>`,
  '/feed.json': JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: 't', items: [] }),
  '/mirrors.json': JSON.stringify({ mirrors: [{ id: 'a', url: 'https://mirror-a.example.org/' }] }),
  '/人权/index.html': '<!doctype html><html lang="zh"><title>人权</title><body><p>人权</p></body></html>',
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
let pubFile: string;
const extra: EdgeServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-edge-http-'));
  await writeSnapshotDir(join(dir, 'snap'), snap);
  pubFile = join(dir, 'ferry.pub');
  await writeFile(pubFile, encodePublicKeyPem(key.publicKey));
  edge = await startEdgeServer({
    mirrors: [{ id: 'local', kind: 'directory', path: join(dir, 'snap'), priority: 1 }],
    publicKey: key.publicKey,
  });
});
afterAll(async () => {
  await Promise.all(extra.map((e) => e.close()));
  await edge.close();
  await rm(dir, { recursive: true, force: true });
});

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

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

describe('the edge as a mirror', () => {
  it('serves the signed manifest and signature byte for byte, revalidated by ETag', async () => {
    for (const path of ['/manifest.json', '/manifest.json.sig']) {
      const res = await http(`${edge.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toEqual(bytesOf(path));
      expect(res.headers['cache-control'], path).toBe('no-cache');
      expect(res.headers['access-control-allow-origin'], path).toBe('*');
      const etag = res.headers.etag ?? '';
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      const again = await http(`${edge.url}${path}`, { headers: { 'if-none-match': etag } });
      expect(again.status, path).toBe(304);
    }
    expect((await http(`${edge.url}/manifest.json`)).headers['content-type']).toBe('application/json');
    // This mirror announces nothing: no manifest.next.json.
    expect((await http(`${edge.url}/manifest.next.json`)).status).toBe(404);
  });

  it('passes `ferry verify <edge URL>`', async () => {
    const run = await runCli(['verify', `${edge.url}/`, '--pubkey', pubFile]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/^OK: .*: version 3, \d+ files match the signed manifest/);
    expect(run.code).toBe(0);
  });

  it('serves the blog to an edge chained behind it (its only mirror: the first edge, kind http)', async () => {
    const second = await startEdgeServer({
      mirrors: [{ id: 'first-edge', kind: 'http', url: `${edge.url}/`, priority: 1 }],
      publicKey: key.publicKey,
    });
    extra.push(second);
    for (const path of ['/index.html', '/2016/06/27th-anniversary.html', '/media/protest-1.png', '/rss.xml', '/manifest.json']) {
      const res = await fetch(`${second.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer()), path).toEqual(bytesOf(path));
    }
    const health = (await (await fetch(`${second.url}/_ferry/health`)).json()) as { manifest: { version: number; source: string } | null };
    expect(health.manifest).toMatchObject({ version: 3, source: 'first-edge' });
    const run = await runCli(['verify', `${second.url}/`, '--pubkey', pubFile]);
    expect(run.out).toMatch(/^OK: /);
    expect(run.code).toBe(0);
  });

  it("passes on a mirror's announcement only when it is signed with the pinned key", async () => {
    const next = makeSignedSnapshot(files, {
      version: 4,
      keyPair: key,
      now: new Date(),
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://blog.example.org/',
    });
    const forged = makeSignedSnapshot(files, {
      version: 4,
      keyPair: testKeyPair(2),
      now: new Date(),
      expiresInMs: 86_400_000,
      mirrors: [],
      canonical: 'https://blog.example.org/',
    });
    const announce = async (name: string, from: ReadonlyMap<string, Uint8Array>): Promise<EdgeServer> => {
      const folder = join(dir, name);
      const copy = new Map(snap);
      copy.set('/manifest.next.json', from.get('/manifest.json') ?? new Uint8Array());
      copy.set('/manifest.next.json.sig', from.get('/manifest.json.sig') ?? new Uint8Array());
      await writeSnapshotDir(folder, copy);
      const e = await startEdgeServer({ mirrors: [{ id: name, kind: 'directory', path: folder, priority: 1 }], publicKey: key.publicKey });
      extra.push(e);
      return e;
    };
    const honest = await announce('announcing', next);
    const m = await http(`${honest.url}/manifest.next.json`);
    expect(m.status).toBe(200);
    expect(m.body).toEqual(next.get('/manifest.json'));
    expect((await http(`${honest.url}/manifest.next.json.sig`)).body).toEqual(next.get('/manifest.json.sig'));
    // The current manifest is still version 3.
    expect((await http(`${honest.url}/manifest.json`)).body).toEqual(bytesOf('/manifest.json'));

    const forger = await announce('forging', forged);
    expect((await http(`${forger.url}/manifest.next.json`)).status).toBe(404);
    expect((await http(`${forger.url}/manifest.next.json.sig`)).status).toBe(404);
  });
});

describe('headers', () => {
  const SECURITY = ['content-security-policy', 'referrer-policy', 'x-content-type-options'];

  it('serves a Chinese path (percent-encoded on the wire) with a valid, encoded canonical Link', async () => {
    const res = await http(`${edge.url}/2016/06/${encodeURIComponent('六四')}.html`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(bytesOf('/2016/06/六四.html'));
    expect(res.headers.link).toBe('<https://blog.example.org/2016/06/%E5%85%AD%E5%9B%9B.html>; rel="canonical"');
  });

  it('redirects a folder without its slash, with the security headers and an encoded Location', async () => {
    for (const [from, to] of [
      ['/2016/06', '/2016/06/'],
      [`/${encodeURIComponent('人权')}`, '/%E4%BA%BA%E6%9D%83/'],
    ] as const) {
      const res = await http(`${edge.url}${from}`);
      expect(res.status, from).toBe(301);
      expect(res.headers.location, from).toBe(to);
      for (const h of SECURITY) expect(res.headers[h], `${from} ${h}`).toBeDefined();
      const page = await http(new URL(res.headers.location ?? '', edge.url).href);
      expect(page.status, to).toBe(200);
    }
  });

  it('names no canonical URL on the 404 page, and the directory form for /', async () => {
    const missing = await http(`${edge.url}/no-such-page.html`);
    expect(missing.status).toBe(404);
    expect(text(missing.body)).toContain('snapshot 404 page');
    expect(missing.headers.link).toBeUndefined();
    expect(missing.headers['onion-location']).toBeUndefined();
    for (const h of SECURITY) expect(missing.headers[h], h).toBeDefined();
    for (const path of ['/', '/index.html']) {
      expect((await http(`${edge.url}${path}`)).headers.link, path).toBe('<https://blog.example.org/>; rel="canonical"');
    }
    expect((await http(`${edge.url}/2016/06/`)).headers.link).toBe('<https://blog.example.org/2016/06/>; rel="canonical"');
  });
});

describe('a snapshot built by `ferry build`, through the edge', () => {
  let site: EdgeServer;
  let out: string;
  beforeAll(async () => {
    const built = await buildSnapshot(join(dir, 'built'), {
      posts: { 'rights.md': '---\ntitle: 人权\ndate: 2017-01-02T08:00:00Z\nlang: zh\ntags: [人权, news]\n---\n人权 human rights.\n' },
    });
    out = built.out;
    site = await startEdgeServer({
      mirrors: [{ id: 'built', kind: 'directory', path: built.out, priority: 1 }],
      publicKey: await readFile(built.pubFile, 'utf8'),
    });
    extra.push(site);
  }, 60_000);

  it("gives every page a Link header naming the page's own rel=canonical", async () => {
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { files: Record<string, unknown> };
    const pages = Object.keys(manifest.files).filter((p) => p.endsWith('.html'));
    let compared = 0;
    for (const path of pages) {
      // The 404 page stands for any missing address.
      const asked = path === '/404.html' ? '/no/such/page' : path.replace(/(^|\/)index\.html$/, '$1');
      const res = await http(`${site.url}${asked.split('/').map(encodeURIComponent).join('/')}`);
      const html = text(res.body);
      const canonical = /<link rel="canonical" href="([^"]*)">/.exec(html)?.[1]?.replaceAll('&amp;', '&');
      if (path === '/404.html') {
        expect(res.status).toBe(404);
        expect(res.headers.link).toBeUndefined();
        continue;
      }
      expect(res.status, path).toBe(200);
      if (canonical === undefined) continue;
      expect(res.headers.link, path).toBe(`<${canonical}>; rel="canonical"`);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(5);
    expect(pages.some((p) => /[^\x00-\x7f]/.test(p))).toBe(true);
  });
});

describe('Range requests', () => {
  const png = (): Uint8Array => bytesOf('/media/protest-1.png');
  const ALL = { 'accept-encoding': 'gzip, br' };

  it('answers one range with 206 and Content-Range, over the identity bytes whatever the encodings', async () => {
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      ['bytes=2000-', 2000, 2047],
      ['bytes=-48', 2000, 2047],
      ['bytes=100-100000', 100, 2047],
    ] as const) {
      const res = await http(`${edge.url}/media/protest-1.png`, { headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/2048`);
      expect(res.headers['content-length'], range).toBe(String(end - start + 1));
      expect(res.body, range).toEqual(png().subarray(start, end + 1));
    }
    const page = bytesOf('/index.html');
    const res = await http(`${edge.url}/index.html`, { headers: { ...ALL, range: 'bytes=10-59' } });
    expect(res.status).toBe(206);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-range']).toBe(`bytes 10-59/${page.length}`);
    expect(res.body).toEqual(page.subarray(10, 60));
    expect(res.headers['content-security-policy']).toBeDefined();
    expect((await http(`${edge.url}/index.html`)).headers['accept-ranges']).toBe('bytes');
  });

  it('answers 416 for a range past the end, and the whole file for several ranges', async () => {
    const past = await http(`${edge.url}/media/protest-1.png`, { headers: { range: 'bytes=4096-' } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */2048');
    expect(past.body.length).toBe(0);
    const many = await http(`${edge.url}/media/protest-1.png`, { headers: { range: 'bytes=0-1,5-6' } });
    expect(many.status).toBe(200);
    expect(many.body).toEqual(png());
  });

  it('honours If-Range (same ETag: the range; other bytes: the whole file) and If-None-Match first', async () => {
    const etag = (await http(`${edge.url}/media/protest-1.png`)).headers.etag ?? '';
    const same = await http(`${edge.url}/media/protest-1.png`, { headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(same.status).toBe(206);
    const changed = await http(`${edge.url}/media/protest-1.png`, { headers: { range: 'bytes=0-9', 'if-range': '"0000"' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual(png());
    const cached = await http(`${edge.url}/media/protest-1.png`, { headers: { range: 'bytes=0-9', 'if-none-match': etag } });
    expect(cached.status).toBe(304);
  });

  it('applies to the 404 page never: a missing path stays 404', async () => {
    const res = await http(`${edge.url}/nothing-here.png`, { headers: { range: 'bytes=0-9' } });
    expect(res.status).toBe(404);
    expect(res.headers['content-range']).toBeUndefined();
  });
});

describe("Node's direct path for cached files", () => {
  /** What a reader sees of an answer, minus what the HTTP server adds on its own. */
  const seen = (status: number, headers: Record<string, string | string[] | undefined>, body: Uint8Array) => ({
    status,
    headers: Object.fromEntries(
      Object.entries(headers)
        .filter(([k]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k))
        .map(([k, v]) => [k, String(v)])
        .sort(([a], [b]) => (a ?? '').localeCompare(b ?? '')),
    ),
    body: Buffer.from(body).toString('base64'),
  });

  it('answers exactly as the Hono app does, for every kind of request', async () => {
    const asks: { path: string; method?: string; headers?: Record<string, string> }[] = [
      { path: '/index.html' },
      { path: '/index.html', headers: { 'accept-encoding': 'gzip, deflate, br' } },
      { path: '/index.html', headers: { 'accept-encoding': 'gzip' } },
      { path: '/', headers: { 'accept-encoding': 'br;q=0, gzip' } },
      { path: '/2016/06/', method: 'HEAD' },
      { path: '/rss.xml', headers: { 'if-none-match': `"${'0'.repeat(64)}"` } },
      { path: '/media/protest-1.png', headers: { range: 'bytes=5-9' } },
      { path: '/media/protest-1.png', headers: { range: 'bytes=9999-' } },
      { path: '/index.html?utm=1' },
    ];
    const etag = (await http(`${edge.url}/rss.xml`)).headers.etag ?? '';
    asks.push({ path: '/rss.xml', headers: { 'if-none-match': etag } });
    for (const ask of asks) {
      // Twice over HTTP: the second is surely served from the prepared answer.
      await http(`${edge.url}${ask.path}`, ask);
      const direct = await http(`${edge.url}${ask.path}`, ask);
      const viaHono = await edge.edge.app.request(ask.path, { method: ask.method ?? 'GET', headers: ask.headers ?? {} });
      const honoBody = new Uint8Array(await viaHono.arrayBuffer());
      const honoHeaders = Object.fromEntries(viaHono.headers.entries());
      const label = `${ask.method ?? 'GET'} ${ask.path} ${JSON.stringify(ask.headers ?? {})}`;
      expect(seen(direct.status, direct.headers, direct.body), label).toEqual(
        seen(viaHono.status, honoHeaders, ask.method === 'HEAD' ? new Uint8Array() : honoBody),
      );
    }
  });
});
