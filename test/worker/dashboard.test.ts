// The dashboard inside workerd, through the Worker entry: the same sign-in (token as a Worker
// secret), sessions in KV, the mirrors as the Worker's cron saw them, pause and resume as its
// actions, and the public status without sign-in.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_MIRRORS, workerCaller } from './call-worker.ts';
import { WORKER_HEALTH_PREFIX } from '../../src/worker/health-cron.ts';
import { MAINTAINER_KEY } from '../../src/adapters/dashboard/kv-maintainer-store.ts';

const TOKEN = 'worker-secret-admin-token-0123456789abcdef';
const call = workerCaller({ FERRY_MIRRORS: DASHBOARD_MIRRORS, FERRY_ADMIN_TOKEN: TOKEN });

const form = (fields: Record<string, string>): RequestInit<IncomingRequestCfProperties> => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '203.0.113.9' },
  body: new URLSearchParams(fields).toString(),
});

describe('dashboard in the Worker', () => {
  it('without the secret only the public status answers', async () => {
    expect((await call('/_ferry/status.json', {}, { FERRY_ADMIN_TOKEN: undefined })).status).toBe(200);
    expect((await call('/_ferry/login', form({ token: TOKEN }), { FERRY_ADMIN_TOKEN: undefined })).status).not.toBe(303);
  });

  it('signs in with the secret, shows the cron results, pauses a mirror in KV, signs out', async () => {
    await env.FERRY_KV.put(
      `${WORKER_HEALTH_PREFIX}cdn`,
      JSON.stringify({
        mirror: 'cdn',
        results: [
          {
            target: 'cdn',
            vantage: { id: 'worker', kind: 'worker' },
            at: new Date().toISOString(),
            verdict: 'compromised',
            evidence: [
              {
                layer: 'integrity',
                code: 'integrity-mismatch',
                message: '/index.html does not match the manifest',
                points: 'compromised',
                confirmed: true,
              },
            ],
            timings: { totalMs: 120 },
          },
        ],
      }),
    );
    expect((await call('/_ferry/')).status).toBe(303);
    expect((await call('/_ferry/login', form({ token: 'not-the-token-but-long-enough-000000000' }))).status).toBe(401);
    const login = await call('/_ferry/login', form({ token: TOKEN }));
    expect(login.status).toBe(303);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const cookie = setCookie.split(';')[0] ?? '';
    const page = await (await call('/_ferry/', { headers: { cookie, 'accept-language': 'en' } })).text();
    expect(page).toContain('/index.html does not match the manifest');
    expect(page).toMatch(/id="m-cdn"[\s\S]*compromised/);
    expect(page).not.toContain('/_ferry/actions/publish');
    const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page)?.[1] ?? '';
    expect((await call('/_ferry/actions/pause', { ...form({ mirror: 'cdn' }), headers: { ...form({}).headers, cookie } })).status).toBe(
      403,
    );
    const paused = await call('/_ferry/actions/pause', {
      ...form({ mirror: 'cdn', csrf }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    expect(paused.status).toBe(303);
    const state = JSON.parse((await env.FERRY_KV.get(MAINTAINER_KEY, 'text')) ?? '{}') as { paused: Record<string, { who: string }> };
    expect(Object.keys(state.paused)).toEqual(['cdn']);
    const after = await (await call('/_ferry/', { headers: { cookie, 'accept-language': 'en' } })).text();
    expect(after).toContain('Paused cdn');
    expect(
      (
        await call('/_ferry/actions/publish', {
          ...form({ csrf }),
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('/_ferry/logout', { ...form({ csrf }), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } }))
        .status,
    ).toBe(303);
    expect((await call('/_ferry/', { headers: { cookie } })).status).toBe(303);
  });
});
