// The edge inside workerd: the Worker entry serving a snapshot from a KV mirror, and the edge app
// with an http mirror whose fetch is a Web-standard function (the Worker cannot reach the Node test
// process's loopback servers, so the mirror's answers are produced in-isolate).
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createKvEdgeState } from '../../src/adapters/edge-state/kv-edge-state.ts';
import { createHttpMirror } from '../../src/adapters/mirrors/http-mirror.ts';
import { createKvMirror } from '../../src/adapters/mirrors/kv-mirror.ts';
import { createLimitedFetch } from '../../src/adapters/web/limited-fetch.ts';
import { createEdge } from '../../src/edge/app.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/edge/content-headers.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const now = new Date();
const snap = (version: number, over: Record<string, string> = {}) =>
  makeSignedSnapshot(
    { ...sampleFiles(), ...over },
    {
      version,
      keyPair: key,
      now,
      expiresInMs: 86_400_000,
      mirrors: [{ id: 'a', kind: 'http', url: 'https://a.example.org/', priority: 1 }],
      canonical: 'https://blog.example.org',
    },
  );
const decode = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

async function putSnapshot(prefix: string, map: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of map) await env.FERRY_KV.put(`${prefix}${path}`, bytes.slice().buffer);
}

/** A fetch that answers like a static host from a map, optionally changing some bodies. */
function hostFetch(
  map: () => ReadonlyMap<string, Uint8Array>,
  tamper?: (path: string, body: Uint8Array) => Uint8Array | undefined,
): typeof fetch {
  return async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = map().get(url.pathname);
    if (body === undefined) return new Response('not found', { status: 404 });
    const out = tamper?.(url.pathname, body) ?? body;
    return new Response(out.slice(), { status: 200 });
  };
}

