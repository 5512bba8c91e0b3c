// The maintainers' dashboard and the public status, a Hono sub-app mounted at /_ferry by the
// edge (`app.route('/_ferry', dashboard)`), the same on Node and Workers. Without a session every
// dashboard page and action answers 401 or sends the browser to the sign-in page and says
// nothing (no mirror names, no counts); status.json, metrics and the status page are public and
// hold states and counts only.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DashboardAction, DashboardBackend, Session, SessionStore } from '../../ports/dashboard.ts';
import { ACTION_KINDS } from '../../ports/dashboard.ts';
import {
  checkAdminToken,
  clearedSessionCookie,
  cookieValue,
  createAttemptLimiter,
  createMemorySessionStore,
  randomToken,
  SESSION_COOKIE,
  sessionCookie,
  tokensEqual,
  type AttemptLimiter,
} from './auth.ts';
import { renderMetrics } from './metrics.ts';
import { DASHBOARD_CSS, renderLogin, renderOverview, renderStatus, toPublicStatus } from './pages.ts';
import { chooseLang, t, type Lang } from './text.ts';

/** Nothing third-party, nothing inline: one same-origin stylesheet, forms to this origin only. */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const LANG_COOKIE = 'ferry_lang';

export interface DashboardOptions {
  backend: DashboardBackend;
  /** FERRY_ADMIN_TOKEN; refused when shorter than 32 characters (checkAdminToken). */
  token: string | undefined;
  sessions?: SessionStore;
  limiter?: AttemptLimiter;
  /** Who is asking, for the sign-in limit: the peer address (never stored beyond the limit's minute). */
  clientOf?: (c: Context) => string;
  sessionSeconds?: number;
  now?: () => Date;
}

