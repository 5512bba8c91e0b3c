// The Worker as a vantage point, in workerd: its cron probes each mirror with the fetch-only
// prober and keeps the results in KV; the checker reads them from /_ferry/health/worker. Mirrors
// that answer are produced in-isolate (the Worker cannot reach the Node test process's loopback
// servers); a down mirror is a real refused connection to 127.0.0.1.
import { env } from 'cloudflare:workers';
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import worker from '../../src/worker/index.ts';
import { chooseSample, createFetchProber } from '../../src/adapters/probes/fetch-prober.ts';
import { createHttpCall } from '../../src/adapters/web/http-call.ts';
import { createKvEdgeState } from '../../src/adapters/edge-state/kv-edge-state.ts';
import { parseManifest } from '../../src/core/manifest.ts';
import { parseProbeResult } from '../../src/core/health/health-codec.ts';
import type { ProbeResult } from '../../src/core/health/observation.ts';
import {
  WORKER_HEALTH_KEEP,
  WORKER_HEALTH_PREFIX,
  WORKER_HEALTH_RUN_KEY,
  readWorkerHealth,
  runHealthCron,
  workerHealthResponse,
} from '../../src/worker/health-cron.ts';
import { makeSignedSnapshot, sampleFiles, testKeyPair } from '../helpers/signed-snapshot.ts';

const key = testKeyPair(1);
const otherKey = testKeyPair(7);
const NOW = new Date();
const snap = (version: number, opts: { keyPair?: typeof key; created?: Date; expiresInMs?: number } = {}) =>
  makeSignedSnapshot(sampleFiles(), {
    version,
    keyPair: opts.keyPair ?? key,
    now: opts.created ?? NOW,
    expiresInMs: opts.expiresInMs ?? 86_400_000,
    mirrors: [{ id: 'good', kind: 'http', url: 'https://good.example/', priority: 1 }],
    canonical: 'https://blog.example.org',
  });
const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

type Host = (path: string, signal: AbortSignal | undefined) => Promise<Response> | Response;

/** A static host from a snapshot map (404 for anything else), optionally changing bodies. */
function staticHost(files: ReadonlyMap<string, Uint8Array>, tamper?: (path: string, body: Uint8Array) => Uint8Array | undefined): Host {
  return (path) => {
    const name = path.endsWith('/') ? `${path}index.html` : path;
    const body = files.get(name);
    if (body === undefined) return new Response('not found', { status: 404 });
    return new Response((tamper?.(name, body) ?? body).slice(), { status: 200 });
  };
}

/** Routes the in-isolate hosts by host name; anything else goes to the real fetch (a real refused connection). */
function routedFetch(hosts: Record<string, Host>): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const host = hosts[url.host];
    if (host === undefined) return fetch(input, init);
    return host(url.pathname, init?.signal ?? undefined);
  };
}

const hanging: Host = (_path, signal) =>
  new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')));
  });

const v1 = snap(1);
const HOSTS: Record<string, Host> = {
  'good.example': staticHost(v1),
  // An injected script in every page (sizes differ), and one with the same size but other bytes.
  'bad.example': staticHost(v1, (p, b) =>
    p.endsWith('.html') ? encode(decode(b).replace('</body>', '<script src="https://evil.example/x.js"></script></body>')) : undefined,
  ),
  'swap.example': staticHost(v1, (p, b) => (p === '/index.html' ? encode(decode(b).replace('<h1>', '<h2>')) : undefined)),
  'forged.example': staticHost(snap(1, { keyPair: otherKey })),
  'stale.example': staticHost(snap(1, { created: new Date(NOW.getTime() - 3 * 86_400_000), expiresInMs: 86_400_000 })),
  'error.example': () => new Response('oops', { status: 500 }),
  'slowpoke.example': hanging,
  // Moved to another host (every path), which serves the signed snapshot.
  'moved.example': (path) => new Response(null, { status: 301, headers: { location: `https://good.example${path}` } }),
  'loop.example': (path) => new Response(null, { status: 302, headers: { location: `https://loop.example${path}` } }),
};

const mirrors = (list: { id: string; url?: string; kind?: string }[]): string =>
  JSON.stringify({ mirrors: list.map((m, i) => ({ kind: 'http', priority: i + 1, ...m })) });

async function stored(id: string): Promise<ProbeResult[]> {
  const text = await env.FERRY_KV.get(`${WORKER_HEALTH_PREFIX}${id}`, 'text');
  const raw: unknown = JSON.parse(text ?? '{"results":[]}');
  const results = (raw as { results: unknown[] }).results;
  return results.map((r, i) => parseProbeResult(r, `${id}[${i}]`));
}

beforeEach(async () => {
  const list = await env.FERRY_KV.list({ prefix: 'health/' });
  for (const k of list.keys) await env.FERRY_KV.delete(k.name);
  await env.FERRY_KV.delete('ferry-state/manifest.json');
  await env.FERRY_KV.delete('ferry-state/manifest.json.sig');
});

