// The edge's mirror pool as readers meet it, over real HTTP: the edge on a loopback port
// (startEdgeServer), real loopback mirrors that go down, come back, tamper or plant scripts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKeyPem } from '../../src/core/manifest.ts';
import { startEdgeServer, type EdgeServer, type StartEdgeServerOptions } from '../../src/node/edge-server.ts';
import { startMirrorServer, type Fault, type MirrorServer, type MirrorServerOptions } from '../helpers/fault-mirrors.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const v2 = makeSignedSnapshot(sampleFiles(), {
  version: 2,
  keyPair: key,
  now: new Date(),
  expiresInMs: 86_400_000,
  mirrors: [],
  canonical: 'https://blog.example.org',
});
const PAGE = '/2016/06/27th-anniversary.html';

const mirrors: MirrorServer[] = [];
const edges: EdgeServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(edges.splice(0).map((e) => e.close()));
  await Promise.all(mirrors.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })));
});

async function mirror(fault: Fault = 'good', opts: MirrorServerOptions = {}): Promise<MirrorServer> {
  const s = await startMirrorServer(v2, { fault, ...opts });
  mirrors.push(s);
  return s;
}

async function edgeOver(servers: MirrorServer[], opts: Partial<StartEdgeServerOptions> = {}): Promise<EdgeServer> {
  const edge = await startEdgeServer({
    mirrors: servers.map((s, i) => ({ id: `m${i + 1}`, kind: 'http', url: s.url, priority: i + 1 })),
    publicKey: encodePublicKeyPem(key.publicKey),
    hedge: { initialMs: 30, minMs: 10, maxMs: 100 },
    timeouts: { requestMs: 300, fileDeadlineMs: 800, manifestDeadlineMs: 400, manifestGraceMs: 20 },
    ...opts,
  });
  edges.push(edge);
  return edge;
}

async function get(edge: EdgeServer, path: string): Promise<{ status: number; body: Uint8Array; headers: Headers; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${edge.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body, headers: res.headers, ms: performance.now() - t0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an edge that starts while its mirrors are down', () => {
  it('answers a quick 503 with Retry-After, then serves soon after a mirror comes up', async () => {
    const m = await mirror();
    await m.stop();
    const edge = await edgeOver([m]);

    const first = await get(edge, PAGE);
    expect(first.status).toBe(503);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(first.headers.get('retry-after'))).toBeLessThanOrEqual(10);

    // Readers keep coming for a while; the edge keeps looking, with backoff.
    for (let i = 0; i < 5; i++) {
      expect((await get(edge, PAGE)).status).toBe(503);
      await sleep(100);
    }

    await m.start();
    const upAt = performance.now();
    let served: Awaited<ReturnType<typeof get>> | undefined;
    while (performance.now() - upAt < 4000) {
      const r = await get(edge, PAGE);
      if (r.status === 200) {
        served = r;
        break;
      }
      await sleep(100);
    }
    expect(served?.body).toEqual(v2.get(PAGE));
    // Down for ~0.6 s: the backoff had grown to at most a second or two.
    expect(performance.now() - upAt).toBeLessThan(3000);
  });

  it('a dead pool does not stall readers: one lookup at a time, the others answered at once', async () => {
    const m = await mirror('hang');
    const edge = await edgeOver([m], {
      timeouts: { requestMs: 1500, fileDeadlineMs: 1500, manifestDeadlineMs: 1500, manifestGraceMs: 20 },
    });
    const lookups = () => m.requests.filter((p) => p === '/manifest.json').length;
    expect(lookups()).toBe(1); // the start-up lookup
    await sleep(300); // past the first backoff

    const readers = await Promise.all(Array.from({ length: 20 }, () => get(edge, PAGE)));
    expect(readers.every((r) => r.status === 503)).toBe(true);
    // One reader started the lookup and waited for its deadline; the others got their answer at once.
    const quick = readers.filter((r) => r.ms < 500);
    expect(quick.length).toBeGreaterThanOrEqual(19);
    expect(quick.every((r) => r.headers.get('retry-after') !== null)).toBe(true);
    expect(lookups()).toBe(2);
  });
});

interface Health {
  manifest: { version: number } | null;
  mirrors: { id: string; state: string; lastError: string | null; compromisedReason: string | null; excluded: string | null }[];
}

