// ferry serve's push to the Worker, inside workerd through the Worker entry: the route's bearer
// token, its size limit and strict shape check; the accepted view on the signed-in dashboard with
// its age (stale when old) and the Worker's own cron laid over it; and Make canonical on the
// Worker, recorded in KV, handed to ferry serve in the push's answer until acknowledged once.
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { DASHBOARD_MIRRORS, workerCaller } from './call-worker.ts';
import { WORKER_HEALTH_PREFIX } from '../../src/worker/health-cron.ts';
import { MAINTAINER_KEY } from '../../src/adapters/dashboard/kv-maintainer-store.ts';
import { EDGE_REQUESTS_KEY } from '../../src/adapters/dashboard/kv-edge-request-store.ts';
import { PUSHED_VIEW_KEY } from '../../src/adapters/dashboard/kv-pushed-view-store.ts';
import { toPushedView } from '../../src/core/dashboard/pushed-view.ts';
import type { DashboardView, PushedView } from '../../src/ports/dashboard.ts';

const ADMIN = 'worker-secret-admin-token-0123456789abcdef';
const HEALTH = 'worker-health-token-abcdefghijklmnopqrstuvwxyz';
const call = workerCaller({ FERRY_MIRRORS: DASHBOARD_MIRRORS, FERRY_ADMIN_TOKEN: ADMIN, FERRY_HEALTH_TOKEN: HEALTH });

const post = (path: string, body: string, token: string | null = HEALTH): Promise<Response> =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body,
  });

/** What ferry serve's dashboard shows: two mirrors (cdn canonical, gh healthy), the origin, a publish, a held post, an alert. */
function serveView(): DashboardView {
  const at = new Date().toISOString();
  return {
    mirrors: [
      {
        id: 'cdn',
        url: 'https://cdn.example.net/',
        state: 'healthy',
        since: '2026-12-01T00:00:00.000Z',
        evidence: [],
        vantages: [{ vantage: { id: 'local', kind: 'local' }, verdict: 'healthy', at, evidence: [] }],
        latencies: [80, 90, 85],
        paused: false,
      },
      {
        id: 'gh',
        url: 'https://gh.example.net/',
        state: 'degraded',
        since: '2026-12-02T00:00:00.000Z',
        evidence: [{ layer: 'http', code: 'slow', message: 'first byte after 4.2 s from the local vantage', points: 'degraded' }],
        vantages: [{ vantage: { id: 'agent-sh', kind: 'agent', country: 'CN' }, verdict: 'degraded', at, evidence: [] }],
        latencies: [400, 4200],
        paused: false,
      },
      {
        id: 'tampered',
        url: 'https://tampered.example.net/',
        state: 'compromised',
        since: '2026-12-03T00:00:00.000Z',
        evidence: [{ layer: 'integrity', code: 'integrity-mismatch', message: '/a.html differs', points: 'compromised', confirmed: true }],
        vantages: [],
        latencies: [],
        paused: false,
      },
    ],
    origin: {
      id: '@origin',
      state: 'blocked',
      since: '2026-11-30T00:00:00.000Z',
      evidence: [],
      vantages: [],
      latencies: [],
      paused: false,
    },
    canonical: { id: 'cdn', url: 'https://cdn.example.net/', since: '2026-12-01T00:00:00.000Z', reason: 'the first healthy mirror' },
    publishes: [
      {
        id: 'run-7',
        trigger: 'schedule',
        started: at,
        ended: at,
        outcome: 'ok',
        version: 7,
        cid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
        targets: [{ target: 'ipfs', ok: true }],
      },
    ],
    held: [{ id: 'post-9', title: 'A changed old post', reasons: ['content changed after publication'], held: '<p>new body</p>' }],
    alerts: [{ at, channel: 'webhook', subject: 'tampered is compromised', ok: true }],
    actions: [{ at, who: 'maintainer-abc123', action: 'pause old', result: 'Paused old.' }],
  };
}

const pushBody = (view: DashboardView = serveView(), everySeconds = 300): string =>
  JSON.stringify(toPushedView(view, new Date().toISOString(), everySeconds));

async function signIn(): Promise<{ cookie: string; csrf: string; page: () => Promise<string> }> {
  const login = await call('/_ferry/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '203.0.113.7' },
    body: new URLSearchParams({ token: ADMIN }).toString(),
  });
  expect(login.status).toBe(303);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = async (): Promise<string> => (await call('/_ferry/', { headers: { cookie, 'accept-language': 'en' } })).text();
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(await page())?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { cookie, csrf, page };
}

