// The dashboard's sign-in, sessions, CSRF and public routes over real HTTP (@hono/node-server on
// 127.0.0.1, port 0). The backend is a recording implementation of our own DashboardBackend port;
// the dashboard on real state is tested in dashboard-chromium.test.ts.
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/edge/dashboard/app.ts';
import { AdminTokenError } from '../../src/edge/dashboard/auth.ts';
import type { DashboardAction, DashboardBackend, DashboardView } from '../../src/ports/dashboard.ts';
import { runChild } from '../helpers/child-process.ts';
import { needSystem } from '../helpers/system-deps.ts';

const promtool = needSystem(['promtool'], 'test/integration/dashboard-auth.test.ts (promtool check metrics)');

const TOKEN = 'correct-horse-battery-staple-0123456789';
const VIEW: DashboardView = {
  mirrors: [
    {
      id: 'gh-pages',
      url: 'https://org.github.io/blog/',
      state: 'healthy',
      since: '2026-12-01T00:00:00.000Z',
      evidence: [],
      vantages: [{ vantage: { id: 'local', kind: 'local' }, verdict: 'healthy', at: '2026-12-01T00:00:00.000Z', evidence: [] }],
      latencies: [120, 90, 150],
      paused: false,
    },
    {
      id: 'secret-mirror-name',
      url: 'https://cdn.example.net/',
      state: 'compromised',
      since: '2026-12-01T01:00:00.000Z',
      evidence: [
        {
          layer: 'integrity',
          code: 'integrity-mismatch',
          message: '/index.html: sha256 differs; body contained token-xyz',
          points: 'compromised',
          confirmed: true,
        },
      ],
      vantages: [],
      latencies: [200, 210],
      paused: false,
    },
  ],
  canonical: { id: 'gh-pages', url: 'https://org.github.io/blog/', since: '2026-12-01T00:00:00.000Z', reason: "'gh-pages' is healthy" },
  publishes: [
    {
      id: 'r1',
      trigger: 'schedule',
      started: '2026-12-01T00:00:00.000Z',
      ended: '2026-12-01T00:01:00.000Z',
      outcome: 'published',
      version: 7,
      cid: 'bafyexample',
      targets: [{ target: 'gh-pages', ok: true }],
    },
  ],
  held: [
    {
      id: 'post-1',
      title: '关于审查',
      reasons: ['content changed after publication'],
      published: '<p>旧的</p>\n',
      held: '<p>新的</p>\n<script>x</script>\n',
    },
  ],
  alerts: [{ at: '2026-12-01T01:00:00.000Z', channel: 'webhook', subject: 'secret-mirror-name compromised', ok: true }],
  actions: [],
};

let server: ServerType;
let base: string;
const done: Array<{ action: DashboardAction; who: string }> = [];

beforeAll(async () => {
  const backend: DashboardBackend = {
    actions: ['approve', 'reject', 'pause', 'resume', 'rotate', 'check', 'publish'],
    view: async () => ({ ...VIEW, actions: done.map((d) => ({ at: 'now', who: d.who, action: d.action.kind, result: 'done' })) }),
    act: async (action, who) => {
      done.push({ action, who });
      return { ok: true, message: `did ${action.kind}` };
    },
  };
  const app = new Hono();
  app.route('/_ferry', createDashboard({ backend, token: TOKEN, clientOf: (c) => c.req.header('x-test-client') ?? 'one' }));
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(fields),
  });

async function signIn(client = 'one'): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await post('/_ferry/login', { token: TOKEN }, { 'x-test-client': client });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/_ferry/');
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const page = await (await fetch(`${base}/_ferry/`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page)?.[1] ?? '';
  expect(csrf).toMatch(/^[0-9a-f]{64}$/);
  return { cookie, csrf, setCookie };
}