describe('Worker entry (wrangler.toml, KV mirror)', () => {
  it('serves verified pages from the KV mirror and reports /_ferry/health', async () => {
    const v1 = snap(1);
    await putSnapshot('snapshot', v1);
    const res = await exports.default.fetch(new Request('https://blog.example.org/2016/06/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(decode(v1.get('/2016/06/index.html')));
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}/);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);

    const health = await exports.default.fetch(new Request('https://blog.example.org/_ferry/health'));
    const body: unknown = await health.json();
    expect(body).toMatchObject({
      manifest: { version: 1, expired: false },
      mirrors: [{ id: 'kv', kind: 'kv', state: 'healthy' }],
    });
  });

  it('is a mirror itself (manifest and signature byte for byte), with CORS, a preflight, ranges and the old feed addresses', async () => {
    const v1 = snap(1);
    await putSnapshot('snapshot', v1);
    const get = (path: string, init: RequestInit = {}) => exports.default.fetch(new Request(`https://blog.example.org${path}`, init));
    for (const path of ['/manifest.json', '/manifest.json.sig']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer()), path).toEqual(v1.get(path));
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
    }
    const pre = await get('/rss.xml', {
      method: 'OPTIONS',
      headers: { origin: 'https://r.example', 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const png = v1.get('/media/protest-1.png') ?? new Uint8Array();
    const part = await get('/media/protest-1.png', { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${png.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(png.subarray(10, 20));
    const feed = await get('/feeds/posts/default?alt=rss', { redirect: 'manual' });
    expect(feed.status).toBe(301);
    expect(new URL(feed.headers.get('location') ?? '', 'https://blog.example.org/feeds/posts/default').pathname).toBe('/rss.xml');
    const admin = await get('/_ferry/anything', { headers: { origin: 'https://r.example' } });
    expect(admin.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('never serves tampered KV bytes', async () => {
    const v1 = snap(1);
    await putSnapshot('snapshot', v1);
    await env.FERRY_KV.put('snapshot/rss.xml', '<rss><script>evil()</script></rss>');
    const res = await exports.default.fetch(new Request('https://blog.example.org/rss.xml'));
    const text = await res.text();
    expect(text).not.toContain('evil()');
    expect(res.status).toBe(503);
    expect(text).toContain('Temporarily unavailable');
  });
});

describe('edge app in workerd', () => {
  it('a tampering http mirror (same size, other bytes) is compromised; the next one serves; gzip via CompressionStream', async () => {
    const v1 = snap(1);
    const fetchBad = createLimitedFetch({
      fetch: hostFetch(
        () => v1,
        (path, body) => (path.endsWith('.html') ? new TextEncoder().encode(decode(body).replace('<h1>', '<h2>')) : undefined),
      ),
    });
    const fetchGood = createLimitedFetch({ fetch: hostFetch(() => v1) });
    const edge = createEdge({
      mirrors: [
        createHttpMirror({ id: 'bad', kind: 'http', url: 'https://bad.example/', priority: 1 }, { fetch: fetchBad }),
        createHttpMirror({ id: 'good', kind: 'http', url: 'https://good.example/', priority: 2 }, { fetch: fetchGood }),
      ],
      publicKey: key.publicKey,
    });
    const res = await edge.app.request('/', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const html = await new Response(res.body?.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(html).toBe(decode(v1.get('/index.html')));
    const status = edge.pool.status();
    expect(
      status.find((m) => m.id === 'bad'),
      JSON.stringify(status),
    ).toMatchObject({ state: 'compromised' });
    expect(status.find((m) => m.id === 'good')?.state).toBe('healthy');
  });

  it('serves the last verified copy from KV state, marked stale, when no mirror can deliver', async () => {
    const v1 = snap(1, { '/index.html': '<p>one</p>' });
    await putSnapshot('m', v1);
    const kvMirror = createKvMirror({ id: 'kv', kind: 'kv', prefix: 'm', priority: 1 }, { kv: env.FERRY_KV });
    const store = createKvEdgeState(env.FERRY_KV, 'state-test/');
    const first = createEdge({ mirrors: [kvMirror], publicKey: key.publicKey, store, manifestTtlMs: 0 });
    expect(await (await first.app.request('/')).text()).toBe('<p>one</p>');
    await new Promise((r) => setTimeout(r, 50));

    // Version 2 is published, but its index.html never arrives (the mirror lost it).
    const v2 = snap(2, { '/index.html': '<p>two</p>' });
    await putSnapshot('m', new Map([...v2].filter(([p]) => p !== '/index.html')));
    await env.FERRY_KV.delete('m/index.html');
    const second = createEdge({ mirrors: [kvMirror], publicKey: key.publicKey, store, manifestTtlMs: 0 });
    await second.reader.ensure();
    await second.reader.refresh();
    const res = await second.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ferry-stale')).toBe('1');
    expect(await res.text()).toBe('<p>one</p>');
    const health: unknown = await (await second.app.request('/_ferry/health')).json();
    expect(health).toMatchObject({ manifest: { version: 2 } });
  });

  it('exclusions are kept in KV: every isolate on it stops asking the mirror, and asks it again once included', async () => {
    const v1 = snap(1);
    const asked: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      asked.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return hostFetch(() => v1)(input, init);
    };
    const mirrors = () => [
      createHttpMirror(
        { id: 'paused', kind: 'http', url: 'https://paused.example/', priority: 1 },
        { fetch: createLimitedFetch({ fetch: counting }) },
      ),
      createHttpMirror(
        { id: 'good', kind: 'http', url: 'https://good.example/', priority: 2 },
        { fetch: createLimitedFetch({ fetch: hostFetch(() => v1) }) },
      ),
    ];
    const store = createKvEdgeState(env.FERRY_KV, 'exclusions-test/');
    const files = (): string[] => asked.filter((p) => !p.startsWith('/manifest'));
    // An isolate that is already running, reading exclusions again on every slow request.
    const running = createEdge({ mirrors: mirrors(), publicKey: key.publicKey, store, exclusionsTtlMs: 0 });
    expect((await running.app.request('/')).status).toBe(200);
    expect(files()).toEqual(['/index.html']);

    const first = createEdge({ mirrors: mirrors(), publicKey: key.publicKey, store });
    await first.exclusions.exclude('paused', 'paused by a maintainer');
    expect(await env.FERRY_KV.get('exclusions-test/exclusions.json', 'json')).toMatchObject({
      paused: { reason: 'paused by a maintainer' },
    });

    // A new isolate knows before its first request; the running one at its next slow request.
    const second = createEdge({ mirrors: mirrors(), publicKey: key.publicKey, store });
    const health: unknown = await (await second.app.request('/_ferry/health')).json();
    expect(health).toMatchObject({
      mirrors: [
        { id: 'paused', excluded: 'paused by a maintainer' },
        { id: 'good', excluded: null },
      ],
    });
    asked.length = 0;
    expect((await second.app.request('/2016/06/')).status).toBe(200);
    await running.app.request('/no/such/page'); // starts reading the store again (in the background)
    await new Promise((r) => setTimeout(r, 50));
    asked.length = 0;
    expect((await running.app.request('/rss.xml')).status).toBe(200);
    expect(files()).toEqual([]);

    // Included again: asked again, by every isolate.
    await second.exclusions.include('paused');
    const third = createEdge({ mirrors: mirrors(), publicKey: key.publicKey, store });
    expect((await third.app.request('/media/protest-1.png')).status).toBe(200);
    expect(files()).toEqual(['/media/protest-1.png']);
    expect(await third.exclusions.list()).toEqual([]);
  });
});