export function createDashboard(opts: DashboardOptions): Hono {
  const token = checkAdminToken(opts.token);
  const now = opts.now ?? (() => new Date());
  const sessions = opts.sessions ?? createMemorySessionStore(now);
  const limiter = opts.limiter ?? createAttemptLimiter({ now: () => now().getTime() });
  const clientOf = opts.clientOf ?? ((c: Context) => c.req.header('cf-connecting-ip') ?? 'unknown');
  const sessionSeconds = opts.sessionSeconds ?? 8 * 3600;
  const { backend } = opts;
  const can = new Set<string>(backend.actions);

  const app = new Hono();
  const secure = (c: Context): boolean => {
    const host = new URL(c.req.url).hostname;
    return !(host === '127.0.0.1' || host === 'localhost' || host === '[::1]');
  };
  const langOf = (c: Context): Lang => {
    const asked = c.req.query('lang');
    if (asked === 'zh' || asked === 'en') {
      c.header('set-cookie', `${LANG_COOKIE}=${asked}; Path=/_ferry; SameSite=Strict; Max-Age=31536000${secure(c) ? '; Secure' : ''}`, {
        append: true,
      });
      return asked;
    }
    return chooseLang(cookieValue(c.req.header('cookie'), LANG_COOKIE), c.req.header('accept-language'));
  };
  const html = (c: Context, body: string, status: 200 | 401 | 403 | 429 = 200): Response => {
    for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
    c.header('content-type', 'text/html; charset=utf-8');
    c.header('content-language', langOf(c) === 'zh' ? 'zh-Hans' : 'en');
    return c.body(body, status);
  };
  const sessionOf = async (c: Context): Promise<{ id: string; session: Session } | undefined> => {
    const id = cookieValue(c.req.header('cookie'), SESSION_COOKIE);
    if (id === undefined || !/^[0-9a-f]{64}$/.test(id)) return undefined;
    const session = await sessions.get(id);
    return session === undefined ? undefined : { id, session };
  };

  app.use('*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('Payload Too Large\n', 413) }));

  app.route('/', createPublicStatus({ backend, now }));

  // Sign-in.
  app.get('/login', (c) => html(c, renderLogin(langOf(c))));
  app.post('/login', async (c) => {
    const lang = langOf(c);
    const client = clientOf(c);
    const wait = limiter.retryAfter(client);
    if (wait > 0) {
      c.header('retry-after', String(wait));
      return html(c, renderLogin(lang, t('tooMany', lang)), 429);
    }
    const form = await c.req.parseBody();
    const given = typeof form.token === 'string' ? form.token : '';
    if (!(await tokensEqual(given, token))) {
      limiter.failed(client);
      return html(c, renderLogin(lang, t('wrongToken', lang)), 401);
    }
    limiter.succeeded(client);
    const id = randomToken();
    const expires = new Date(now().getTime() + sessionSeconds * 1000).toISOString();
    await sessions.put(id, { csrf: randomToken(), who: `maintainer-${id.slice(0, 6)}`, expires });
    c.header('set-cookie', sessionCookie(id, { maxAgeSeconds: sessionSeconds, secure: secure(c) }), { append: true });
    c.header('cache-control', 'no-store');
    return c.redirect('/_ferry/', 303);
  });

  // Everything below needs a session.
  app.post('/logout', async (c) => {
    const s = await sessionOf(c);
    const form = await c.req.parseBody();
    if (s === undefined) return c.text('Unauthorized\n', 401);
    if (!(await tokensEqual(typeof form.csrf === 'string' ? form.csrf : '', s.session.csrf))) return c.text('Forbidden\n', 403);
    await sessions.delete(s.id);
    c.header('set-cookie', clearedSessionCookie(secure(c)), { append: true });
    return c.redirect('/_ferry/login', 303);
  });

  const overview = async (c: Context): Promise<Response> => {
    const s = await sessionOf(c);
    if (s === undefined) {
      c.header('cache-control', 'no-store');
      return c.redirect('/_ferry/login', 303);
    }
    const { flash, ...rest } = s.session;
    if (flash !== undefined) await sessions.put(s.id, rest);
    const page = renderOverview({
      view: await backend.view(),
      lang: langOf(c),
      csrf: s.session.csrf,
      who: s.session.who,
      can,
      ...(flash === undefined ? {} : { flash }),
    });
    return html(c, page);
  };
  // Mounted at /_ferry, '/' is /_ferry itself; the dashboard's address is /_ferry/ (caught below).
  app.get('/', overview);

  app.post('/actions/:kind', async (c) => {
    const s = await sessionOf(c);
    if (s === undefined) return c.text('Unauthorized\n', 401);
    const form = await c.req.parseBody();
    if (!(await tokensEqual(typeof form.csrf === 'string' ? form.csrf : '', s.session.csrf))) {
      return c.text('Forbidden: the form is stale or not from this dashboard; reload it.\n', 403);
    }
    const action = toAction(c.req.param('kind'), form);
    if (action === undefined || !can.has(action.kind)) return c.text('Bad Request: unknown action or missing field\n', 400);
    let flash: { ok: boolean; message: string };
    try {
      flash = await backend.act(action, s.session.who);
    } catch (e) {
      flash = { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    await sessions.put(s.id, { ...s.session, flash });
    return c.redirect('/_ferry/', 303);
  });

  // Any other dashboard address: nothing to see without a session, and nothing here with one.
  app.all('*', async (c) => {
    if (c.req.method === 'GET' && c.req.path === '/_ferry/') return overview(c);
    return (await sessionOf(c)) === undefined ? c.text('Unauthorized\n', 401) : c.text('Not Found\n', 404);
  });
  return app;
}

const ID = /^[A-Za-z0-9._@:-]{1,200}$/;

function toAction(kind: string, form: Record<string, unknown>): DashboardAction | undefined {
  if (!(ACTION_KINDS as readonly string[]).includes(kind)) return undefined;
  const field = (name: string): string | undefined => {
    const v = form[name];
    return typeof v === 'string' && ID.test(v) ? v : undefined;
  };
  switch (kind) {
    case 'approve':
    case 'reject': {
      const post = field('post');
      return post === undefined ? undefined : { kind, post };
    }
    case 'pause':
    case 'resume':
    case 'rotate':
    case 'clear': {
      const mirror = field('mirror');
      return mirror === undefined ? undefined : { kind, mirror };
    }
    case 'check':
    case 'publish':
      return { kind };
    default:
      return undefined;
  }
}

/**
 * The public part alone (no sign-in, nothing secret: states and counts): the stylesheet, the
 * status page, status.json and metrics. `ferry serve` mounts only this when no admin token is set.
 */
export function createPublicStatus({
  backend,
  now = () => new Date(),
}: {
  backend: Pick<DashboardBackend, 'view'>;
  now?: () => Date;
}): Hono {
  const app = new Hono();
  const page = (c: Context, body: string): Response => {
    for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
    return c.body(body, 200, { 'content-type': 'text/html; charset=utf-8' });
  };
  // Public: the stylesheet, the status page, status.json, metrics.
  app.get('/dashboard.css', (c) => {
    c.header('cache-control', 'public, max-age=3600');
    c.header('x-content-type-options', 'nosniff');
    return c.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
  });
  app.get('/status.json', async (c) => {
    const status = toPublicStatus(await backend.view(), now().toISOString());
    return c.body(`${JSON.stringify(status, null, 2)}\n`, 200, {
      'content-type': 'application/json',
      'cache-control': 'no-cache',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
    });
  });
  app.get('/metrics', async (c) =>
    c.body(renderMetrics(await backend.view()), 200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }),
  );
  app.get('/status', async (c) =>
    page(
      c,
      renderStatus(
        toPublicStatus(await backend.view(), now().toISOString()),
        chooseLang(queryLang(c) ?? cookieValue(c.req.header('cookie'), LANG_COOKIE), c.req.header('accept-language')),
      ),
    ),
  );

  return app;
}

function queryLang(c: Context): string | undefined {
  const q = c.req.query('lang');
  return q === 'zh' || q === 'en' ? q : undefined;
}