describe('dashboard sign-in', () => {
  it('refuses to start with a token shorter than 32 characters, saying so', () => {
    const backend = { actions: [], view: async () => VIEW, act: async () => ({ ok: true, message: '' }) };
    expect(() => createDashboard({ backend, token: 'short-token' })).toThrow(AdminTokenError);
    expect(() => createDashboard({ backend, token: 'short-token' })).toThrow(
      /11 characters: the dashboard refuses a token shorter than 32/,
    );
    expect(() => createDashboard({ backend, token: undefined })).toThrow(/FERRY_ADMIN_TOKEN is not set/);
  });

  it('without a session, pages redirect to sign-in and actions answer 401, leaking no names or counts', async () => {
    const page = await fetch(`${base}/_ferry/`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/_ferry/login');
    for (const path of ['/_ferry/actions/pause', '/_ferry/actions/check', '/_ferry/logout']) {
      const res = await post(path, { mirror: 'gh-pages', csrf: 'x' });
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(body).not.toContain('gh-pages');
      expect(body).not.toMatch(/\d/);
    }
    const other = await fetch(`${base}/_ferry/anything`);
    expect(other.status).toBe(401);
    const login = await (await fetch(`${base}/_ferry/login`)).text();
    expect(login).not.toContain('gh-pages');
    expect(login).not.toContain('secret-mirror-name');
    expect(done).toEqual([]);
  });

  it('signs in with the token and sets a strict, HttpOnly session cookie (not Secure on loopback) that expires', async () => {
    const { setCookie } = await signIn();
    expect(setCookie).toMatch(/^ferry_session=[0-9a-f]{64}; Path=\/_ferry; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    // Anywhere but loopback (the Host a reader's browser sends), the cookie is Secure too.
    const remote = await new Promise<string>((resolve, reject) => {
      const req = request(`${base}/_ferry/login`, {
        method: 'POST',
        headers: { host: 'blog.example.org', 'content-type': 'application/x-www-form-urlencoded', 'x-test-client': 'remote' },
        timeout: 5000,
      });
      req.on('response', (res) => {
        res.resume();
        resolve(String(res.headers['set-cookie'] ?? ''));
      });
      req.on('error', reject);
      req.end(form({ token: TOKEN }));
    });
    expect(remote).toMatch(/; Secure$/);
  });

  it('the sixth wrong token within a minute gets 429 with Retry-After, for that client only', async () => {
    for (let i = 0; i < 5; i++)
      expect((await post('/_ferry/login', { token: `wrong-${i}` }, { 'x-test-client': 'guesser' })).status).toBe(401);
    const sixth = await post('/_ferry/login', { token: TOKEN }, { 'x-test-client': 'guesser' });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await post('/_ferry/login', { token: TOKEN }, { 'x-test-client': 'someone-else' })).status).toBe(303);
  });

  it('a POST without or with a wrong CSRF token is refused; with it the action runs, is recorded and shows on the next page', async () => {
    const { cookie, csrf } = await signIn();
    expect((await post('/_ferry/actions/pause', { mirror: 'gh-pages' }, { cookie })).status).toBe(403);
    expect((await post('/_ferry/actions/pause', { mirror: 'gh-pages', csrf: 'f'.repeat(64) }, { cookie })).status).toBe(403);
    const other = await signIn();
    expect((await post('/_ferry/actions/pause', { mirror: 'gh-pages', csrf: other.csrf }, { cookie })).status).toBe(403);
    expect(done).toEqual([]);
    const ok = await post('/_ferry/actions/pause', { mirror: 'gh-pages', csrf }, { cookie });
    expect(ok.status).toBe(303);
    expect(done).toEqual([{ action: { kind: 'pause', mirror: 'gh-pages' }, who: expect.stringMatching(/^maintainer-[0-9a-f]{6}$/) }]);
    const next = await (await fetch(`${base}/_ferry/`, { headers: { cookie } })).text();
    expect(next).toContain('did pause');
    const again = await (await fetch(`${base}/_ferry/`, { headers: { cookie } })).text();
    expect(again).not.toContain('did pause');
    expect((await post('/_ferry/actions/explode', { csrf }, { cookie })).status).toBe(400);
    expect((await post('/_ferry/actions/pause', { mirror: '<script>', csrf }, { cookie })).status).toBe(400);
  });

  it('signing out ends the session on the server', async () => {
    const { cookie, csrf } = await signIn();
    expect((await post('/_ferry/logout', { csrf }, { cookie })).status).toBe(303);
    const after = await fetch(`${base}/_ferry/`, { headers: { cookie }, redirect: 'manual' });
    expect(after.status).toBe(303);
    expect((await post('/_ferry/actions/check', { csrf }, { cookie })).status).toBe(401);
  });

  it('the overview is small, script-free, third-party-free, in the language asked for, with the switch', async () => {
    const { cookie } = await signIn();
    const zh = await fetch(`${base}/_ferry/`, { headers: { cookie, 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' } });
    const page = await zh.text();
    expect(zh.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(zh.headers.get('access-control-allow-origin')).toBeNull();
    expect(new TextEncoder().encode(page).byteLength).toBeLessThan(50 * 1024);
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).toContain('维护面板');
    expect(page).toContain('<svg');
    expect(page).toContain('/index.html: sha256 differs');
    const en = await fetch(`${base}/_ferry/?lang=en`, { headers: { cookie, 'accept-language': 'zh-CN' } });
    expect(await en.text()).toContain('Ferry dashboard');
    const langCookie = (en.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const sticky = await (
      await fetch(`${base}/_ferry/`, { headers: { cookie: `${cookie}; ${langCookie}`, 'accept-language': 'zh-CN' } })
    ).text();
    expect(sticky).toContain('Posts held back');
  });
});

describe('public status', () => {
  it('status.json has ids, URLs, states, since, the canonical and the last publish, and nothing else', async () => {
    const res = await fetch(`${base}/_ferry/status.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    const status = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(status).sort()).toEqual(['canonical', 'generatedAt', 'lastPublish', 'mirrors']);
    expect(status.mirrors).toEqual([
      { id: 'gh-pages', url: 'https://org.github.io/blog/', state: 'healthy', since: '2026-12-01T00:00:00.000Z' },
      { id: 'secret-mirror-name', url: 'https://cdn.example.net/', state: 'compromised', since: '2026-12-01T01:00:00.000Z' },
    ]);
    expect(status.lastPublish).toEqual({ version: 7, at: '2026-12-01T00:01:00.000Z' });
    expect(text).not.toContain('token-xyz');
    expect(text).not.toContain('关于审查');
    expect(text).not.toContain(TOKEN);
  });

  it('the status page needs no sign-in, speaks the reader language and runs no script', async () => {
    const res = await fetch(`${base}/_ferry/status`, { headers: { 'accept-language': 'zh-TW' } });
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).toContain('正常');
    expect(page).toContain('被篡改');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain('sha256');
  });

  it('metrics pass promtool check metrics', async () => {
    const text = await (await fetch(`${base}/_ferry/metrics`)).text();
    expect(text).toContain('ferry_target_state{target="secret-mirror-name",state="compromised"} 1');
    expect(text).toContain('ferry_last_publish_version 7');
    expect(text).not.toContain('token-xyz');
    if (promtool.skip) return; // said loudly when the file loaded, and in the run's summary
    const result = await runChild('promtool', ['check', 'metrics'], { input: text, timeoutMs: 20_000 });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