const act = (kind: string, cookie: string, fields: Record<string, string>): Promise<Response> =>
  call(`/_ferry/actions/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams(fields).toString(),
  });

beforeEach(async () => {
  for (const key of [PUSHED_VIEW_KEY, EDGE_REQUESTS_KEY, MAINTAINER_KEY, `${WORKER_HEALTH_PREFIX}cdn`]) await env.FERRY_KV.delete(key);
});

describe('POST /_ferry/health/view', () => {
  it('is off without FERRY_HEALTH_TOKEN and needs the token', async () => {
    const off = await call('/_ferry/health/view', { method: 'POST', body: pushBody() }, { FERRY_HEALTH_TOKEN: undefined });
    expect(off.status).toBe(404);
    expect(await off.text()).toContain('wrangler secret put FERRY_HEALTH_TOKEN');
    expect((await post('/_ferry/health/view', pushBody(), null)).status).toBe(401);
    expect((await post('/_ferry/health/view', pushBody(), `${HEALTH}x`)).status).toBe(401);
    expect((await post('/_ferry/health/requests/ack', '{"results":[]}', 'wrong')).status).toBe(401);
    expect(await env.FERRY_KV.get(PUSHED_VIEW_KEY)).toBeNull();
    const get = await call('/_ferry/health/view', { headers: { authorization: `Bearer ${HEALTH}` } });
    expect(get.status).toBe(405);
  });

  it('refuses a body over 256 KiB with 413', async () => {
    const view = serveView();
    const huge = { ...toPushedView(view, new Date().toISOString(), 300), padding: 'x'.repeat(300 * 1024) };
    const res = await post('/_ferry/health/view', JSON.stringify(huge));
    expect(res.status).toBe(413);
    expect(await env.FERRY_KV.get(PUSHED_VIEW_KEY)).toBeNull();
  });

  it('refuses what is not a view with 400 and says what is wrong', async () => {
    const notJson = await post('/_ferry/health/view', '{"format":');
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toContain('not JSON');
    const doc = toPushedView(serveView(), new Date().toISOString(), 300);
    const unknownField = { ...doc, view: { ...doc.view, mirrors: [{ ...doc.view.mirrors[0], extra: 1 }] } };
    const res = await post('/_ferry/health/view', JSON.stringify(unknownField));
    expect(res.status).toBe(400);
    expect((await res.json<{ error: string }>()).error).toContain('view.mirrors[0]: unknown field "extra"');
    const badState = { ...doc, view: { ...doc.view, mirrors: [{ ...doc.view.mirrors[0], state: 'fine' }] } };
    expect((await (await post('/_ferry/health/view', JSON.stringify(badState))).json<{ error: string }>()).error).toContain(
      'view.mirrors[0].state',
    );
    expect((await post('/_ferry/health/view', JSON.stringify({ ...doc, format: 'other/1' }))).status).toBe(400);
    expect(await env.FERRY_KV.get(PUSHED_VIEW_KEY)).toBeNull();
  });

  it('stores the view and the signed-in dashboard shows it with its age and the Worker cron laid over it', async () => {
    await env.FERRY_KV.put(
      `${WORKER_HEALTH_PREFIX}cdn`,
      JSON.stringify({
        mirror: 'cdn',
        results: [
          {
            target: 'cdn',
            vantage: { id: 'worker', kind: 'worker' },
            at: new Date().toISOString(),
            verdict: 'degraded',
            evidence: [{ layer: 'http', code: 'slow', message: 'slow from the Worker cron', points: 'degraded' }],
            timings: { totalMs: 300 },
          },
        ],
      }),
    );
    const res = await post('/_ferry/health/view', pushBody());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, requests: [] });
    const stored = JSON.parse((await env.FERRY_KV.get(PUSHED_VIEW_KEY, 'text')) ?? '{}') as { pushed: PushedView };
    expect(stored.pushed.view.held[0]).toEqual({
      id: 'post-9',
      title: 'A changed old post',
      reasons: ['content changed after publication'],
    });

    const { page } = await signIn();
    const html = await page();
    expect(html).toContain('From ferry serve, less than a minute ago');
    expect(html).not.toContain('older than three');
    expect(html).toMatch(/id="m-gh"[\s\S]*degraded[\s\S]*first byte after 4.2 s/);
    expect(html).toMatch(/id="m-cdn"[\s\S]*worker: <span class="s degraded">/);
    expect(html).toMatch(/id="m-tampered"[\s\S]*compromised/);
    expect(html).toContain('A changed old post');
    expect(html).not.toContain('new body');
    expect(html).toContain('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi');
    expect(html).toContain('tampered is compromised');
    expect(html).toContain('the first healthy mirror');
    expect(html).toContain('cannot publish');
    expect(html).not.toContain('/_ferry/actions/approve');
    expect(html).not.toContain('/_ferry/actions/publish');
  });

  it('marks a view older than three of ferry serve’s rounds as stale', async () => {
    const receivedAt = new Date(Date.now() - 20 * 60_000).toISOString();
    await env.FERRY_KV.put(PUSHED_VIEW_KEY, JSON.stringify({ receivedAt, pushed: toPushedView(serveView(), receivedAt, 300) }));
    const { page } = await signIn();
    const html = await page();
    expect(html).toContain('From ferry serve, 20 minutes ago');
    expect(html).toContain('older than three of ferry serve’s health rounds');
    await env.FERRY_KV.put(PUSHED_VIEW_KEY, JSON.stringify({ receivedAt, pushed: toPushedView(serveView(), receivedAt, 600) }));
    expect(await page()).not.toContain('older than three');
  });

  it('says when ferry serve has not pushed anything yet', async () => {
    const { page } = await signIn();
    expect(await page()).toContain('ferry serve has not pushed its view here yet');
  });
});

describe('Make canonical on the Worker', () => {
  it('needs the form’s CSRF token, records a request in KV, hands it to ferry serve until acknowledged once', async () => {
    expect((await post('/_ferry/health/view', pushBody())).status).toBe(200);
    const { cookie, csrf, page } = await signIn();
    expect(await page()).toMatch(
      /action="\/_ferry\/actions\/rotate"><input type="hidden" name="csrf" value="[0-9a-f]+"><input type="hidden" name="mirror" value="gh">/,
    );

    expect((await act('rotate', cookie, { mirror: 'gh' })).status).toBe(403);
    expect((await act('rotate', cookie, { mirror: 'gh', csrf: 'f'.repeat(64) })).status).toBe(403);
    expect(await env.FERRY_KV.get(EDGE_REQUESTS_KEY)).toBeNull();

    expect((await act('rotate', cookie, { mirror: 'tampered', csrf })).status).toBe(303);
    expect(await page()).toContain('tampered is compromised: only a working mirror can be canonical.');
    expect(await env.FERRY_KV.get(EDGE_REQUESTS_KEY)).toBeNull();

    expect((await act('rotate', cookie, { mirror: 'gh', csrf })).status).toBe(303);
    const stored = JSON.parse((await env.FERRY_KV.get(EDGE_REQUESTS_KEY, 'text')) ?? '[]') as Array<{
      id: string;
      mirror: string;
      who: string;
      at: string;
    }>;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: 'rotate', mirror: 'gh', who: expect.stringMatching(/^maintainer-[0-9a-f]{6}$/) as unknown });
    const html = await page();
    expect(html).toContain('Asked ferry serve to make gh the canonical');
    expect(html).toContain('Waiting for ferry serve:</b> make gh the canonical');

    const id = stored[0]?.id ?? '';
    const first = await (await post('/_ferry/health/view', pushBody())).json<{ requests: Array<{ id: string; mirror: string }> }>();
    expect(first.requests).toEqual([expect.objectContaining({ id, mirror: 'gh' })]);
    // Not acknowledged yet (ferry serve stopped before it applied it): handed over again.
    const again = await (await post('/_ferry/health/view', pushBody())).json<{ requests: unknown[] }>();
    expect(again.requests).toHaveLength(1);

    expect((await post('/_ferry/health/requests/ack', JSON.stringify({ results: [{ id, ok: true, extra: 1 }] }))).status).toBe(400);
    const ack = await post(
      '/_ferry/health/requests/ack',
      JSON.stringify({ results: [{ id, ok: true, message: 'The canonical is now gh.' }] }),
    );
    expect(await ack.json()).toEqual({ acknowledged: [id] });
    const twice = await post('/_ferry/health/requests/ack', JSON.stringify({ results: [{ id, ok: true, message: 'again' }] }));
    expect(await twice.json()).toEqual({ acknowledged: [] });
    const after = await (await post('/_ferry/health/view', pushBody())).json<{ requests: unknown[] }>();
    expect(after.requests).toEqual([]);

    const final = await page();
    expect(final).not.toContain('Waiting for ferry serve');
    expect(final).toContain('applied by ferry serve: The canonical is now gh.');
    expect(final).not.toContain('again');
  });
});