describe('Worker health cron', () => {
  it('good is healthy, tampered is compromised, down is unreachable; results in KV; a kv mirror is skipped', async () => {
    const run = await runHealthCron(
      {
        ...env,
        FERRY_MIRRORS: mirrors([
          { id: 'good', url: 'https://good.example/' },
          { id: 'bad', url: 'https://bad.example/' },
          { id: 'swap', url: 'https://swap.example/' },
          { id: 'down', url: 'http://127.0.0.1:9/' },
          { id: 'kv', kind: 'kv' },
        ]),
      },
      { http: createHttpCall({ fetch: routedFetch(HOSTS) }), timeoutMs: 5000 },
    );
    expect(run.probed).toEqual(['good', 'bad', 'swap', 'down']);
    expect(run.skipped).toEqual(['kv']);

    const [good] = await stored('good');
    expect(good?.vantage).toEqual({ id: 'worker', kind: 'worker' });
    expect(good?.verdict).toBe('healthy');
    expect(good?.manifestVersion).toBe(1);
    expect(good?.evidence.map((e) => e.code)).toEqual(['http-ok', 'integrity-ok']);

    const [bad] = await stored('bad');
    expect(bad?.verdict).toBe('compromised');
    const mismatch = bad?.evidence.find((e) => e.code === 'integrity-mismatch');
    expect(mismatch).toMatchObject({ layer: 'integrity', points: 'compromised', confirmed: true, facts: { path: '/index.html' } });
    expect(mismatch?.message).toContain('bad: /index.html does not match the manifest');

    const [swap] = await stored('swap');
    expect(swap?.verdict).toBe('compromised');
    expect(swap?.evidence.find((e) => e.code === 'integrity-mismatch')?.facts).toMatchObject({
      path: '/index.html',
      actualSize: v1.get('/index.html')?.length,
    });

    const [down] = await stored('down');
    expect(down?.verdict).toBe('unreachable');
    expect(down?.evidence[0]).toMatchObject({ layer: 'http', code: 'http-unreachable', points: 'unreachable' });
    expect(await env.FERRY_KV.get(`${WORKER_HEALTH_PREFIX}kv`)).toBeNull();
    expect(JSON.parse((await env.FERRY_KV.get(WORKER_HEALTH_RUN_KEY)) ?? '{}')).toMatchObject({
      probed: ['good', 'bad', 'swap', 'down'],
      skipped: ['kv'],
    });
  });

  it.each<[string, string, string, string]>([
    ['a manifest signed by another key', 'forged.example', 'integrity-signature', 'compromised'],
    ['an expired manifest', 'stale.example', 'integrity-expired', 'compromised'],
    ['HTTP 500', 'error.example', 'http-status', 'unreachable'],
    ['no answer before the deadline', 'slowpoke.example', 'http-timeout', 'unreachable'],
    ['a redirect to another host (which serves verified bytes)', 'moved.example', 'http-redirect-offsite', 'degraded'],
    ['a redirect loop', 'loop.example', 'http-redirect', 'unreachable'],
  ])('%s: %s', async (_name, host, code, verdict) => {
    await runHealthCron(
      { ...env, FERRY_MIRRORS: mirrors([{ id: 'm', url: `https://${host}/` }]) },
      { http: createHttpCall({ fetch: routedFetch(HOSTS) }), timeoutMs: 300 },
    );
    const [r] = await stored('m');
    expect(r?.verdict).toBe(verdict);
    expect(r?.evidence.map((e) => e.code)).toContain(code);
  });

  it('an older manifest than the edge accepted is a rollback, once the new one is an hour old', async () => {
    const store = createKvEdgeState(env.FERRY_KV);
    const serve = async (created: Date): Promise<ProbeResult | undefined> => {
      const v2 = snap(2, { created });
      await store.saveManifest({ manifest: v2.get('/manifest.json') ?? new Uint8Array(), signature: decode(v2.get('/manifest.json.sig')) });
      await runHealthCron(
        { ...env, FERRY_MIRRORS: mirrors([{ id: 'old', url: 'https://good.example/' }]) },
        { http: createHttpCall({ fetch: routedFetch(HOSTS) }) },
      );
      return (await stored('old'))[0];
    };
    const justPublished = await serve(new Date(NOW.getTime() - 60_000));
    expect(justPublished?.verdict).toBe('healthy'); // still catching up
    const longAgo = await serve(new Date(NOW.getTime() - 2 * 3_600_000));
    expect(longAgo?.verdict).toBe('compromised');
    expect(longAgo?.evidence.find((e) => e.code === 'integrity-rollback')?.message).toContain('older than version 2');
  });

  it('keeps the newest results per mirror, bounded', async () => {
    let t = NOW.getTime();
    for (let i = 0; i < WORKER_HEALTH_KEEP + 3; i++) {
      t += 300_000;
      const at = t;
      await runHealthCron(
        { ...env, FERRY_MIRRORS: mirrors([{ id: 'good', url: 'https://good.example/' }]) },
        { http: createHttpCall({ fetch: routedFetch(HOSTS) }), now: () => new Date(at) },
      );
    }
    const results = await stored('good');
    expect(results).toHaveLength(WORKER_HEALTH_KEEP);
    expect(results[0]?.at).toBe(new Date(t).toISOString());
    expect(results.map((r) => r.at)).toEqual([...results.map((r) => r.at)].sort().reverse());
  });

  it('the scheduled export runs it (a real refused connection, a kv mirror skipped)', async () => {
    const ctx = createExecutionContext();
    const vars = {
      ...env,
      FERRY_MIRRORS: mirrors([
        { id: 'down', url: 'http://127.0.0.1:9/' },
        { id: 'kv', kind: 'kv' },
      ]),
    };
    await worker.scheduled(createScheduledController({ scheduledTime: NOW.getTime(), cron: '*/5 * * * *' }), vars, ctx);
    await waitOnExecutionContext(ctx);
    const [down] = await stored('down');
    expect(down?.verdict).toBe('unreachable');
    expect(JSON.parse((await env.FERRY_KV.get(WORKER_HEALTH_RUN_KEY)) ?? '{}')).toMatchObject({ probed: ['down'], skipped: ['kv'] });
  });
});