async function health(edge: EdgeServer): Promise<Health> {
  const res = await fetch(`${edge.url}/_ferry/health`);
  return (await res.json()) as Health;
}

describe('a size that differs from the signed manifest', () => {
  it.each([
    ['inject', /bigger than the \d+ bytes the manifest signs/],
    ['oversize', /bigger than the \d+ bytes the manifest signs/],
    ['short', /does not match the manifest/],
  ] as const)('%s: the mirror is compromised, like a wrong hash; readers get the signed bytes', async (fault, reason) => {
    const bad = await mirror(fault);
    const good = await mirror();
    // The bad mirror is always asked (and judged) before the good one: it fails fast, which asks the next at once.
    const edge = await edgeOver([bad, good], {
      hedge: { initialMs: 2000, minMs: 2000, maxMs: 2000 },
      timeouts: { requestMs: 2000, fileDeadlineMs: 5000, manifestDeadlineMs: 2000, manifestGraceMs: 20 },
    });
    for (const path of [PAGE, '/index.html', '/media/protest-1.png']) {
      const r = await get(edge, path);
      expect(r.status).toBe(200);
      expect(r.body).toEqual(v2.get(path));
    }
    const m1 = (await health(edge)).mirrors.find((m) => m.id === 'm1');
    expect(m1?.state).toBe('compromised');
    expect(m1?.compromisedReason).toMatch(reason);
  });

  it('an error page bigger than the file is an error, not evidence', async () => {
    const edge = await edgeOver([await mirror('bigerror'), await mirror()], {
      hedge: { initialMs: 2000, minMs: 2000, maxMs: 2000 },
      timeouts: { requestMs: 2000, fileDeadlineMs: 5000, manifestDeadlineMs: 2000, manifestGraceMs: 20 },
    });
    expect((await get(edge, PAGE)).status).toBe(200);
    const m1 = (await health(edge)).mirrors.find((m) => m.id === 'm1');
    expect(m1?.state).toBe('degraded');
    expect(m1?.lastError).toMatch(/HTTP 503/);
  });
});

describe('a mirror mid-publish with a bigger file than the manifest the edge holds', () => {
  it('is read again within the size its newer signed manifest gives, and adopted, not called compromised', async () => {
    const m = await mirror();
    const edge = await edgeOver([m]);
    expect((await get(edge, '/index.html')).status).toBe(200);
    const bigger = `<!doctype html><title>v3</title>${'<p>a longer post in version three</p>'.repeat(50)}`;
    const v3 = makeSignedSnapshot(
      { ...sampleFiles(), [PAGE]: bigger },
      { version: 3, keyPair: key, now: new Date(), expiresInMs: 86_400_000, mirrors: [], canonical: 'https://blog.example.org' },
    );
    expect(v3.get(PAGE)?.length).toBeGreaterThan(v2.get(PAGE)?.length ?? Infinity);
    m.setSnapshot(v3);
    const r = await get(edge, PAGE);
    expect(r.status).toBe(200);
    expect(new TextDecoder().decode(r.body)).toBe(bigger);
    const h = await health(edge);
    expect(h.manifest?.version).toBe(3);
    expect(h.mirrors[0]?.state).toBe('healthy');
  });
});

describe('a mirror caught serving bad bytes', () => {
  it('is asked last, still serves (verified) when nothing better answers, and is trusted again after 3 verified files', async () => {
    const m1 = await mirror('inject');
    const m2 = await mirror();
    const edge = await edgeOver([m1, m2], { hedge: { initialMs: 400, minMs: 400, maxMs: 500 } });
    expect((await get(edge, PAGE)).body).toEqual(v2.get(PAGE));
    expect((await health(edge)).mirrors.find((m) => m.id === 'm1')?.state).toBe('compromised');

    // Asked last: the good mirror answers, the caught one is not asked.
    const before = m1.requests.length;
    for (const path of ['/index.html', '/rss.xml']) expect((await get(edge, path)).status).toBe(200);
    expect(m1.requests.slice(before)).toEqual([]);

    // The good mirror goes down; the caught one behaves again: readers are still served, verified.
    m1.setFault('good');
    await m2.stop();
    const paths = ['/2016/06/index.html', '/media/protest-1.png', '/404.html'];
    for (const path of paths) {
      const r = await get(edge, path);
      expect(r.status, path).toBe(200);
      expect(r.body).toEqual(v2.get(path));
    }
    const m1State = (await health(edge)).mirrors.find((m) => m.id === 'm1');
    expect(m1State?.state).toBe('healthy');
    expect(m1State?.lastError).toMatch(/bigger than the \d+ bytes the manifest signs/);
  });
});

describe('exclusions (the health checker or a maintainer tells the edge not to ask a mirror)', () => {
  it('are honoured at once, kept in the edge state, followed by another edge on the same state, and lifted', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ferry-exclusions-'));
    dirs.push(dataDir);
    const m1 = await mirror();
    const m2 = await mirror();
    const a = await edgeOver([m1, m2], { dataDir, exclusionsTtlMs: 100 });
    const b = await edgeOver([m1, m2], { dataDir, exclusionsTtlMs: 100 });
    expect((await get(a, PAGE)).status).toBe(200);
    expect(m1.requests).toContain(PAGE);

    await a.edge.exclusions.exclude('m1', 'paused by a maintainer');
    const asked = (s: MirrorServer, from: number) => s.requests.slice(from).filter((p) => !p.startsWith('/manifest'));
    let from1 = m1.requests.length;
    for (const path of ['/index.html', '/rss.xml']) {
      const r = await get(a, path);
      expect(r.body).toEqual(v2.get(path));
    }
    expect(asked(m1, from1)).toEqual([]);
    expect(asked(m2, 0)).toEqual(expect.arrayContaining(['/index.html', '/rss.xml']));
    expect((await health(a)).mirrors.find((m) => m.id === 'm1')?.excluded).toBe('paused by a maintainer');
    const listed = await a.edge.exclusions.list();
    expect(listed).toEqual([{ id: 'm1', reason: 'paused by a maintainer', since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown }]);
    expect(JSON.parse(await readFile(join(dataDir, 'exclusions.json'), 'utf8'))).toMatchObject({
      m1: { reason: 'paused by a maintainer' },
    });

    // The other edge on the same state follows within its reload interval.
    await sleep(150);
    await get(b, '/404.html'); // its first slow request after the interval reads the store again
    await sleep(50);
    from1 = m1.requests.length;
    for (const path of [PAGE, '/media/protest-1.png']) expect((await get(b, path)).body).toEqual(v2.get(path));
    expect(asked(m1, from1)).toEqual([]);
    expect((await health(b)).mirrors.find((m) => m.id === 'm1')?.excluded).toBe('paused by a maintainer');

    // A restarted edge knows before its first request.
    await a.close();
    edges.splice(edges.indexOf(a), 1);
    const c = await edgeOver([m1, m2], { dataDir });
    from1 = m1.requests.length;
    expect((await get(c, '/2016/06/index.html')).status).toBe(200);
    expect(asked(m1, from1)).toEqual([]);

    // Included again: asked again, first by priority.
    await c.edge.exclusions.include('m1');
    expect(await c.edge.exclusions.list()).toEqual([]);
    from1 = m1.requests.length;
    expect((await get(c, '/rss.xml')).status).toBe(200);
    expect(asked(m1, from1)).toEqual(['/rss.xml']);
  });

  it('with every mirror excluded, a reader gets the 503 page and no mirror is asked', async () => {
    const m1 = await mirror();
    const edge = await edgeOver([m1]);
    await edge.edge.exclusions.exclude('m1', 'health checker: compromised since 2026-05-01T00:00:00Z');
    const before = m1.requests.length;
    expect((await get(edge, PAGE)).status).toBe(503);
    expect(m1.requests.slice(before).filter((p) => !p.startsWith('/manifest'))).toEqual([]);
  });
});

describe('a mirror that failed a moment ago', () => {
  it('is asked once more in the same race (after a short pause), so a reader is served when it recovers', async () => {
    let armed = false;
    const m: MirrorServer = await mirror('good', {
      onRequest: (path) => {
        if (armed && path === PAGE) {
          armed = false;
          m.setFault('good'); // this request still gets the 500; the next one the file
        }
      },
    });
    const edge = await edgeOver([m]);
    m.setFault('error500');
    armed = true;
    const r = await get(edge, PAGE);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(v2.get(PAGE));
    expect(m.requests.filter((p) => p === PAGE)).toHaveLength(2);
  });
});