describe('GET /_ferry/health/worker', () => {
  const token = 'a-long-random-health-token';
  const get = async (
    headers: Record<string, string> = {},
    vars: Partial<Cloudflare.Env> = { FERRY_HEALTH_TOKEN: token },
    path = '/_ferry/health/worker',
  ) => worker.fetch(new Request(`https://blog.example.org${path}`, { headers }), { ...env, ...vars }, createExecutionContext());

  it('is off until FERRY_HEALTH_TOKEN is set, and needs it', async () => {
    const off = await get({}, {});
    expect(off.status).toBe(404);
    expect(await off.text()).toContain('wrangler secret put FERRY_HEALTH_TOKEN');
    expect((await get()).status).toBe(401);
    expect((await get({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('answers the stored results, parsed, per mirror; a damaged value is left out', async () => {
    await runHealthCron(
      {
        ...env,
        FERRY_MIRRORS: mirrors([
          { id: 'good', url: 'https://good.example/' },
          { id: 'bad', url: 'https://bad.example/' },
        ]),
      },
      { http: createHttpCall({ fetch: routedFetch(HOSTS) }) },
    );
    await env.FERRY_KV.put(`${WORKER_HEALTH_PREFIX}junk`, '{"results":[{"verdict":"fine"}]}');
    const res = await get({ authorization: `Bearer ${token}` });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const body = await res.json<{
      vantage: unknown;
      lastRun: { at: string } | null;
      mirrors: { mirror: string; results: ProbeResult[] }[];
    }>();
    expect(body.vantage).toEqual({ id: 'worker', kind: 'worker' });
    expect(body.lastRun?.at).toMatch(/^\d{4}-/);
    expect(body.mirrors.map((m) => [m.mirror, m.results[0]?.verdict])).toEqual([
      ['bad', 'compromised'],
      ['good', 'healthy'],
    ]);
    const one = await (
      await get({ authorization: `Bearer ${token}` }, { FERRY_HEALTH_TOKEN: token }, '/_ferry/health/worker?mirror=good')
    ).json<{ mirrors: unknown[] }>();
    expect(one.mirrors).toHaveLength(1);
    expect((await readWorkerHealth(env.FERRY_KV)).map((e) => e.mirror)).toEqual(['bad', 'good']);
    // Other paths are the edge's.
    expect(await workerHealthResponse(new Request('https://blog.example.org/_ferry/health'), env)).toBeUndefined();
  });
});

describe('the rotating sample', () => {
  it('always takes the index, the feeds and the newest posts, and covers every file over successive rounds', () => {
    const manifest = parseManifest(decode(v1.get('/manifest.json')));
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const sample = chooseSample(manifest, round, 1, 1 << 20);
      expect(sample.slice(0, 3)).toEqual(['/index.html', '/rss.xml', '/2016/06/27th-anniversary.html']);
      for (const p of sample) seen.add(p);
    }
    expect([...seen].sort()).toEqual(Object.keys(manifest.files).sort());
  });

  it('the prober works without any Worker binding (one probe, a fixed round)', async () => {
    const prober = createFetchProber({ publicKey: key.publicKey, http: createHttpCall({ fetch: routedFetch(HOSTS) }) });
    const r = await prober.probe(
      { id: 'g', url: 'https://good.example/', role: 'mirror' },
      { vantage: { id: 'worker', kind: 'worker' }, round: 7 },
    );
    expect(r.evidence.find((e) => e.code === 'integrity-ok')?.facts).toMatchObject({ version: 1, checked: 6 });
  });
});
